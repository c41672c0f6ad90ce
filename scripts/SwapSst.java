///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//JAVA_OPTIONS -XX:TieredStopAtLevel=1
//SOURCES lib/cli/*.java
//SOURCES lib/flink/*.java
//SOURCES lib/savepoint/*.java
//SOURCES lib/sst/format/*.java
//SOURCES lib/sst/rewrite/*.java
//DESCRIPTION Rewrite the values of the last N entries of a savepoint's RocksDB SST file; print the savepoint path.
package statelab;

import java.io.DataOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import statelab.cli.AtomicFile;
import statelab.cli.ClassDataArchive;
import statelab.cli.CommandRunner;
import statelab.cli.ExitCode;
import statelab.cli.Failure;
import statelab.cli.HexBytes;
import statelab.cli.KebabEnum;
import statelab.cli.Output;
import statelab.cli.PartialFile;
import statelab.cli.PipeInput;
import statelab.flink.FlinkFiles;
import statelab.flink.RemoteSavepoint;
import statelab.flink.SavepointPath;
import statelab.flink.TamperLog;
import statelab.savepoint.FlinkKeyCodec;
import statelab.savepoint.SavepointLayout;
import statelab.savepoint.SavepointLayout.StateFile;
import statelab.savepoint.SstFile;
import statelab.savepoint.SstRewriter;
import statelab.savepoint.SstRewriter.Change;
import statelab.savepoint.SstRewriter.Plan;
import statelab.sst.rewrite.BlockPatch;
import statelab.sst.rewrite.BlockRewriter;
import statelab.sst.rewrite.InPlacePatch;

/**
 * {@code swap-sst [SAVEPOINT|SST]}: the seed's tampering, done with RocksDB's SstFileReader/SstFileWriter.
 * The target SST is found from {@code _metadata} (the newest SST of the operator with the most RocksDB state,
 * or {@code --file}, {@code --operator}, {@code --subtask}; {@code --largest} keeps the seed's rule), rewritten
 * as a whole with the values of its last N entries replaced, and moved into place atomically. SSTs that Flink
 * inlined into {@code _metadata} are rewritten there, and {@code _metadata} is written anew. Prints the
 * savepoint directory (or the SST, when given one) so a pipeline goes on to {@code resume}.
 */
@Command(name = "swap-sst", mixinStandardHelpOptions = true, version = "StateLab swap-sst (rocksdbjni 10.10.1)",
        description = {"Replace the values of the last N entries (in key order) of an SST of a native savepoint.",
                "Takes a savepoint directory (argument or stdin) or a single SST file; prints the same path."})
public final class SwapSst implements Callable<Integer>, ClassDataArchive.Exercised {
    @Mixin Output output;

    @Parameters(index = "0", arity = "0..1", paramLabel = "PATH",
            description = "Savepoint directory (or its _metadata), or one SST file, or a savepoint on S3 (s3://BUCKET/PATH, docs/remote.md) (default: read from stdin).")
    String pathArg;

    @Option(names = {"-n", "--last"}, paramLabel = "N", defaultValue = "5",
            description = "How many entries, counted from the last key, get the new value (default: ${DEFAULT-VALUE}).")
    int last;

    @Option(names = "--value", paramLabel = "HEX", defaultValue = "0000000000000000",
            description = "The new value, in hex (default: ${DEFAULT-VALUE}, a big-endian double 0.0, as the seed).")
    String valueHex;

    @Option(names = "--file", paramLabel = "NAME", description = "The SST to rewrite: RocksDB name (000015.sst) or savepoint file name.")
    String file;

    @Option(names = "--operator", paramLabel = "UID", description = "Pick the SST among this operator's (uid, name or id).")
    String operator;

    @Option(names = "--subtask", paramLabel = "N", description = "Pick the SST among this subtask's (default: the lowest).")
    Integer subtask;

    @Option(names = "--state", paramLabel = "NAME",
            description = "Pick the SST among this keyed state's (its name is its RocksDB column family), of any operator.")
    String state;

