package statelab.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A real HDFS on 127.0.0.1 for the tests: {@code src/test/jbang/HdfsServer.java} (Hadoop's MiniDFSCluster, a
 * NameNode and a DataNode) in a JVM of its own ({@link ServerProcess}), its blocks and metadata under {@code dir}.
 */
public final class HdfsServer implements AutoCloseable {
    public final int port;
    private final ServerProcess server;

    private HdfsServer(int port, ServerProcess server) {
        this.port = port;
        this.server = server;
    }

    public static HdfsServer start(Path dir) throws IOException {
        int port = TestCluster.freePort();
        Files.createDirectories(dir);
        ServerProcess server = ServerProcess.start("HdfsServer", List.of(Checkout.ROOT.resolve("jbang").toString(),
                "src/test/jbang/HdfsServer.java", Integer.toString(port), dir.toString()), Map.of(),
                dir.resolveSibling(dir.getFileName() + "-server.log"));
        return new HdfsServer(port, server);
    }

    /** {@code hdfs://127.0.0.1:PORT} */
    public String uri() {
        return "hdfs://127.0.0.1:" + port;
    }

    @Override
    public void close() {
        server.close();
    }
}
