///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.apache.hadoop:hadoop-client-minicluster:3.4.1
//DEPS org.apache.hadoop:hadoop-client-runtime:3.4.1
//DEPS org.apache.hadoop:hadoop-client-api:3.4.1

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * Test support: a real HDFS on 127.0.0.1, Hadoop's MiniDFSCluster (a NameNode and a DataNode, the daemons' own code
 * in one JVM), for StateLab's tests of savepoints on {@code hdfs://}. Usage: {@code HdfsServer.java PORT DIR}: the
 * NameNode's RPC port (the one {@code hdfs://127.0.0.1:PORT/} names; its other ports and the DataNode's are free ones
 * on 127.0.0.1) and the directory that holds the file system's blocks and metadata. Prints
 * {@code ready hdfs://127.0.0.1:PORT} once it serves, and stops when its standard input closes: a test that dies
 * takes its HDFS with it.
 */
public final class HdfsServer {
    private HdfsServer() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: HdfsServer.java PORT DIR");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        Path dir = Files.createDirectories(Path.of(args[1]).toAbsolutePath());
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir.toString());
        conf.set("dfs.namenode.rpc-address", "127.0.0.1:" + port);
        conf.setBoolean("dfs.permissions.enabled", false); // the tests' cluster and commands run as whoever runs them
        MiniDFSCluster hdfs = new MiniDFSCluster.Builder(conf).nameNodePort(port).numDataNodes(1).build();
        hdfs.waitActive();
        System.out.println("ready hdfs://127.0.0.1:" + port);
        System.out.flush();
        while (System.in.read() >= 0) {
            // until the parent closes our stdin (or dies)
        }
        hdfs.shutdown();
        System.exit(0);
    }
}