    @Option(names = "--largest", description = "The seed's rule: the largest file of the directory, whatever it is.")
    boolean largest;

    /** How the SST is rewritten: the rows of {@code experiment --matrix}, from the most visible tamper to the least. */
    public enum Mode {
        /** Every entry read and written again by RocksDB's SstFileReader and SstFileWriter: a new table (new unique ID, new size). */
        full("whole file rewritten by RocksDB: new unique ID, new size"),
        /**
         * Untouched data blocks copied as raw bytes, only changed blocks re-encoded: same unique ID, tombstones and merge
         * operands kept, a new size (a Snappy block that happens to compress to its old length is stored a byte longer).
         */
        block("changed blocks re-encoded: same unique ID, new size"),
        /** As block, every changed block re-encoded to its old length: same unique ID, same size, checksums recomputed. */
        same_size("changed blocks re-encoded to their old length: same unique ID, same size, checksums recomputed"),
        /** As same-size, but the changed blocks keep their old checksums: the values change, the checksums no longer match. */
        corrupt("as same-size, but the changed blocks keep their old checksums");

        /** What this mode changes, in the words of the matrix. */
        public final String changes;

        Mode(String changes) {
            this.changes = changes;
        }

        /** As the user types it (and --json writes it): {@code same-size}. */
        @com.fasterxml.jackson.annotation.JsonValue
        @Override
        public String toString() {
            return KebabEnum.name(this);
        }

        /** Modes that keep every byte's place, so the change can be patched into the file itself (--in-place). */
        public boolean keepsSize() {
            return this == same_size || this == corrupt;
        }

        /** The mode a user typed: {@code full}, {@code block}, {@code same-size} or {@code corrupt}. */
        public static Mode parse(String s) {
            return KebabEnum.parse(Mode.class, s);
        }
    }

    @Option(names = "--mode", paramLabel = "MODE", defaultValue = "block", converter = ModeConverter.class,
            completionCandidates = ModeCandidates.class,
            description = {"full: every entry rewritten through RocksDB (new table, new size); block: changed blocks "
                    + "re-encoded, untouched ones copied raw (same unique ID, new size; tombstones and merge operands kept); "
                    + "same-size: changed blocks re-encoded to their old length (same unique ID and size, checksums recomputed); "
                    + "corrupt: as same-size, old checksums kept (default: ${DEFAULT-VALUE})."})
    Mode mode;

    /** picocli reads {@code same-size}, the enum is {@code same_size}. */
    static final class ModeConverter extends KebabEnum.Converter<Mode> {
        ModeConverter() {
            super(Mode.class);
        }
    }

    /** The modes as typed, for completion and help. */
    static final class ModeCandidates extends KebabEnum.Candidates<Mode> {
        ModeCandidates() {
            super(Mode.class);
        }
    }

    @Option(names = "--in-place", description = "With --mode same-size or corrupt: patch only the changed bytes of the SST "
            + "itself (crash-safe: an undo record first, rolled back by the next run if the patch was interrupted).")
    boolean inPlace;

    @Option(names = "--backup", description = "Keep the original as <name>.bak (_metadata.bak for an inlined SST).")
    boolean backup;

    @Option(names = "--dry-run", description = "Print what would change (keys and values decoded); write nothing.")
    boolean dryRun;

    public record Changed(String key, String keyHex, String oldValue, String oldHex, String newValue, String newHex) {}

    /**
     * What swap-sst prints with --json. {@code bytesWritten} is what went to disk for the SST: the whole file,
     * or with {@code inPlace} the patched regions only; for a savepoint on S3, the bytes sent to the store (what the
     * store copied itself not counted). {@code bytesFetched}: on S3, the bytes of the SST fetched from the store (the
     * block engine reads a few MiB of it); null on local disk, and with {@code --mode full}, which fetches it whole.
     */
    public record Swapped(String savepoint, String sst, String rocksdbName, String operator, Integer subtask, String columnFamily,
                          boolean inline, long entries, List<Changed> changed, long bytesBefore, long bytesAfter, String backup,
                          boolean dryRun, long millis, Mode mode, boolean inPlace, long bytesWritten, Long bytesFetched) {}

