package statelab.flink;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import statelab.cli.CrashPoint;
import statelab.cli.ExitCode;
import statelab.cli.Failure;
import statelab.cli.Output;
import statelab.cli.PartialFile;
import statelab.cli.Workspace;

/**
 * A savepoint directory on a remote file system ({@code s3://…}), worked on through a local copy of it: commands
 * that read or rewrite savepoint files ({@code swap-sst}, {@code resume}'s records) do so on the copy, and what a
 * command changed in it goes back with {@link #publish}.
 *
 * <p>The copy lives in {@code $STATELAB_HOME/remote/HASH/} (the hash of the URI), with {@value #MANIFEST} saying
 * what each file was when fetched; a file is fetched again only when the remote one's size or modification time
 * differ. An object store has no rename and no in-place write, but it replaces an object whole or not at all: a
 * publish uploads the files that are new in the copy first (swap-sst's backups of the originals among them), then
 * the changed ones, {@code _metadata} last, each as one object written over the old. Interrupted at any point, the
 * bucket holds every object either as it was or as it is meant to be, and the backups before any original is
 * replaced. {@value #JOURNAL} records what is still to upload; the next {@link #stage} or {@link #publish} of the
 * same savepoint says so and finishes the upload from the copy.
 */
public final class RemoteSavepoint {
    /** In the local copy, never uploaded: what each file was when fetched. */
    public static final String MANIFEST = ".statelab-remote.json";
    /** In the local copy while a publish runs: the files still to upload. */
    public static final String JOURNAL = ".statelab-publish.json";

    /**
     * A fetched file: the remote object's size and modification time, and the local file's as fetched. {@code partial}:
     * only parts of it were fetched (see {@link #stagePartially}); it is never taken for a copy of the object.
     */
    public record Entry(long size, long modificationTime, long localModified, boolean partial) {
        Entry(long size, long modificationTime, long localModified) {
            this(size, modificationTime, localModified, false);
        }
    }

    /**
     * In the local copy, never uploaded: for each file holding holes (a {@link PartialFile} and what was written from
     * one), its holes {from, length}. A hole reads as zeros and stands for the remote object's bytes at the same
     * offsets (of the object the file was fetched from, or, for a rewrite's result, of the original it copied).
     */
    public static final String HOLES = ".statelab-holes.json";

    /** What the local copy was made from. */
    public record Manifest(String uri, Map<String, Entry> files) {}

    /**
     * What a publish wrote, in order: the files, the bytes sent from this machine, and the bytes the store copied
     * itself (server-side copies on S3, see {@link S3Objects}).
     */
    public record Published(String uri, List<String> uploaded, long bytes, long copiedInStore) {}

    /**
     * One file of a publish. {@code copyOf}: the file is a byte copy of that remote object as fetched (a backup), so
     * the store can copy it. {@code base}: the file shares most of its bytes with that one (its backup, written by an
     * earlier step), so only the rest need travel. {@code upload}: the id of a multipart upload begun for it, for the
     * next run to abort when this one was cut short.
     */
    public record Step(String name, String copyOf, String base, String upload) {
        static Step of(String name) {
            return new Step(name, null, null, null);
        }
    }

    /** The order files go up in: {@code _metadata} after every other, so that it never names an object not yet there. */
    private static final java.util.Comparator<String> METADATA_LAST = java.util.Comparator.comparing(SavepointPath.METADATA::equals);

    private RemoteSavepoint() {}

