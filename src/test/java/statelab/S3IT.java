package statelab;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import statelab.cli.ExitCode;
import statelab.testing.Checkout;
import statelab.testing.Proc;
import statelab.testing.RestProbe;
import statelab.testing.S3Server;
import statelab.testing.TestCluster;

/**
 * Savepoints on S3 (issue 11), with real parts only: S3Proxy on 127.0.0.1 ({@link S3Server}), a local cluster of its
 * own whose checkpoints and savepoints go there through Flink's S3 plugin (configured in config.yaml as Flink is:
 * {@code s3.endpoint}, {@code s3.path.style.access}; credentials from the environment), and StateLab's commands on
 * {@code s3://} locations, in real shell pipes.
 */
@Timeout(value = 15, unit = java.util.concurrent.TimeUnit.MINUTES)
class S3IT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path WORK = Checkout.TARGET.resolve("it-s3");
    static final Path CLUSTER = WORK.resolve("cluster");
    static final String BUCKET = "statelab";
    static S3Server s3;
    static String rest;
    static Path conf;

    @BeforeAll
    static void startS3AndACluster() throws IOException {
        Checkout.jbang(Map.of(), "cluster", "stop", "--dir", CLUSTER.toString()); // a previous run killed before its cleanup
        deleteTree(WORK);
        s3 = S3Server.start(WORK.resolve("s3"), BUCKET);
        conf = Files.createDirectories(WORK.resolve("conf"));
        String config = Files.readString(Checkout.ROOT.resolve("config.yaml"))
                .replace("dir: file:///opt/flink/checkpoints", "dir: s3://" + BUCKET + "/checkpoints")
                .replace("savepoint-dir: file:///opt/flink/savepoints", "savepoint-dir: s3://" + BUCKET + "/savepoints");
        assertThat(config).contains("s3://" + BUCKET + "/checkpoints", "s3://" + BUCKET + "/savepoints");
        // as docs/remote.md says for S3Proxy: path-style URLs, and no deletes of directory markers after each write
        // (S3Proxy answered S3A's bulk delete of them with a read that never ended)
        Files.writeString(conf.resolve("config.yaml"), config + "\ns3:\n  endpoint: " + s3.endpoint() + "\n  path.style.access: true\n"
                + "  directory.marker.retention: keep\n");
        rest = TestCluster.startOwn(CLUSTER, conf.resolve("config.yaml"), env(Map.of()));
    }

    @AfterEach
    void freeTheSlots() {
        if (rest != null) {
            RestProbe.cancelAll(rest);
        }
    }

    @AfterAll
    static void stopEverything() {
        Checkout.jbang(Map.of(), "cluster", "stop", "--dir", CLUSTER.toString());
        if (s3 != null) {
            s3.close();
        }
    }

    /** What commands run with: the cluster, its config.yaml (FLINK_CONF_DIR, as for Flink's own CLI), S3's credentials. */
    static Map<String, String> env(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(S3Server.credentials());
        env.put("FLINK_CONF_DIR", WORK.resolve("conf").toString());
        if (rest != null) {
            env.put("STATELAB_REST_URL", rest);
        }
        env.putAll(extra);
        return Checkout.env(env);
    }

    static Proc.Result pipe(String script) {
        return Proc.bash(script, Checkout.ROOT, env(Map.of()), Duration.ofMinutes(5));
    }

    /** A running word-count's native savepoint on S3, as {@code submit | savepoint} print it. */
    static String takeSavepoint() {
        Proc.Result taken = pipe("./jbang submit word-count -- --keep-running | ./jbang savepoint");
        assertThat(taken.exit()).as("%s", taken).isZero();
        return taken.out().strip();
    }

    /** The object key of an {@code s3://BUCKET/…} location. */
    static String key(String location) {
        assertThat(location).startsWith("s3://" + BUCKET + "/");
        return location.substring(("s3://" + BUCKET + "/").length());
    }

    /**
     * Every object in the bucket under {@code prefix}, with its size. A running job's checkpoints come and go while
     * this looks (a fresh-clone CI run saw a checkpoint file removed between the listing and its size): an object
     * gone meanwhile is not counted.
     */
    static Map<String, Long> objects(String prefix) throws IOException {
        Map<String, Long> found = new TreeMap<>();
        Path root = s3.dir.resolve(BUCKET);
        Path under = root.resolve(prefix);
        if (!Files.exists(under)) {
            return found;
        }
        Files.walkFileTree(under, new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult visitFile(Path f, java.nio.file.attribute.BasicFileAttributes a) {
                if (a.isRegularFile()) {
                    found.put(root.relativize(f).toString(), a.size());
                }
                return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
                if (e instanceof java.nio.file.NoSuchFileException) {
                    return java.nio.file.FileVisitResult.CONTINUE;
                }
                throw e;
            }
        });
        return found;
    }

    @Test
    void anUntouchedSavepointOnS3IsRestored() throws IOException {
        Proc.Result taken = pipe("./jbang submit word-count -- --keep-running | ./jbang savepoint");
        assertThat(taken.exit()).as("%s", taken).isZero();
        String savepoint = taken.out().strip();
        assertThat(savepoint).as("savepoint prints Flink's own location").matches("s3://" + BUCKET + "/savepoints/savepoint-[0-9a-f]{6}-[0-9a-f]{12}");
        assertThat(taken.ownErrLines()).as("no chatter when stderr is not a terminal").isEmpty();
        String key = key(savepoint);
        Map<String, Long> stored = objects(key);
        assertThat(stored).as("the savepoint's objects in the S3 server").containsKey(key + "/_metadata")
                .containsKey(key + "/_statelab-job.json");
        assertThat(objects("checkpoints")).as("checkpoints go to S3 too").isNotEmpty();

        Proc.Result resumed = Proc.bash("echo " + savepoint + " | ./jbang resume", Checkout.ROOT, env(Map.of()), Duration.ofMinutes(5));
        assertThat(resumed.exit()).as("%s", resumed).isEqualTo(ExitCode.OK.code);
        assertThat(resumed.out()).startsWith("RESTORED ");
        assertThat(resumed.ownErrLines()).isEmpty();
    }

    @Test
    void clusterPrepareResolvesTheS3PluginAheadOfTime() throws IOException {
        Proc.Result r = Checkout.jbang(env(Map.of()), "cluster", "prepare", "--s3", "--json");
        assertThat(r.exit()).as("%s", r).isZero();
        Path plugin = Path.of(JSON.readTree(r.out()).get("s3Plugin").asText());
        assertThat(plugin.resolve("s3-fs-hadoop").resolve("flink-s3-fs-hadoop-2.3.0.jar")).as("laid out as a Flink distribution's plugins/")
                .isRegularFile();
        assertThat(plugin).as("where the commands and the cluster load it from")
                .startsWith(Path.of(Checkout.env(Map.of()).get("STATELAB_HOME")).resolve("plugins"));
    }

    @Test
    void theWholePipeOnS3GivesRocksDbsVerdictAndKeepsTheOriginalAsABackupObject() throws IOException {
        Proc.Result r = pipe("./jbang submit word-count -- --keep-running | ./jbang savepoint | ./jbang swap-sst --json | tee "
                + WORK.resolve("swapped.json") + " | ./jbang resume");
        assertThat(r.exit()).as("%s", r).isEqualTo(ExitCode.RESTORE_FAILED.code);
        assertThat(r.out().lines().toList()).as("stdout is the verdict, one line").singleElement().asString()
                .matches("RESTORE_FAILED [0-9a-f]{32}: " + PipelineIT.ROCKSDB_DETECTED);
        assertThat(r.ownErrLines()).isEmpty();

        JsonNode swapped = JSON.readTree(WORK.resolve("swapped.json").toFile());
        String savepoint = swapped.get("savepoint").asText();
        assertThat(savepoint).startsWith("s3://" + BUCKET + "/savepoints/");
        assertThat(swapped.get("sst").asText()).startsWith(savepoint + "/");
        String key = key(savepoint);
        // the object rewritten: the SST's own file, or _metadata when the SST is stored inside it (small state)
        String rewritten = key(swapped.get("sst").asText());
        assertThat(swapped.get("backup").asText()).as("on S3 the original is always kept").isEqualTo(swapped.get("sst").asText() + ".bak");
        Map<String, Long> stored = objects(key);
        assertThat(stored).containsKeys(rewritten, rewritten + ".bak", key + "/_statelab-swaps.json");
        assertThat(Files.readAllBytes(s3.object(BUCKET, rewritten + ".bak"))).as("the backup is the original, not the result")
                .isNotEqualTo(Files.readAllBytes(s3.object(BUCKET, rewritten)));
        if (!swapped.get("inline").asBoolean()) {
            assertThat(stored).containsEntry(rewritten, swapped.get("bytesAfter").asLong())
                    .containsEntry(rewritten + ".bak", swapped.get("bytesBefore").asLong());
        }
    }

    @Test
    void badLocationsAndCredentialsFailInOneLineAndWriteNothing() throws IOException {
        String savepoint = takeSavepoint();
        String key = key(savepoint);
        Map<String, Long> before = objects(key);

        // a scheme no plugin serves
        Proc.Result gs = Checkout.jbang(env(Map.of()), "swap-sst", "gs://bucket/savepoints/savepoint-1");
        assertThat(gs.exit()).as("%s", gs).isEqualTo(ExitCode.USAGE.code);
        assertThat(gs.ownErrLines()).singleElement().asString().contains("no file system serves 'gs://'");

        // wrong credentials: S3 refuses, the command says so in one line, nothing changes in the bucket
        Proc.Result denied = Checkout.jbang(env(Map.of("AWS_SECRET_ACCESS_KEY", "wrong")), "swap-sst", savepoint);
        assertThat(denied.exit()).as("%s", denied).isNotZero();
        assertThat(denied.ownErrLines()).as("%s", denied).hasSize(1);
        assertThat(objects(key)).isEqualTo(before);

        // a bucket that does not exist
        Proc.Result noBucket = Checkout.jbang(env(Map.of()), "resume", "s3://no-such-bucket/savepoints/savepoint-1");
        assertThat(noBucket.exit()).as("%s", noBucket).isNotZero();
        assertThat(noBucket.ownErrLines()).as("%s", noBucket).hasSize(1);

        // an endpoint that accepts connections and never answers: a one-line error in bounded time, not a hang
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            List<java.net.Socket> held = java.util.Collections.synchronizedList(new ArrayList<>());
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(silent.accept());
                    }
                } catch (IOException closed) {
                    // the test is done with it
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            Path dead = Files.createDirectories(WORK.resolve("conf-silent-endpoint"));
            // the wait for an answer set in config.yaml, which commands take over their own 10 s (docs/remote.md): 67 s
            // to fail with that, measured; 2 s keeps this case short and still a bound the command keeps
            Files.writeString(dead.resolve("config.yaml"), Files.readString(conf.resolve("config.yaml"))
                    .replace(s3.endpoint(), "http://127.0.0.1:" + silent.getLocalPort()) + "\ns3.connection.timeout: 2000\n");
            long started = System.nanoTime();
            Proc.Result silentRun = Checkout.jbang(env(Map.of("FLINK_CONF_DIR", dead.toString())), "swap-sst", savepoint);
            System.out.printf("S3IT: a silent endpoint failed after %.1f s%n", (System.nanoTime() - started) / 1e9);
            assertThat(silentRun.exit()).as("%s", silentRun).isEqualTo(ExitCode.FAILURE.code);
            assertThat(silentRun.ownErrLines()).as("%s", silentRun).singleElement().asString().contains("Read timed out");
            for (java.net.Socket socket : held) {
                socket.close();
            }
        }

        // a savepoint that is not there
        Proc.Result missing = Checkout.jbang(env(Map.of()), "swap-sst", "s3://" + BUCKET + "/savepoints/savepoint-000000-000000000000");
        assertThat(missing.exit()).as("%s", missing).isEqualTo(ExitCode.NOT_FOUND.code);
        assertThat(missing.ownErrLines()).singleElement().asString().contains("no savepoint at s3://" + BUCKET);
        assertThat(objects(key)).isEqualTo(before);
    }

    @Test
    void aSwapKilledMidUploadLeavesTheOriginalAndTheNextRunFinishesTheUpload() throws Exception {
        String savepoint = takeSavepoint();
        String key = key(savepoint);
        Map<String, byte[]> original = contents(key);

        // swap-sst, paused after its first upload (the backup goes first) and SIGKILLed there
        swapKilledAt("publish-between-uploads", savepoint, env(Map.of()));
        Map<String, byte[]> killed = contents(key);
        List<String> added = killed.keySet().stream().filter(k -> !original.containsKey(k)).toList();
        assertThat(added).as("one new object uploaded before the kill: the backup").singleElement().asString().endsWith(".bak");
        String replaced = added.get(0).substring(0, added.get(0).length() - ".bak".length());
        assertThat(killed.get(added.get(0))).as("the backup is the original").isEqualTo(original.get(replaced));
        original.forEach((k, bytes) -> assertThat(killed.get(k)).as("%s untouched", k).isEqualTo(bytes));

        // the next command on that savepoint says so, finishes the upload from its copy, and the verdict is the tamper's
        Proc.Result resumed = Checkout.jbang(env(Map.of()), "resume", savepoint);
        assertThat(resumed.exit()).as("%s", resumed).isEqualTo(ExitCode.RESTORE_FAILED.code);
        assertThat(resumed.ownErrLines()).singleElement().asString()
                .startsWith("warning: an earlier upload to " + savepoint + " was interrupted with ");
        Map<String, byte[]> finished = contents(key);
        assertThat(finished.get(replaced)).as("%s now the tampered version", replaced).isNotEqualTo(original.get(replaced));
        assertThat(finished).containsKey(key + "/_statelab-swaps.json");
    }

    @Test
    void inspectEditAndDiffWorkOnSavepointsOnS3AndTheEditIsANewSavepointBesideTheOriginal() throws Exception {
        String savepoint = takeSavepoint();
        String key = key(savepoint);
        Map<String, byte[]> original = contents(key);

        // inspect on S3 says what it says of the same files on disk (the server's own copy of the objects)
        Path onDisk = s3.object(BUCKET, key);
        Proc.Result remote = Checkout.jbang(env(Map.of()), "inspect", "--json", savepoint);
        Proc.Result local = Checkout.jbang(env(Map.of()), "inspect", "--json", onDisk.toString());
        assertThat(remote.exit()).as("%s", remote).isZero();
        assertThat(local.exit()).as("%s", local).isZero();
        JsonNode r = JSON.readTree(remote.out());
        JsonNode l = JSON.readTree(local.out());
        assertThat(r.get("operators")).as("the same operators, states and counts").isEqualTo(l.get("operators"));
        assertThat(r.get("operators").toString()).contains("word-counter");

        // edit: a new savepoint on S3, SAVEPOINT-edit-1, the original untouched
        Proc.Result edited = Checkout.jbang(env(Map.of()), "edit", "--zero-last", "1", "--json", savepoint);
        assertThat(edited.exit()).as("%s", edited).isZero();
        JsonNode e = JSON.readTree(edited.out());
        assertThat(e.get("savepoint").asText()).isEqualTo(savepoint + "-edit-1");
        assertThat(e.get("changed")).hasSize(1);
        assertThat(objects(key + "-edit-1")).containsKey(key + "-edit-1/_metadata");
        original.forEach((k, bytes) -> {
            try {
                assertThat(Files.readAllBytes(s3.object(BUCKET, k))).as("%s untouched", k).isEqualTo(bytes);
            } catch (IOException x) {
                throw new AssertionError(x);
            }
        });

        // diff of the two on S3: the one change, and the exit code that says they differ
        Proc.Result diff = Checkout.jbang(env(Map.of()), "diff", savepoint, savepoint + "-edit-1");
        assertThat(diff.exit()).as("%s", diff).isEqualTo(ExitCode.DIFFERENT.code);
        assertThat(diff.out().lines().filter(line -> line.startsWith("changed  "))).hasSize(1);

        // and Flink restores the edit from S3
        Proc.Result resumed = Checkout.jbang(env(Map.of()), "resume", savepoint + "-edit-1");
        assertThat(resumed.exit()).as("%s", resumed).isEqualTo(ExitCode.OK.code);
        assertThat(resumed.out()).startsWith("RESTORED");
    }

    @Test
    void theSameSizeTamperOnS3IsRestoredAlteredAsOnLocalDisk() throws Exception {
        Proc.Result r = Checkout.jbang(env(Map.of()), "experiment", "--mode", "same-size", "--value", "00000063", "--json");
        assertThat(r.exit()).as("%s", r).isEqualTo(ExitCode.RESTORED_ALTERED.code);
        JsonNode run = JSON.readTree(r.out());
        assertThat(run.at("/savepoint/savepoint").asText()).startsWith("s3://" + BUCKET + "/savepoints/savepoint-");
        assertThat(run.at("/swapSst/bytesAfter").asLong()).isEqualTo(run.at("/swapSst/bytesBefore").asLong());
        assertThat(run.get("verdict").asText()).isEqualTo("RESTORED_ALTERED");
        assertThat(run.at("/resume/proof/altered").asInt()).isEqualTo(5);
    }

    @Test
    void swapSstOnASavepointOnS3FetchesTheFilesItReadsNotEverySst() throws Exception {
        // two subtasks with enough keys for SST files of their own (above config.yaml's 20 KiB inline threshold)
        Proc.Result taken = pipe("./jbang submit word-count --parallelism 2 -- --keep-running --words 60000 --letters 6 | ./jbang savepoint");
        assertThat(taken.exit()).as("%s", taken).isZero();
        String savepoint = taken.out().strip();

        Proc.Result swapped = Checkout.jbang(env(Map.of()), "swap-sst", "--json", savepoint);
        assertThat(swapped.exit()).as("%s", swapped).isZero();
        JsonNode swap = JSON.readTree(swapped.out());
        assertThat(swap.get("inline").asBoolean()).as("the target is an SST file of its own").isFalse();
        String target = swap.get("sst").asText().substring(savepoint.length() + 1);
        Set<String> fetched = new TreeSet<>();
        try (Stream<Path> files = Files.list(localCopy(savepoint))) {
            files.map(f -> f.getFileName().toString()).filter(n -> !n.startsWith(".")).forEach(fetched::add);
        }

        Proc.Result inspected = Checkout.jbang(env(Map.of()), "inspect", "--json", savepoint);
        assertThat(inspected.exit()).as("%s", inspected).isZero();
        List<String> ssts = new ArrayList<>();
        JSON.readTree(inspected.out()).get("files").forEach(f -> {
            if (f.path("rocksdbName").asText("").endsWith(".sst") && !f.path("file").isNull()) {
                ssts.add(f.get("file").asText());
            }
        });
        assertThat(ssts).as("SST files of both subtasks").hasSizeGreaterThan(1).contains(target);
        assertThat(fetched).as("swap-sst fetched the SST it rewrote").contains(target, target + ".bak", "_metadata");
        assertThat(ssts.stream().filter(n -> !n.equals(target)).filter(fetched::contains))
                .as("and no other SST (fetched: %s)", fetched).isEmpty();
        assertThat(Files.readAllBytes(s3.object(BUCKET, key(savepoint) + "/" + target + ".bak")))
                .as("the backup in the store is the original").isNotEqualTo(Files.readAllBytes(s3.object(BUCKET, key(savepoint) + "/" + target)));

        Proc.Result resumed = Checkout.jbang(env(Map.of()), "resume", savepoint);
        assertThat(resumed.exit()).as("%s", resumed).isEqualTo(ExitCode.RESTORE_FAILED.code);
    }

    /** Runs {@code swap-sst location} with {@code env} until it pauses at the crash point {@code point}, and SIGKILLs it there. */
    static void swapKilledAt(String point, String location, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(Proc.java("statelab.SwapSst", location)).directory(Checkout.ROOT.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().putAll(env);
        pb.environment().put("STATELAB_PAUSE_AT", point);
        Process swap = pb.start();
        try (BufferedReader err = new BufferedReader(new InputStreamReader(swap.getErrorStream(), StandardCharsets.UTF_8))) {
            List<String> seen = new ArrayList<>();
            for (String line = err.readLine(); line != null && !line.equals("statelab: paused at " + point); line = err.readLine()) {
                seen.add(line);
            }
            assertThat(swap.isAlive()).as("swap-sst paused at %s; it printed %s", point, seen).isTrue();
        } finally {
            swap.destroyForcibly().waitFor();
        }
    }

    /** StateLab's local copy of the remote savepoint {@code location} ({@code $STATELAB_HOME/remote/HASH}, docs/remote.md). */
    static Path localCopy(String location) throws Exception {
        byte[] hash = java.security.MessageDigest.getInstance("SHA-256").digest(location.getBytes(StandardCharsets.UTF_8));
        return Path.of(Checkout.env(Map.of()).get("STATELAB_HOME")).resolve("remote").resolve(java.util.HexFormat.of().formatHex(hash, 0, 8));
    }

    /**
     * A Flink-like SST of ~{@code entries} entries (Snappy, format_version 5) as the object {@code key}, and beside it on
     * disk the same file after {@code swap-sst} rewrote it there: the bytes the object must become.
     */
    static Path[] largeSstAndItsLocalSwap(String key, long entries) throws Exception {
        Path dir = Files.createDirectories(WORK.resolve("large-" + key.replace('/', '-')));
        Path original = dir.resolve("original.sst");
        statelab.bench.FlinkLikeSst.write(original, entries, 7, 8, org.rocksdb.CompressionType.SNAPPY_COMPRESSION, 5);
        Path swapped = Files.copy(original, dir.resolve("swapped.sst"));
        Proc.Result local = Checkout.jbang(env(Map.of()), "swap-sst", "--json", swapped.toString());
        assertThat(local.exit()).as("%s", local).isZero();
        try (var client = s3.client()) {
            client.putObject(b -> b.bucket(BUCKET).key(key), original);
        }
        return new Path[] {original, swapped};
    }

    static List<String> openUploads(String prefix) {
        try (var client = s3.client()) {
            return client.listMultipartUploads(b -> b.bucket(BUCKET).prefix(prefix)).uploads().stream()
                    .map(u -> u.key() + " " + u.uploadId()).toList();
        }
    }

    @Test
    void aLargeSstObjectGoesUpAsItsChangedRangesOnlyAndBecomesWhatSwapSstMakesOnDisk() throws Exception {
        String key = "tables/large.sst";
        Path[] files = largeSstAndItsLocalSwap(key, 2_500_000);
        long size = Files.size(files[0]);
        assertThat(size).as("a table well above S3's 5 MiB part").isGreaterThan(24L << 20);

        Proc.Result r = Checkout.jbang(env(Map.of()), "swap-sst", "--json", "s3://" + BUCKET + "/" + key);
        assertThat(r.exit()).as("%s", r).isZero();
        JsonNode swapped = JSON.readTree(r.out());
        assertThat(swapped.get("backup").asText()).isEqualTo("s3://" + BUCKET + "/" + key + ".bak");
        assertThat(Files.mismatch(s3.object(BUCKET, key), files[1])).as("the object is the table swap-sst makes on disk").isEqualTo(-1);
        assertThat(Files.mismatch(s3.object(BUCKET, key + ".bak"), files[0])).as("the backup is the original").isEqualTo(-1);
        long sent = swapped.get("bytesWritten").asLong();
        assertThat(sent).as("bytes sent: the changed tail (a part of at least 5 MiB), not the %d of the table and its backup", 2 * size)
                .isPositive().isLessThan(size / 3);
        assertThat(openUploads("tables/")).as("no multipart upload left open").isEmpty();

        // a second swap of the same object would overwrite its backup: refused, nothing written
        Map<String, byte[]> before = contents("tables");
        Proc.Result again = Checkout.jbang(env(Map.of()), "swap-sst", "s3://" + BUCKET + "/" + key);
        assertThat(again.exit()).as("%s", again).isEqualTo(ExitCode.CONFLICT.code);
        assertThat(again.ownErrLines()).singleElement().asString().contains(key + ".bak already exists");
        Map<String, byte[]> after = contents("tables");
        assertThat(after.keySet()).isEqualTo(before.keySet());
        before.forEach((k, bytes) -> assertThat(after.get(k)).as("%s untouched", k).isEqualTo(bytes));
    }

    @Test
    void withACredentialsProviderOnlyFlinksPluginKnowsTheSameSwapUploadsWholeObjects() throws Exception {
        String key = "whole/large.sst";
        Path[] files = largeSstAndItsLocalSwap(key, 2_500_000);
        long size = Files.size(files[0]);
        // an S3A credentials provider class (the SDK 1.x one inside Flink's plugin), which S3's own client cannot load
        Path custom = Files.createDirectories(WORK.resolve("conf-custom-provider"));
        Files.writeString(custom.resolve("config.yaml"), Files.readString(conf.resolve("config.yaml"))
                + "  aws.credentials.provider: com.amazonaws.auth.EnvironmentVariableCredentialsProvider\n");
        Proc.Result r = Checkout.jbang(env(Map.of("FLINK_CONF_DIR", custom.toString())), "swap-sst", "--json", "--progress",
                "s3://" + BUCKET + "/" + key);
        assertThat(r.exit()).as("%s", r).isZero();
        assertThat(r.ownErrLines()).as("it says why").anySatisfy(l -> assertThat(l).contains("own S3 credentials provider"));
        assertThat(Files.mismatch(s3.object(BUCKET, key), files[1])).as("the same bytes as on disk").isEqualTo(-1);
        assertThat(Files.mismatch(s3.object(BUCKET, key + ".bak"), files[0])).isEqualTo(-1);
        assertThat(JSON.readTree(r.out()).get("bytesWritten").asLong()).as("the backup and the result, whole")
                .isEqualTo(size + Files.size(files[1]));
    }

    @Test
    void aSwapKilledBeforeItsNewObjectIsCompleteLeavesTheOriginalAndTheNextRunFinishesIt() throws Exception {
        String key = "killed/large.sst";
        Path[] files = largeSstAndItsLocalSwap(key, 2_500_000);
        swapKilledAt("compose-before-complete", "s3://" + BUCKET + "/" + key, env(Map.of())); // every part in the store, not completed
        assertThat(Files.mismatch(s3.object(BUCKET, key), files[0])).as("killed before completing: the object is the original").isEqualTo(-1);
        assertThat(Files.mismatch(s3.object(BUCKET, key + ".bak"), files[0])).as("and its backup is there").isEqualTo(-1);
        assertThat(openUploads("killed/")).as("the killed run's upload, its parts in the store").hasSize(1);

        // the next swap-sst of that object finishes the first one (says so), then refuses a second tamper over the backup
        Proc.Result next = Checkout.jbang(env(Map.of()), "swap-sst", "s3://" + BUCKET + "/" + key);
        assertThat(next.exit()).as("%s", next).isEqualTo(ExitCode.CONFLICT.code);
        assertThat(next.ownErrLines()).hasSize(2);
        assertThat(next.ownErrLines().get(0)).startsWith("warning: an earlier upload to s3://" + BUCKET + "/killed was interrupted with 1 file(s)");
        assertThat(next.ownErrLines().get(1)).contains(key + ".bak already exists");
        assertThat(Files.mismatch(s3.object(BUCKET, key), files[1])).as("the object is now the result").isEqualTo(-1);
        assertThat(Files.mismatch(s3.object(BUCKET, key + ".bak"), files[0])).isEqualTo(-1);
        assertThat(openUploads("killed/")).as("the killed run's upload aborted").isEmpty();
    }

    /** Every object under {@code prefix}, with its bytes. */
    static Map<String, byte[]> contents(String prefix) throws IOException {
        Map<String, byte[]> found = new TreeMap<>();
        for (String k : objects(prefix).keySet()) {
            found.put(k, Files.readAllBytes(s3.object(BUCKET, k)));
        }
        return found;
    }

    static void deleteTree(Path dir) throws IOException {
        JobsIT.deleteTree(dir);
    }

    static List<String> lines(Proc.Result r) {
        return r.out().lines().toList();
    }
}