    /**
     * The tamper to make: the typed form of this command's options. {@code path} is a savepoint directory (or its
     * {@code _metadata}) or one SST file; {@code file}, {@code operator}, {@code subtask} and {@code largest}
     * choose the SST within a savepoint.
     */
    public record Request(Path path, int last, byte[] value, String file, String operator, Integer subtask, String state,
                          Mode mode, boolean inPlace, boolean largest, boolean backup, boolean dryRun) {
        /** The seed's tamper on a savepoint: the last {@code last} values of its newest SST set to {@code value}, by {@code mode}. */
        public static Request lastValues(Path savepoint, int last, byte[] value, Mode mode, boolean largest) {
            return new Request(savepoint, last, value, null, null, null, null, mode, false, largest, false, false);
        }
    }

    /** Run while the class-data archive is written (see ClassDataArchive): the table format's own paths. */
    @Override
    public void exercise() {
        statelab.sst.format.StoredBlock.exercise();
    }

    @Override
    public Integer call() throws IOException {
        byte[] value = HexBytes.parse("--value", valueHex);
        checkSelection(last, largest, file != null || operator != null || subtask != null || state != null);
        String location = PipeInput.argumentOrStdin(pathArg, "savepoint", "savepoint path", "savepoint");
        if (FlinkFiles.isRemote(location)) {
            if (inPlace) {
                throw Failure.of(ExitCode.USAGE, "--in-place needs a file on this machine's disk: an object store (%s) replaces an "
                        + "object whole, never some of its bytes", FlinkFiles.uri(location).getScheme() + "://");
            }
            Swapped result = swapRemote(FlinkFiles.uri(location), new Request(null, last, value, file, operator, subtask, state, mode,
                    false, largest, backup, dryRun), output);
            output.result(dryRun ? describe(result) : result.savepoint(), result);
            return ExitCode.OK.code;
        }
        Path path = SavepointPath.local(location);
        Swapped result = swap(new Request(path, last, value, file, operator, subtask, state, mode, inPlace, largest, backup, dryRun),
                output);
        output.result(dryRun ? describe(result) : result.savepoint(), result);
        return ExitCode.OK.code;
    }