    /** The local copy's directory for {@code dir} (not made). */
    public static Path copyOf(URI dir) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(dir.toString().getBytes(StandardCharsets.UTF_8));
            return Workspace.home().resolve("remote").resolve(HexFormat.of().formatHex(hash, 0, 8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Makes (or refreshes) the local copy of the savepoint at {@code dir} with the files {@code which} accepts
     * ({@code _metadata} always) and returns its directory. Files fetched by an earlier call that are still what
     * the store holds stay; any other file in the copy that is not fetched now is removed. Fails in one line when
     * there is no savepoint there.
     */
    public static Path stage(URI dir, Predicate<String> which, Output output) {
        return stage(dir, which, true, output);
    }

    /**
     * One object, {@code file} (an SST outside any savepoint, as {@code swap-sst FILE} takes one), copied the same way:
     * returns the local copy of the file, in a copy of its directory that holds only it; with {@code partially}, a
     * {@link PartialFile} (see {@link #stagePartially}).
     */
    public static Path stageFile(URI file, boolean partially, Output output) {
        String path = file.getPath();
        String name = path.substring(path.lastIndexOf('/') + 1);
        URI dir = URI.create(file.toString().substring(0, file.toString().length() - name.length() - 1));
        Path copy = stage(dir, name::equals, partially ? name::equals : n -> false, false, output);
        if (!Files.isRegularFile(copy.resolve(name))) {
            throw Failure.of(ExitCode.NOT_FOUND, "no object at %s", file);
        }
        return copy.resolve(name);
    }

    /** Whether anything is stored at {@code location}. */
    public static boolean exists(URI location, Output output) {
        try {
            return FlinkFiles.of(location, output.progressLines()).exists(new org.apache.flink.core.fs.Path(location));
        } catch (IOException e) {
            throw Failure.of(ExitCode.FAILURE, "cannot look at %s: %s", location, FlinkFiles.cause(e));
        }
    }

    /** Whether {@code location} names one object (a file), not a directory of them. */
    public static boolean isFile(URI location, Output output) {
        try {
            return !FlinkFiles.of(location, output.progressLines()).getFileStatus(new org.apache.flink.core.fs.Path(location)).isDir();
        } catch (java.io.FileNotFoundException e) {
            return false;
        } catch (IOException e) {
            throw Failure.of(ExitCode.FAILURE, "cannot look at %s: %s", location, FlinkFiles.cause(e));
        }
    }

    private static Path stage(URI dir, Predicate<String> which, boolean savepoint, Output output) {
        return stage(dir, which, name -> false, savepoint, output);
    }

    /**
     * As {@link #stage(URI, Predicate, Output)}, where the files {@code partially} accepts (among those {@code which}
     * accepts) become {@link PartialFile}s: holes of their size, fetched as they are read, and registered, so that the
     * table code reads them through {@link PartialFile#open}. For {@code swap-sst}, which reads a few
     * MiB of a table and copies the rest.
     */
    public static Path stagePartially(URI dir, Predicate<String> which, Predicate<String> partially, Output output) {
        return stage(dir, which, partially, true, output);
    }

    private static Path stage(URI dir, Predicate<String> which, Predicate<String> partially, boolean savepoint, Output output) {
        Consumer<String> progress = output.progressLines();
        FileSystem fs = FlinkFiles.of(dir, progress);
        org.apache.flink.core.fs.Path remote = new org.apache.flink.core.fs.Path(dir);
        Path local = copyOf(dir);
        try {
            finishInterruptedPublish(local, fs, output);
            FileStatus[] listing;
            try {
                listing = fs.listStatus(remote);
            } catch (java.io.FileNotFoundException e) {
                listing = null;
            }
            if (listing == null) {
                throw Failure.of(ExitCode.NOT_FOUND, "no savepoint at %s: nothing is stored there", dir);
            }
            Map<String, FileStatus> files = new TreeMap<>();
            for (FileStatus f : listing) {
                if (!f.isDir()) {
                    files.put(f.getPath().getName(), f);
                }
            }
            if (savepoint && !files.containsKey(SavepointPath.METADATA)) {
                throw Failure.of(ExitCode.NOT_FOUND, "%s is not a savepoint: it has no %s", dir, SavepointPath.METADATA);
            }
            Files.createDirectories(local);
            Manifest before = readManifest(local).filter(m -> m.uri().equals(dir.toString())).orElse(new Manifest(dir.toString(), Map.of()));
            Map<String, Entry> entries = new TreeMap<>();
            Map<String, List<long[]>> holes = new TreeMap<>(readHoles(local));
            long fetched = 0;
            for (Map.Entry<String, FileStatus> e : files.entrySet()) {
                String name = e.getKey();
                FileStatus status = e.getValue();
                Path target = local.resolve(name);
                Entry known = before.files().get(name);
                boolean current = known != null && !known.partial() && known.size() == status.getLen()
                        && known.modificationTime() == status.getModificationTime()
                        && Files.isRegularFile(target) && Files.size(target) == status.getLen()
                        && Files.getLastModifiedTime(target).toMillis() == known.localModified();
                if (current) { // fetched by an earlier command and still what the store holds: kept, asked for or not
                    entries.put(name, known);
                    continue;
                }
                if (!(savepoint && name.equals(SavepointPath.METADATA)) && !which.test(name)) {
                    continue;
                }
                if (partially.test(name)) {
                    PartialFile file = partial(fs, status, target);
                    holes.put(name, file.holes());
                    entries.put(name, new Entry(status.getLen(), status.getModificationTime(), Files.getLastModifiedTime(target).toMillis(), true));
                    continue;
                }
                // not an AtomicFile, which syncs each file to disk: this copy is a cache, checked against the store
                // (size and modification time) on every use
                Path partial = Files.createTempFile(local, ".fetch-", ".tmp");
                try (InputStream in = fs.open(status.getPath(), 1 << 20); OutputStream out = Files.newOutputStream(partial)) {
                    // 1 MiB reads: with Files.copy's 8 KiB ones, 1 GiB from S3Proxy took 1.1 s longer (bench/s3)
                    byte[] buffer = new byte[1 << 20];
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        out.write(buffer, 0, n);
                    }
                    out.close();
                    Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } finally {
                    Files.deleteIfExists(partial);
                }
                fetched += status.getLen();
                holes.remove(name);
                entries.put(name, new Entry(status.getLen(), status.getModificationTime(), Files.getLastModifiedTime(target).toMillis()));
            }
            // what the copy holds beyond that is stale (the store's object changed or went): a publish would take it
            // for a new file and upload it over the store's
            try (var listed = Files.list(local)) {
                for (Path f : listed.toList()) {
                    String name = f.getFileName().toString();
                    if (!name.startsWith(".") && Files.isRegularFile(f) && !entries.containsKey(name)) {
                        Files.delete(f);
                    }
                }
            }
            holes.keySet().retainAll(entries.keySet());
            writeHoles(local, holes);
            writeRecord(local.resolve(MANIFEST), new Manifest(dir.toString(), entries));
            long partial = entries.values().stream().filter(Entry::partial).count();
            progress.accept("local copy of " + dir + " in " + local + " (" + fetched + " bytes fetched"
                    + (partial > 0 ? "; " + partial + " file(s) fetched as they are read" : "") + ")");
            return local;
        } catch (IOException e) {
            throw Failure.of(ExitCode.FAILURE, "cannot copy %s to %s: %s", dir, local,
                    FlinkFiles.cause(e));
        }
    }

    /**
     * {@code target} made a hole as long as the object {@code status} names, and registered as a {@link PartialFile}
     * that fetches from it. A fetch first checks that the object is still the one staged (length and modification
     * time): bytes of two versions never meet in one file.
     */
    private static PartialFile partial(FileSystem fs, FileStatus status, Path target) throws IOException {
        Path hole = Files.createTempFile(target.getParent(), ".fetch-", ".tmp");
        try {
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(hole.toFile(), "rw")) {
                f.setLength(status.getLen());
            }
            Files.move(hole, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(hole);
        }
        org.apache.flink.core.fs.Path remote = status.getPath();
        return PartialFile.of(target, status.getLen(), (offset, length, into) -> {
            FileStatus now = fs.getFileStatus(remote);
            if (now.getLen() != status.getLen() || now.getModificationTime() != status.getModificationTime()) {
                throw new IOException(remote + " changed while it was read (" + now.getLen() + " bytes now, " + status.getLen() + " then)");
            }
            copyRange(fs, remote, offset, length, into);
        }).register();
    }

    /** {@code length} bytes of the remote {@code source} from {@code offset}, written to {@code into} at the same offset. */
    private static void copyRange(FileSystem fs, org.apache.flink.core.fs.Path source, long offset, long length, java.nio.channels.FileChannel into)
            throws IOException {
        try (org.apache.flink.core.fs.FSDataInputStream in = fs.open(source, 1 << 20)) {
            in.seek(offset);
            byte[] buffer = new byte[(int) Math.min(1 << 20, length)];
            long done = 0;
            while (done < length) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, length - done));
                if (n < 0) {
                    throw new java.io.EOFException(source + " ended at byte " + (offset + done) + ", before " + (offset + length));
                }
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(buffer, 0, n);
                while (b.hasRemaining()) {
                    into.write(b, offset + done + b.position());
                }
                done += n;
            }
        }
    }

    /**
     * Records the holes of files in the local copy {@code local} (see {@link #HOLES}): a {@link PartialFile}'s, and
     * those a rewrite left in its result by copying the unfetched parts to the same offsets. An empty list: none.
     */
    public static void recordHoles(Path local, Map<String, List<long[]>> files) {
        Map<String, List<long[]>> holes = new TreeMap<>(readHoles(local));
        files.forEach((name, h) -> {
            if (h.isEmpty()) {
                holes.remove(name);
            } else {
                holes.put(name, h);
            }
        });
        writeHoles(local, holes);
    }

    static Map<String, List<long[]>> readHoles(Path local) {
        Path f = local.resolve(HOLES);
        if (!Files.isRegularFile(f)) {
            return Map.of();
        }
        try {
            return Output.mapper().readValue(f.toFile(), new com.fasterxml.jackson.core.type.TypeReference<Map<String, List<long[]>>>() {});
        } catch (IOException e) {
            throw Failure.of(ExitCode.FAILURE, "cannot read %s: %s (remove the directory to fetch the savepoint again)", f, e.getMessage());
        }
    }

    private static void writeHoles(Path local, Map<String, List<long[]>> holes) {
        try {
            if (holes.isEmpty()) {
                Files.deleteIfExists(local.resolve(HOLES));
            } else {
                writeRecord(local.resolve(HOLES), holes);
            }
        } catch (IOException e) {
            throw Failure.of(ExitCode.CANNOT_WRITE, "cannot write %s: %s", local.resolve(HOLES), e.getMessage());
        }
    }

    /** Fills {@code ranges} of the local {@code name} with the remote {@code source}'s bytes at the same offsets. */
    private static void fill(Path local, String name, List<long[]> ranges, FileSystem fs, URI source, Consumer<String> progress)
            throws IOException {
        if (ranges.isEmpty()) {
            return;
        }
        long bytes = 0;
        try (java.nio.channels.FileChannel into = java.nio.channels.FileChannel.open(local.resolve(name), java.nio.file.StandardOpenOption.WRITE)) {
            for (long[] r : ranges) {
                copyRange(fs, new org.apache.flink.core.fs.Path(source), r[0], r[1], into);
                bytes += r[1];
            }
        }
        recordHoles(local, Map.of(name, Ranges.minus(readHoles(local).getOrDefault(name, List.of()), ranges)));
        progress.accept("fetched " + bytes + " bytes of " + source + " into " + local.resolve(name) + "'s holes");
    }

    /** Number of files and bytes in the remote savepoint directory {@code dir}. */
    public static long[] measure(URI dir, Output output) {
        try {
            long[] size = new long[2];
            for (FileStatus f : FlinkFiles.of(dir, output.progressLines()).listStatus(new org.apache.flink.core.fs.Path(dir))) {
                if (!f.isDir()) {
                    size[0]++;
                    size[1] += f.getLen();
                }
            }
            return size;
        } catch (IOException e) {
            throw Failure.of(ExitCode.FAILURE, "cannot list %s: %s", dir, FlinkFiles.cause(e));
        }
    }

    /** {@code SAVEPOINT<infix>N} beside the remote savepoint {@code savepoint}, the first N not taken. */
    public static URI freeSibling(URI savepoint, String infix, Output output) {
        FileSystem fs = FlinkFiles.of(savepoint, output.progressLines());
        try {
            for (int n = 1; ; n++) {
                URI candidate = URI.create(savepoint + infix + n);
                if (!fs.exists(new org.apache.flink.core.fs.Path(candidate))) {
                    return candidate;
                }
            }
        } catch (IOException e) {
            throw Failure.of(ExitCode.FAILURE, "cannot look beside %s: %s", savepoint, FlinkFiles.cause(e));
        }
    }

    /**
     * Uploads the local savepoint directory {@code dir} as the new remote one {@code target}: every file, {@code _metadata}
     * last, so that {@code target} is a savepoint only once it is whole. A run cut short leaves a location without
     * {@code _metadata}, which every command refuses as "not a savepoint".
     */
    public static Published uploadNew(Path dir, URI target, Output output) {
        FileSystem fs = FlinkFiles.of(target, output.progressLines());
        List<String> order = new ArrayList<>();
        long bytes = 0;
        try {
            try (var listing = Files.list(dir)) {
                listing.filter(Files::isRegularFile).map(f -> f.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted()
                        .forEach(order::add);
            }
            order.sort(METADATA_LAST);
            for (String name : order) {
                org.apache.flink.core.fs.Path to = new org.apache.flink.core.fs.Path(new org.apache.flink.core.fs.Path(target), name);
                try (OutputStream out = fs.create(to, FileSystem.WriteMode.NO_OVERWRITE)) {
                    bytes += Files.copy(dir.resolve(name), out);
                }
                output.progress("uploaded %s", to);
            }
            return new Published(target.toString(), List.copyOf(order), bytes, 0);
        } catch (IOException e) {
            throw Failure.of(ExitCode.CANNOT_WRITE, "cannot upload %s to %s: %s", dir, target, FlinkFiles.cause(e));
        }
    }

    /** The remote savepoint a local copy was made from, if {@code local} is one. */
    public static java.util.Optional<URI> remoteOf(Path local) {
        return readManifest(local).map(m -> URI.create(m.uri()));
    }

    /**
     * Uploads what changed in the local copy {@code local} since it was fetched: new files, then changed ones,
     * {@code _metadata} last (see the class comment). Returns what it uploaded; nothing when nothing changed.
     */
    public static Published publish(Path local, Output output) {
        return publish(local, Map.of(), output);
    }

    /**
     * As {@link #publish(Path, Output)}, where each of {@code backups} (a new file's name → the name of the file it
     * is the original of) is a byte copy of that file as it was fetched, as {@code swap-sst} keeps one. On S3 such a
     * backup is copied inside the store, and the file it backs up goes up as the ranges that changed (the rest copied
     * from the backup); elsewhere, and whenever the store cannot, both are uploaded whole.
     */
    public static Published publish(Path local, Map<String, String> backups, Output output) {
        Consumer<String> progress = output.progressLines();
        URI dir = remoteOf(local).orElseThrow(() -> Failure.of(ExitCode.USAGE, "%s is not a local copy of a remote savepoint", local));
        FileSystem fs = FlinkFiles.of(dir, progress);
        try {
            finishInterruptedPublish(local, fs, output);
            Manifest manifest = readManifest(local).orElseThrow();
            List<String> order = new ArrayList<>();
            List<String> changed = new ArrayList<>();
            try (var listing = Files.list(local)) {
                for (Path f : listing.sorted().toList()) {
                    String name = f.getFileName().toString();
                    if (name.startsWith(".") || !Files.isRegularFile(f)) { // this copy's own records and temporary files
                        continue;
                    }
                    Entry known = manifest.files().get(name);
                    BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
                    if (known == null) {
                        order.add(name); // new: backups and records, before anything is replaced
                    } else if (a.size() != known.size() || a.lastModifiedTime().toMillis() != known.localModified()) {
                        changed.add(name);
                    }
                }
            }
            // backups before StateLab's records (a UUID-named SST's backup can sort after "_statelab-…"), each kind
            // in name order; _metadata after every other changed file
            order.sort(java.util.Comparator.comparing((String n) -> !n.endsWith(".bak")).thenComparing(n -> n));
            changed.sort(METADATA_LAST);
            order.addAll(changed);
            if (order.isEmpty()) {
                return new Published(dir.toString(), List.of(), 0, 0);
            }
            Map<String, String> originals = new java.util.HashMap<>();
            backups.forEach((backup, original) -> originals.put(original, backup));
            // a backup goes first: its original's new version can then be made from it
            List<Step> steps = order.stream().map(name -> new Step(name,
                    backups.containsKey(name) && manifest.files().containsKey(backups.get(name)) ? backups.get(name) : null,
                    originals.containsKey(name) && order.subList(0, order.indexOf(name)).contains(originals.get(name)) ? originals.get(name) : null,
                    null)).toList();
            writeRecord(local.resolve(JOURNAL), steps);
            return upload(local, dir, fs, steps, manifest, progress);
        } catch (IOException e) {
            throw Failure.of(ExitCode.CANNOT_WRITE, "cannot upload to %s: %s (the local copy in %s is kept; run the command again to finish)",
                    dir, FlinkFiles.cause(e), local);
        }
    }

    private static Published upload(Path local, URI dir, FileSystem fs, List<Step> steps, Manifest manifest, Consumer<String> progress)
            throws IOException {
        Map<String, Entry> entries = new LinkedHashMap<>(manifest.files());
        long bytes = 0;
        long copied = 0;
        List<Step> pending = new ArrayList<>(steps);
        try (InStore store = new InStore(dir, progress)) {
            for (Step step : steps) {
                Path file = local.resolve(step.name());
                URI targetUri = child(dir, step.name());
                org.apache.flink.core.fs.Path target = new org.apache.flink.core.fs.Path(targetUri);
                if (step.upload() != null) {
                    store.abort(targetUri, step.upload());
                }
                boolean copyable = step.copyOf() != null && unchanged(fs, dir, step.copyOf(), manifest)
                        && Files.size(file) == manifest.files().get(step.copyOf()).size();
                long[] moved = null;
                if (copyable) {
                    moved = store.copy(child(dir, step.copyOf()), targetUri);
                } else if (step.base() != null && store.composes()) {
                    int at = pending.indexOf(step);
                    moved = compose(store, fs, local, dir, step, progress, id -> {
                        pending.set(at, new Step(step.name(), step.copyOf(), step.base(), id));
                        writeRecord(local.resolve(JOURNAL), pending);
                    });
                }
                if (moved == null) {
                    // a file with holes goes up whole only once they hold the bytes they stand for
                    fill(local, step.name(), readHoles(local).getOrDefault(step.name(), List.of()), fs, holesSource(dir, step), progress);
                    moved = new long[] {writeWhole(fs, file, target), 0};
                }
                bytes += moved[0];
                copied += moved[1];
                FileStatus status = fs.getFileStatus(target);
                entries.put(step.name(), new Entry(status.getLen(), status.getModificationTime(), Files.getLastModifiedTime(file).toMillis(),
                        readHoles(local).containsKey(step.name())));
                pending.removeIf(p -> p.name().equals(step.name()));
                writeRecord(local.resolve(JOURNAL), pending);
                progress.accept("uploaded " + target + " (" + status.getLen() + " bytes" + (moved[1] > 0 ? ", " + moved[1] + " of them copied inside the store" : "") + ")");
                if (!pending.isEmpty()) {
                    CrashPoint.reached("publish-between-uploads");
                }
            }
        }
        writeRecord(local.resolve(MANIFEST), new Manifest(dir.toString(), entries));
        Files.deleteIfExists(local.resolve(JOURNAL));
        return new Published(dir.toString(), steps.stream().map(Step::name).toList(), bytes, copied);
    }

    /**
     * Writes {@code file} whole as {@code target}. An object store replaces an object whole or not at all, so there it
     * is written in place. A file system with a rename (HDFS) shows a file being written at its partial length, so
     * there it is written beside the target ({@code NAME.statelab-tmp}, a stale one removed first) and renamed over
     * it: the target is the old file or the new one, but for the moment between removing the old and the rename
     * (Hadoop's rename does not replace a file), when it is missing. A run stopped there leaves the backup, and the
     * next command uploads the file again from the local copy (the journal names it).
     */
    static long writeWhole(FileSystem fs, Path file, org.apache.flink.core.fs.Path target) throws IOException {
        if (!FlinkPlugins.servesHdfs(target.toUri().getScheme())) {
            try (OutputStream out = fs.create(target, FileSystem.WriteMode.OVERWRITE)) {
                return Files.copy(file, out);
            }
        }
        org.apache.flink.core.fs.Path tmp = new org.apache.flink.core.fs.Path(target.getParent(), target.getName() + ".statelab-tmp");
        fs.delete(tmp, false);
        long n;
        try (OutputStream out = fs.create(tmp, FileSystem.WriteMode.NO_OVERWRITE)) {
            n = Files.copy(file, out);
        }
        fs.delete(target, false);
        if (!fs.rename(tmp, target)) {
            throw new IOException("the file system did not rename " + tmp + " to " + target);
        }
        return n;
    }

    /**
     * The remote object whose bytes the holes of {@code step}'s file stand for, at the same offsets: the original a
     * backup copies, else the backup the file was rewritten from, else the object it replaces (still the original:
     * this step is the one that replaces it).
     */
    private static URI holesSource(URI dir, Step step) {
        return child(dir, step.copyOf() != null ? step.copyOf() : step.base() != null ? step.base() : step.name());
    }

    /**
     * {@code step}'s file written from the bytes it shares with its base (copied in the store) and the rest (uploaded),
     * by {@link InStore#compose}; null when too little is shared. Files with holes ({@link #HOLES}, none for a copy
     * fetched whole): a hole reads as zeros in both files, so the comparison of the two may only pass over holes they
     * share (there both stand for the base's bytes). Fetches into each file the holes the other does not have, compares
     * the shared end only above the last hole, and fetches the holes inside the ranges that go up; what is copied in
     * the store may stay holes.
     */
    private static long[] compose(InStore store, FileSystem fs, Path local, URI dir, Step step, Consumer<String> progress,
                                  Consumer<String> started) throws IOException {
        URI baseObject = child(dir, step.base());
        Path base = local.resolve(step.base());
        Path result = local.resolve(step.name());
        long baseLength = Files.size(base);
        long resultLength = Files.size(result);
        long common = Math.min(baseLength, resultLength);
        Map<String, List<long[]>> holes = readHoles(local);
        List<long[]> inBase = holes.getOrDefault(step.base(), List.of());
        List<long[]> inResult = holes.getOrDefault(step.name(), List.of());
        fill(local, step.base(), Ranges.union(Ranges.minus(Ranges.within(inBase, 0, common), inResult),
                Ranges.within(inBase, common, baseLength)), fs, baseObject, progress);
        fill(local, step.name(), Ranges.union(Ranges.minus(Ranges.within(inResult, 0, common), inBase),
                Ranges.within(inResult, common, resultLength)), fs, baseObject, progress);
        // the holes are now the same in both: the bytes of the base object at those offsets, never read here
        List<long[]> shared = readHoles(local).getOrDefault(step.name(), List.of());
        long known = !shared.isEmpty() && shared.get(0)[0] == 0 ? shared.get(0)[1] : 0;
        S3Objects.Shared compared;
        try {
            compared = S3Objects.shared(base, result, known, Ranges.end(shared));
        } catch (IOException e) {
            throw Failure.of(ExitCode.FAILURE, "cannot write %s from %s: %s", child(dir, step.name()), baseObject, e.getMessage());
        }
        List<S3Objects.Part> parts = S3Objects.plan(compared);
        if (parts.isEmpty()) {
            return null; // uploaded whole, after the holes are filled
        }
        List<long[]> uploaded = parts.stream().filter(p -> p instanceof S3Objects.Upload).map(p -> new long[] {p.from(), p.length()}).toList();
        fill(local, step.name(), Ranges.intersect(readHoles(local).getOrDefault(step.name(), List.of()), uploaded), fs, baseObject, progress);
        return store.compose(child(dir, step.name()), baseObject, baseLength, result, parts, started);
    }

    private static URI child(URI dir, String name) {
        return new org.apache.flink.core.fs.Path(new org.apache.flink.core.fs.Path(dir), name).toUri();
    }

    /** Whether the remote {@code name} in {@code dir} is still the object the manifest says was fetched. */
    private static boolean unchanged(FileSystem fs, URI dir, String name, Manifest manifest) throws IOException {
        Entry known = manifest.files().get(name);
        try {
            FileStatus status = fs.getFileStatus(new org.apache.flink.core.fs.Path(child(dir, name)));
            // to the second: a listing and a HEAD request may say the same time with and without its milliseconds
            return known != null && status.getLen() == known.size() && status.getModificationTime() / 1000 == known.modificationTime() / 1000;
        } catch (java.io.FileNotFoundException e) {
            return false;
        }
    }

    /**
     * Server-side copies for one publish, when the store offers them ({@link S3Objects}); otherwise, or when the
     * store refuses one as not implemented, each method returns null and the caller uploads the file whole.
     */
    private static final class InStore implements AutoCloseable {
        private final URI dir;
        private final Consumer<String> progress;
        private java.util.Optional<S3Objects> s3; // made at the first step that can use it
        private boolean refused;

        InStore(URI dir, Consumer<String> progress) {
            this.dir = dir;
            this.progress = progress;
        }

        private java.util.Optional<S3Objects> s3() {
            if (s3 == null) {
                s3 = S3Objects.open(dir, FlinkFiles.configuration(), progress);
            }
            return s3;
        }

        long[] copy(URI from, URI to) {
            return run(s -> new long[] {0, s.copy(from, to)}, "copy " + from + " to " + to);
        }

        /** Whether {@link #compose} can be asked: there is a client, and the store has not refused server-side copies. */
        boolean composes() {
            return !refused && s3().isPresent();
        }

        long[] compose(URI target, URI base, long baseLength, Path result, List<S3Objects.Part> parts, Consumer<String> started) {
            return run(s -> s.compose(target, base, baseLength, result, parts, started).map(m -> new long[] {m.uploaded(), m.copied()}).orElse(null),
                    "write " + target + " from " + base);
        }

        void abort(URI target, String id) {
            s3().ifPresent(s -> {
                try {
                    s.abort(target, id);
                } catch (RuntimeException e) {
                    progress.accept("could not abort the interrupted upload " + id + " to " + target + ": " + S3Objects.cause(e));
                }
            });
        }

        private long[] run(java.util.function.Function<S3Objects, long[]> call, String what) {
            if (refused || s3().isEmpty()) {
                return null;
            }
            try {
                return call.apply(s3.get());
            } catch (java.io.UncheckedIOException e) {
                throw Failure.of(ExitCode.FAILURE, "cannot %s: %s", what, e.getCause().getMessage());
            } catch (RuntimeException e) {
                if (S3Objects.unsupported(e)) {
                    refused = true;
                    progress.accept("no server-side copies here (" + S3Objects.cause(e) + "): uploading whole");
                    return null;
                }
                throw Failure.of(ExitCode.CANNOT_WRITE, "cannot %s: %s", what, S3Objects.cause(e));
            }
        }

        @Override
        public void close() {
            if (s3 != null) {
                s3.ifPresent(S3Objects::close);
            }
        }
    }

    /** A journal left by a publish that was cut short: says so, and uploads the rest from the copy. */
    private static void finishInterruptedPublish(Path local, FileSystem fs, Output output) throws IOException {
        Path journal = local.resolve(JOURNAL);
        if (!Files.isRegularFile(journal)) {
            return;
        }
        List<Step> pending = new ArrayList<>();
        for (com.fasterxml.jackson.databind.JsonNode n : Output.mapper().readTree(journal.toFile())) {
            // a journal of an earlier StateLab lists names only
            pending.add(n.isTextual() ? Step.of(n.asText()) : Output.mapper().treeToValue(n, Step.class));
        }
        Manifest manifest = readManifest(local).orElseThrow(() -> Failure.of(ExitCode.FAILURE,
                "%s holds %s but no %s: remove the directory and run again", local, JOURNAL, MANIFEST));
        output.warn("an earlier upload to %s was interrupted with %d file(s) still to upload (%s); uploading them now from %s",
                manifest.uri(), pending.size(), String.join(", ", pending.stream().map(Step::name).toList()), local);
        upload(local, URI.create(manifest.uri()), fs, pending, manifest, output.progressLines());
    }

    /** The manifest or the journal, as JSON, written whole or not at all. */
    private static void writeRecord(Path file, Object record) {
        Workspace.writeAtomically(file, Output.toJson(record).getBytes(StandardCharsets.UTF_8));
    }

    private static java.util.Optional<Manifest> readManifest(Path local) {
        Path m = local.resolve(MANIFEST);
        if (!Files.isRegularFile(m)) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of(Output.mapper().readValue(m.toFile(), Manifest.class));
        } catch (IOException e) {
            throw Failure.of(ExitCode.FAILURE, "cannot read %s: %s (remove it to fetch the savepoint again)", m, e.getMessage());
        }
    }
}
