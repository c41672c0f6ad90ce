package statelab.flink;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.core.execution.RecoveryClaimMode;
import picocli.CommandLine.Option;

/** The options of the commands that start a job (submit, resume): how to run it, and how to restore it. */
public final class JobOptions {
    @Option(names = "--jar", paramLabel = "FILE", description = "Run this jar instead of a job of the checkout.")
    public Path jar;

    @Option(names = "--class", paramLabel = "CLASS", description = "Entry class (default: the jar's Main-Class).")
    public String entryClass;

    @Option(names = {"-p", "--parallelism"}, paramLabel = "N",
            description = "Parallelism (default: resume keeps the recorded one; else the cluster's).")
    public Integer parallelism;

    @Option(names = {"-D", "--config"}, paramLabel = "KEY=VALUE",
            description = "Flink configuration for this job, e.g. -D restart-strategy.type=none; repeatable.")
    public Map<String, String> config = new LinkedHashMap<>();

    @Option(names = "--claim-mode", paramLabel = "MODE", defaultValue = "NO_CLAIM",
            description = "When restoring: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    public RecoveryClaimMode claimMode = RecoveryClaimMode.NO_CLAIM;

    @Option(names = "--allow-non-restored-state", description = "When restoring: skip state that no operator claims.")
    public boolean allowNonRestoredState;

    /** Restore settings for {@code savepoint}, a location as Flink takes it (a path, or a URI: {@code s3://…}), with these options. */
    public JobLauncher.Restore restoreFrom(String savepoint) {
        return new JobLauncher.Restore(savepoint, claimMode, allowNonRestoredState);
    }
}