    /**
     * The same tamper on a savepoint on a remote file system ({@code s3://…}): made on a local copy, then the
     * changed files uploaded, backups first and {@code _metadata} last ({@link RemoteSavepoint#publish}). The
     * original is always kept as {@code NAME.bak} (as {@code --backup} does locally). What it prints names the remote
     * objects.
     */
    public static Swapped swapRemote(URI savepoint, Request request, Output output) throws IOException {
        // one SST object (s3://bucket/x.sst), as swap-sst FILE takes one on disk; else a savepoint's directory
        boolean single = RemoteSavepoint.isFile(savepoint, output);
        // the block engine reads a few MiB of a table and copies the rest: it gets a partial copy, fetched as read
        // (RocksDB's own reader, --mode full, reads the file whole)
        boolean partially = request.mode() != Mode.full;
        Path target;
        java.util.function.Consumer<StateFile> fetch = f -> {};
        if (single) {
            target = RemoteSavepoint.stageFile(savepoint, partially, output);
        } else if (request.largest() || request.state() != null) {
            target = RemoteSavepoint.stage(savepoint, name -> true, output); // every SST's size, or every SST's column family
        } else {
            // _metadata and StateLab's records, then what is not an SST (RocksDB's small files, the keyed backend's
            // meta data), then an SST when the rewrite reads it: the candidates for the target, newest first
            target = RemoteSavepoint.stage(savepoint, name -> name.startsWith("_"), output);
            Set<String> ssts = SavepointLayout.load(target).files().stream().filter(f -> f.kind() == SavepointLayout.Kind.SST && !f.inline())
                    .map(StateFile::fileName).collect(java.util.stream.Collectors.toSet());
            RemoteSavepoint.stage(savepoint, name -> !ssts.contains(name) && !ssts.contains(name.replaceFirst("\\.bak$", "")), output);
            fetch = f -> {
                if (!f.inline() && !Files.isRegularFile(f.path())) {
                    Predicate<String> it = name -> name.equals(f.fileName()) || name.equals(f.fileName() + ".bak");
                    RemoteSavepoint.stagePartially(savepoint, it, partially ? it : name -> false, output);
                }
            };
        }
        Path copy = single ? target.getParent() : target;
        if (single && !request.dryRun()) { // (a savepoint's copy holds its backups, and swap refuses one that exists)
            if (RemoteSavepoint.exists(URI.create(savepoint + ".bak"), output)) {
                throw Failure.of(ExitCode.CONFLICT, "backup %s.bak already exists; move it away first", savepoint);
            }
            Files.deleteIfExists(AtomicFile.backupOf(target)); // one left in the copy by an earlier swap, gone from the store since
        }
        // always with a backup: on an object store it is the way back, uploaded before the original is replaced
        Swapped local;
        Long fetched;
        try {
            local = new Rewrite(new Request(target, request.last(), request.value(), request.file(), request.operator(), request.subtask(),
                    request.state(), request.mode(), false, request.largest(), true, request.dryRun()), output, fetch).run();
            fetched = recordHoles(copy, local);
        } finally {
            PartialFile.unregisterUnder(copy); // a failed rewrite too: a REPL's next command must not read through them
        }
        long sent = 0;
        if (!request.dryRun()) {
            // the backup is the original as fetched: on S3 the store copies it, and the result goes up as its changed ranges
            String backup = local.backup() == null ? null : copy.relativize(Path.of(local.backup())).toString();
            Map<String, String> backups = backup == null || !backup.endsWith(".bak") ? Map.of()
                    : Map.of(backup, backup.substring(0, backup.length() - ".bak".length()));
            RemoteSavepoint.Published published = RemoteSavepoint.publish(copy, backups, output);
            sent = published.bytes();
            output.progress("uploaded %d file(s) to %s: %d bytes sent, %d copied inside the store", published.uploaded().size(), savepoint,
                    published.bytes(), published.copiedInStore());
        }
        URI base = single ? URI.create(savepoint.toString().substring(0, savepoint.toString().lastIndexOf('/'))) : savepoint;
        java.util.function.UnaryOperator<String> remote = p -> p == null ? null
                : Path.of(p).startsWith(copy) ? base + "/" + copy.relativize(Path.of(p)) : p;
        return new Swapped(savepoint.toString(), remote.apply(local.sst()), local.rocksdbName(), local.operator(), local.subtask(),
                local.columnFamily(), local.inline(), local.entries(), local.changed(), local.bytesBefore(), local.bytesAfter(),
                remote.apply(local.backup()), local.dryRun(), local.millis(), local.mode(), false, sent, fetched);
    }

    /**
     * After a rewrite of a partial copy (see {@link PartialFile}): records the holes the upload must know of. The
     * original, now the backup, lacks what was never fetched; the result lacks what was copied from those parts to
     * the same offsets. A dry run leaves the original where it was, holes and all. Returns the bytes fetched of the
     * partial copy; null when the SST was not one.
     */
    private static Long recordHoles(Path copy, Swapped local) {
        if (local.inline() || local.sst() == null) {
            return null;
        }
        PartialFile partial = PartialFile.registered(Path.of(local.sst()));
        if (partial == null) {
            return null;
        }
        String name = copy.relativize(Path.of(local.sst())).toString();
        Map<String, List<long[]>> holes = new java.util.HashMap<>();
        if (local.dryRun()) {
            holes.put(name, partial.holes());
        } else {
            holes.put(name, partial.skipped());
            if (local.backup() != null) {
                holes.put(copy.relativize(Path.of(local.backup())).toString(), partial.holes());
            }
        }
        RemoteSavepoint.recordHoles(copy, holes);
        return partial.fetchedBytes();
    }

