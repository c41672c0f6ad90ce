package statelab.cluster;

import java.nio.file.Path;
import picocli.CommandLine.Option;
import statelab.cli.Workspace;

/** {@code --dir}: which local cluster instance a command works on (`cluster`'s subcommands, `chaos`). */
public final class InstanceOption {
    @Option(names = "--dir", paramLabel = "DIR",
            description = "Instance directory: logs/, checkpoints/, savepoints/, .statelab/ (default: the checkout).")
    Path dir;

    public LocalCluster cluster() {
        return cluster(null);
    }

    /** The instance, its savepoints in {@code savepoints} (null: DIR/savepoints). */
    public LocalCluster cluster(Path savepoints) {
        return new LocalCluster(dir != null ? dir : Workspace.checkout().orElse(Path.of("")), savepoints);
    }
}
