package statelab.cli;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A new version of a file, written to a temporary file in the target's own directory and moved over the
 * target in one atomic rename once it is complete and on disk. Until then the target is untouched: a crash,
 * a kill or an error leaves the original as it was (and, short of SIGKILL, no temporary file either).
 * Optionally the original is kept as {@code <name>.bak} (a hard link: no copy, no extra space).
 */
public final class AtomicFile implements AutoCloseable {
    private static final Set<Path> PENDING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> PENDING.forEach(p -> p.toFile().delete()), "statelab-temp-cleanup"));
    }

    private final Path target;
    private final Path tmp;
    private boolean committed;

    private AtomicFile(Path target, Path tmp) {
        this.target = target;
        this.tmp = tmp;
    }

    /** Starts a new version of {@code target}; {@link ExitCode#CANNOT_WRITE} when its directory is not writable. */
    public static AtomicFile beside(Path target) {
        Path dir = target.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
            sweep(dir, target.getFileName().toString());
            Path tmp = createTemp(dir, prefix(target.getFileName().toString()) + ProcessHandle.current().pid() + "-");
            PENDING.add(tmp);
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system: keep the default permissions
            }
            return new AtomicFile(target.toAbsolutePath(), tmp);
        } catch (IOException e) {
            throw Failure.of(ExitCode.CANNOT_WRITE, "cannot write in %s: %s", dir, reason(e));
        }
    }

    /** Numbers the temporary files of this process; the pid in their names keeps other processes' apart. */
    private static final java.util.concurrent.atomic.AtomicLong NEXT = new java.util.concurrent.atomic.AtomicLong();

    /**
     * A new empty file {@code <prefix><n>.tmp}, created only if it did not exist. Not {@link Files#createTempFile},
     * whose random names start a {@code SecureRandom} (about 35 ms of a command's start, bench/sst-engine): the pid
     * in the prefix and a counter make the name unique, and a file left by an earlier process with the same pid is
     * stepped over.
     */
    private static Path createTemp(Path dir, String prefix) throws IOException {
        while (true) {
            Path tmp = dir.resolve(prefix + NEXT.incrementAndGet() + ".tmp");
            try {
                return Files.createFile(tmp);
            } catch (FileAlreadyExistsException taken) {
                // a killed run with this pid left it (the sweep spares a file whose pid is alive: this one's)
            }
        }
    }

    private static String prefix(String name) {
        return "." + name + ".";
    }

    /**
     * Deletes the temporary files of {@code name} that runs killed before their rename left behind
     * ({@code .<name>.<pid>-<random>.tmp} whose process is gone): the next run on a file cleans up after the
     * last. A temporary file of a live process (this one included) is left alone. Process ids are those of
     * this machine's (or container's) process table: run two writers of one file from different containers
     * at once and one may take the other's file for stale.
     */
    private static void sweep(Path dir, String name) throws IOException {
        sweep(dir, prefix(name), false);
    }

    /**
     * Deletes every temporary file in {@code dir} that a run killed before its rename left behind, whatever
     * file it was for ({@code .<name>.<pid>-<random>.tmp} whose process is gone); returns how many. A run that
     * only reads a directory (a dry run) cleans up this way too.
     */
    public static int sweep(Path dir) throws IOException {
        return sweep(dir, ".", true);
    }

    private static int sweep(Path dir, String prefix, boolean anyName) throws IOException {
        int deleted = 0;
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String n = p.getFileName().toString();
                if (!n.startsWith(prefix) || !n.endsWith(".tmp")) {
                    continue;
                }
                // .<name>.<pid>-<random>.tmp: the pid is the last dot-separated part before the dash
                String rest = anyName ? n.substring(n.lastIndexOf('.', n.length() - 5) + 1) : n.substring(prefix.length());
                int dash = rest.indexOf('-');
                if (dash < 1 || !rest.substring(0, dash).chars().allMatch(Character::isDigit)) {
                    continue;
                }
                long pid = Long.parseLong(rest.substring(0, dash));
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    continue;
                }
                if (Files.deleteIfExists(p)) {
                    deleted++;
                }
            }
        }
        return deleted;
    }

    /** Where to write the new version. */
    public Path tmp() {
        return tmp;
    }

    /** The backup {@link #commit} keeps when asked: {@code <name>.bak} beside the target. */
    public static Path backupOf(Path target) {
        return target.resolveSibling(target.getFileName() + ".bak");
    }

    /** Puts the new version in place: flush it to disk, keep a backup if asked, rename it over the target. */
    public void commit(boolean backup) {
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            CrashPoint.reached("tmp-synced");
            if (backup && Files.exists(target)) {
                try {
                    Files.createLink(backupOf(target), target);
                } catch (FileAlreadyExistsException e) {
                    throw Failure.of(ExitCode.CONFLICT, "backup %s already exists; move it away first", backupOf(target));
                } catch (UnsupportedOperationException | IOException e) {
                    Files.copy(target, backupOf(target), StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            committed = true;
            PENDING.remove(tmp);
            try (FileChannel dir = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
                dir.force(true);
            } catch (IOException ignored) {
                // not every file system lets a directory be synced; the rename itself is done
            }
        } catch (IOException e) {
            throw Failure.of(ExitCode.CANNOT_WRITE, "cannot replace %s: %s", target, reason(e));
        }
    }

    @Override
    public void close() {
        if (!committed) {
            tmp.toFile().delete();
            PENDING.remove(tmp);
        }
    }

    private static String reason(IOException e) {
        String type = e.getClass().getSimpleName().replace("Exception", "");
        return e.getMessage() == null ? type : type + ": " + e.getMessage();
    }
}