    /** Rewrites the chosen SST (or, with {@code dryRun}, only says what would change) and records the tamper. */
    public static Swapped swap(Request request, Output output) throws IOException {
        return new Rewrite(request, output).run();
    }

    /** One rewrite: the request, where it reports, and when it started. */
    private static final class Rewrite {
        private final Request r;
        private final Output output;
        private final Instant start = Instant.now();
        private final java.util.function.Consumer<StateFile> fetch;

        Rewrite(Request r, Output output) {
            this(r, output, f -> {});
        }

        /** {@code fetch} makes a savepoint file local before it is read (a remote savepoint's copy holds few SSTs at first). */
        Rewrite(Request r, Output output, java.util.function.Consumer<StateFile> fetch) {
            this.r = r;
            this.output = output;
            this.fetch = fetch;
        }

        Swapped run() throws IOException {
            boolean selects = r.file() != null || r.operator() != null || r.subtask() != null || r.state() != null;
            checkSelection(r.last(), r.largest(), selects);
            if (r.inPlace() && !r.mode().keepsSize()) {
                throw Failure.of(ExitCode.USAGE, "--in-place patches bytes where they are: only --mode same-size and corrupt keep "
                        + "every byte's place (this is --mode %s)", r.mode());
            }
            Path path = r.path();
            if (!Files.exists(path)) {
                throw Failure.of(ExitCode.NOT_FOUND, "no such file or directory: %s", path);
            }
            if (Files.isRegularFile(path) && !path.getFileName().toString().equals(SavepointLayout.METADATA)) {
                if (selects || r.largest()) {
                    throw Failure.of(ExitCode.USAGE, "--file, --operator, --subtask, --state and --largest select within a savepoint, not a single SST");
                }
                recoverInterrupted(path.toAbsolutePath().getParent());
                return rewriteFile(path, path, null, null);
            }
            Path dir = SavepointPath.directory(path.toString());
            recoverInterrupted(dir);
            return swapInSavepoint(dir);
        }

        /**
         * Rolls back what an interrupted --in-place run left half-patched in {@code dir}, and says so: even a dry run
         * does, so that it plans on the file as it was and not on a half-patched one.
         */
        private void recoverInterrupted(Path dir) throws IOException {
            for (Path sst : InPlacePatch.recover(dir)) {
                output.warn("%s: an earlier --in-place patch was interrupted; rolled back to the file as it was", sst);
            }
            int stale = AtomicFile.sweep(dir);
            if (stale > 0) {
                output.progress("removed %d temporary file(s) of killed runs from %s", stale, dir);
            }
        }

        private Swapped swapInSavepoint(Path dir) throws IOException {
            SavepointLayout layout = SavepointLayout.load(dir);
            StateFile target = r.largest() ? layout.largestFile()
                    : choose(layout.targets(r.operator(), r.subtask(), r.file(), r.state()));
            output.progress("target: %s, %d bytes", target.describe(), target.size());
            if (target.inline() && r.inPlace()) {
                throw Failure.of(ExitCode.USAGE, "%s is inlined in _metadata, not a file to patch: drop --in-place", target.describe());
            }
            Swapped result;
            if (target.inline()) {
                result = rewriteInline(layout, target);
            } else {
                fetch.accept(target);
                result = rewriteFile(dir, target.path(), layout, target);
            }
            if (!r.dryRun()) {
                TamperLog.append(dir, new TamperLog.Entry(Instant.now().toString(), target.rocksdbName(), target.fileName(),
                        target.inline(), target.operatorLabel(), target.subtask(), result.changed().size(), result.bytesBefore(),
                        result.bytesAfter(), "swap-sst --mode " + r.mode() + (r.inPlace() ? " --in-place" : ""), result.columnFamily(),
                        result.changed().stream().map(c -> new TamperLog.Change(c.keyHex(), c.oldHex(), c.newHex())).toList()));
            }
            return result;
        }

