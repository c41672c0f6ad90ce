package statelab.flink;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import statelab.cli.ExitCode;
import statelab.cli.Failure;
import statelab.cli.Output;

/**
 * Savepoint locations as users and Flink write them ({@code /dir}, {@code file:/dir}, {@code file:///dir}, or
 * the {@code _metadata} file itself), turned into the local directory and checked.
 */
public final class SavepointPath {
    public static final String METADATA = "_metadata";

    private SavepointPath() {}

    /** The local path of {@code location}, without checking that it exists. */
    public static Path local(String location) {
        String s = location.strip();
        try {
            Path p = s.startsWith("file:") ? Path.of(URI.create(s)) : Path.of(s);
            return p.toAbsolutePath().normalize();
        } catch (RuntimeException e) {
            throw Failure.of(ExitCode.USAGE, "'%s' is not a local path or file: URI", location);
        }
    }

    /**
     * The savepoint at {@code location} as a directory to read: itself, or for one on a remote file system
     * ({@code s3://…}) a local copy of it ({@link RemoteSavepoint#stage}).
     */
    public static Path readable(String location, Output output) {
        return FlinkFiles.isRemote(location) ? RemoteSavepoint.stage(FlinkFiles.uri(location), name -> true, output) : directory(location);
    }

    /**
     * The savepoint at {@code location} as a directory holding its {@value #METADATA} and StateLab's records
     * ({@code _statelab-*.json}): itself, or for one on a remote file system a local copy with those files only
     * (what {@code resume} reads; the SSTs stay in the store).
     */
    public static Path records(String location, Output output) {
        return FlinkFiles.isRemote(location)
                ? RemoteSavepoint.stage(FlinkFiles.uri(location), name -> name.startsWith("_statelab-"), output) : directory(location);
    }

    /**
     * The savepoint at {@code location} as Flink takes it to restore from, checked: a local directory's path, or a
     * remote URI ({@code s3://…}) whose {@value #METADATA} is there (fetched into the local copy to be sure).
     */
    public static String restorable(String location, Output output) {
        if (!FlinkFiles.isRemote(location)) {
            return directory(location).toString();
        }
        URI uri = FlinkFiles.uri(location);
        RemoteSavepoint.stage(uri, name -> false, output);
        return uri.toString();
    }

    /** The savepoint directory at {@code location}; fails unless it exists and holds {@value #METADATA}. */
    public static Path directory(String location) {
        Path p = local(location);
        if (p.getFileName() != null && p.getFileName().toString().equals(METADATA) && Files.isRegularFile(p)) {
            p = p.getParent();
        }
        if (!Files.exists(p)) {
            throw Failure.of(ExitCode.NOT_FOUND, "no savepoint at %s: the path does not exist", p);
        }
        if (!Files.isDirectory(p)) {
            throw Failure.of(ExitCode.NOT_FOUND, "no savepoint at %s: not a directory", p);
        }
        if (!Files.isRegularFile(p.resolve(METADATA))) {
            throw Failure.of(ExitCode.NOT_FOUND, "%s is not a savepoint: it has no %s", p, METADATA);
        }
        return p;
    }
}