        /**
         * The first candidate holding at least --last values: a savepoint taken right after a flush can have a newest
         * SST with a single entry, or only tombstones and merge operands (a ListState's adds), which hold no value to
         * change. When none has enough (a job with few keys), the one holding the most.
         */
        private StateFile choose(List<StateFile> candidates) {
            if (candidates.size() == 1) {
                return candidates.get(0);
            }
            StateFile most = candidates.get(0);
            long mostValues = -1;
            for (StateFile candidate : candidates) {
                fetch.accept(candidate);
                long values = SstFile.inspect(candidate).values();
                if (values >= r.last()) {
                    return candidate;
                }
                if (values > mostValues) {
                    most = candidate;
                    mostValues = values;
                }
                output.progress("%s holds %d values, fewer than %d: looking at an older SST", candidate.describe(), values, r.last());
            }
            return most;
        }

        /** The rewrite of {@code sst}'s last --last entries; when it holds fewer, of all of them, said on stderr. */
        private Plan plan(Path sst, String what) {
            Plan plan = SstRewriter.plan(sst, r.last(), r.value());
            warnIfFewer(what, plan.changes().size());
            return plan;
        }

        /** Says on stderr that {@code what} holds only {@code n} values, fewer than --last, all of which change. */
        private void warnIfFewer(String what, int n) {
            if (n < r.last()) {
                output.warn("%s holds only %d values: changing all %d of them, not %d", what, n, n, r.last());
            }
        }

        /**
         * Writes {@code dst} (which must not exist) from {@code src} by --mode; returns what changed. {@code what}
         * names the SST in messages.
         */
        private Plan write(Path src, Path dst, String what) throws IOException {
            switch (r.mode()) {
                case full -> {
                    Plan plan = plan(src, what);
                    SstRewriter.rewrite(src, dst, plan, n -> progress(n, plan));
                    return plan;
                }
                case block -> {
                    SstFile.Info info = SstFile.inspect(src);
                    BlockRewriter.Result result = BlockRewriter.rewrite(src, dst,
                            BlockRewriter.Options.of(values(info, what), r.value()).withNewSize(true));
                    output.progress("%d data blocks copied raw, %d re-encoded", result.blocksCopiedRaw(), result.blocksReencoded());
                    if (result.sameSize()) {
                        output.warn("%s keeps its length (%d bytes): its changed blocks are stored uncompressed and the new values "
                                + "are as long as the old ones, so this is a same-size tamper, which RocksDB does not see at open",
                                what, result.bytesAfter());
                    }
                    return plan(info, result.changes());
                }
                default -> {
                    Patched patched = patch(src, what);
                    BlockPatch.writeCopy(src, dst, patched.patch(), true);
                    return patched.plan();
                }
            }
        }

        /** A same-size change planned: the regions to write, and the changes as swap-sst reports them. */
        private record Patched(BlockPatch.Plan patch, Plan plan) {}

        private Patched patch(Path src, String what) throws IOException {
            SstFile.Info info = SstFile.inspect(src);
            BlockPatch.Plan patch = BlockPatch.plan(src, BlockRewriter.Options.of(values(info, what), r.value()), r.mode() == Mode.corrupt);
            output.progress("%d region(s) of %d bytes to patch, %d bytes differ", patch.regions().size(),
                    patch.regions().stream().mapToLong(g -> g.after().length).sum(), patch.bytesChanged());
            return new Patched(patch, plan(info, patch.changes()));
        }

        /** How many values the block engine changes: --last, or all there are when fewer (said on stderr). */
        private int values(SstFile.Info info, String what) {
            long values = info.values();
            if (values < 1) {
                throw Failure.of(ExitCode.BAD_STATE, "%s holds no values to change (%d deletions, %d merge operands)", what,
                        info.deletions(), info.mergeOperands());
            }
            int last = (int) Math.min(r.last(), values);
            warnIfFewer(what, last);
            return last;
        }

        private static Plan plan(SstFile.Info info, List<BlockRewriter.Change> changes) {
            HexFormat hex = HexFormat.of();
            return new Plan(info, changes.stream()
                    .map(c -> new Change(hex.parseHex(c.keyHex()), hex.parseHex(c.oldHex()), hex.parseHex(c.newHex()))).toList());
        }

        /** What the rewrite of {@code src} would change, writing nothing where the user can see it (--dry-run). */
        private Plan preview(Path src, String what) throws IOException {
            if (r.mode() == Mode.full) {
                return plan(src, what);
            }
            if (r.mode().keepsSize()) {
                return patch(src, what).plan();
            }
            SstFile.Info info = SstFile.inspect(src);
            return plan(info, BlockRewriter.preview(src, BlockRewriter.Options.of(values(info, what), r.value())));
        }

        /** Rewrites an SST that is a file: a new file beside it, then an atomic rename over it. */
        private Swapped rewriteFile(Path shown, Path sst, SavepointLayout layout, StateFile target) {
            String what = target == null ? sst.toString() : target.describe();
            try {
                if (r.dryRun()) {
                    Plan plan = preview(sst, what);
                    return swapped(shown, sst, plan, codec(layout, target, plan), target, false, plan.info().size(), null, 0);
                }
                if (r.inPlace()) {
                    return patchInPlace(shown, sst, layout, target, what);
                }
                try (AtomicFile out = AtomicFile.beside(sst)) {
                    Files.delete(out.tmp()); // the writers create the file themselves
                    Plan plan = write(sst, out.tmp(), what);
                    long bytesAfter = Files.size(out.tmp());
                    out.commit(r.backup());
                    return swapped(shown, sst, plan, codec(layout, target, plan), target, false, bytesAfter,
                            r.backup() ? AtomicFile.backupOf(sst) : null, bytesAfter);
                }
            } catch (IOException e) {
                throw Failure.of(ExitCode.CANNOT_WRITE, "cannot write beside %s: %s", sst, e.getMessage());
            }
        }

        /** Patches the changed bytes of {@code sst} where they are (--in-place); with --backup, a copy of the original first. */
        private Swapped patchInPlace(Path shown, Path sst, SavepointLayout layout, StateFile target, String what) throws IOException {
            Patched patched = patch(sst, what);
            Path backupPath = null;
            if (r.backup()) {
                backupPath = AtomicFile.backupOf(sst);
                if (Files.exists(backupPath)) {
                    throw Failure.of(ExitCode.CONFLICT, "backup %s already exists; move it away first", backupPath);
                }
                // a copy (a hard link would be patched too), complete and synced before the original changes
                try (AtomicFile copy = AtomicFile.beside(backupPath)) {
                    Files.copy(sst, copy.tmp(), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                            java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                    copy.commit(false);
                }
            }
            InPlacePatch.Applied applied = InPlacePatch.apply(sst, patched.patch());
            Plan plan = patched.plan();
            return swapped(shown, sst, plan, codec(layout, target, plan), target, false, plan.info().size(), backupPath,
                    applied.bytesWritten());
        }

        /** Rewrites an SST inlined in _metadata: via temporary files, then a new _metadata moved over the old one. */
        private Swapped rewriteInline(SavepointLayout layout, StateFile target) throws IOException {
            Path metadata = layout.dir().resolve(SavepointLayout.METADATA);
            Path work = Files.createTempDirectory("statelab-swap-");
            try {
                Path original = work.resolve(target.rocksdbName());
                Files.write(original, target.inlineBytes());
                if (r.dryRun()) {
                    Plan plan = preview(original, target.describe());
                    return swapped(layout.dir(), metadata, plan, codec(layout, target, plan), target, true, plan.info().size(), null, 0);
                }
                Path rewritten = work.resolve(target.rocksdbName() + ".new");
                Plan plan = write(original, rewritten, target.describe());
                FlinkKeyCodec codec = codec(layout, target, plan);
                long bytesAfter = Files.size(rewritten);
                layout.replaceInline(target, Files.readAllBytes(rewritten));
                try (AtomicFile out = AtomicFile.beside(metadata)) {
                    try (DataOutputStream stream = new DataOutputStream(Files.newOutputStream(out.tmp()))) {
                        layout.writeMetadata(stream);
                    }
                    out.commit(r.backup());
                }
                return swapped(layout.dir(), metadata, plan, codec, target, true, bytesAfter,
                        r.backup() ? AtomicFile.backupOf(metadata) : null, Files.size(metadata));
            } finally {
                try (var files = Files.list(work)) {
                    files.forEach(f -> f.toFile().delete());
                }
                Files.deleteIfExists(work);
            }
        }

        private void progress(long entries, Plan plan) {
            output.progress("%,d of %,d entries copied", entries, plan.info().entries());
        }

        private Swapped swapped(Path shown, Path sst, Plan plan, FlinkKeyCodec codec, StateFile target, boolean inline,
                                long bytesAfter, Path backupPath, long bytesWritten) {
            List<Changed> changed = plan.changes().stream().map(c -> changed(c, codec)).toList();
            return new Swapped(shown.toString(), sst.toString(), target == null ? null : target.rocksdbName(),
                    target == null ? null : target.operatorLabel(), target == null ? null : target.subtask(), plan.info().columnFamily(),
                    inline, plan.info().entries(), changed, plan.info().size(), bytesAfter, backupPath == null ? null : backupPath.toString(),
                    r.dryRun(), Duration.between(start, Instant.now()).toMillis(), r.mode(), r.inPlace(), bytesWritten, null);
        }
    }

    private static void checkSelection(int last, boolean largest, boolean selects) {
        if (last < 1) {
            throw Failure.of(ExitCode.USAGE, "--last must be at least 1, got %d", last);
        }
        if (largest && selects) {
            throw Failure.of(ExitCode.USAGE, "--largest picks the file by itself: drop --file, --operator, --subtask and --state");
        }
    }

    private static FlinkKeyCodec codec(SavepointLayout layout, StateFile target, Plan plan) {
        if (layout == null) {
            return null; // a single SST: no savepoint metadata to decode its keys with
        }
        return FlinkKeyCodec.forState(layout.keyedMetaData(target), plan.info().columnFamily(), target.maxParallelism());
    }

    private static Changed changed(Change c, FlinkKeyCodec codec) {
        return new Changed(codec == null ? FlinkKeyCodec.hex(c.key()) : codec.key(c.key()), FlinkKeyCodec.hex(c.key()),
                codec == null ? FlinkKeyCodec.hex(c.oldValue()) : codec.value(c.oldValue()), FlinkKeyCodec.hex(c.oldValue()),
                codec == null ? FlinkKeyCodec.hex(c.newValue()) : codec.value(c.newValue()), FlinkKeyCodec.hex(c.newValue()));
    }

    /** The dry run's plain report: what would be rewritten and each change, old → new. */
    private static String describe(Swapped s) {
        StringBuilder sb = new StringBuilder();
        sb.append("savepoint ").append(s.savepoint()).append('\n');
        sb.append("sst       ").append(s.rocksdbName() == null ? s.sst() : s.rocksdbName() + " of " + s.operator()
                + " subtask " + s.subtask() + (s.inline() ? ", inlined in _metadata" : ", " + s.sst())).append('\n');
        sb.append("state     ").append(s.columnFamily()).append(", ").append(s.entries()).append(" entries, ")
                .append(s.bytesBefore()).append(" bytes\n");
        for (Changed c : s.changed()) {
            sb.append("change    ").append(c.key()).append(": ").append(c.oldValue()).append(" -> ").append(c.newValue())
                    .append("   [").append(c.oldHex()).append(" -> ").append(c.newHex()).append("]\n");
        }
        sb.append("dry run: nothing written");
        return sb.toString();
    }


    public static void main(String[] args) {
        CommandRunner.main(new SwapSst(), args);
    }
}
