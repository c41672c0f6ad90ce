package statelab.repl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.flink.runtime.messages.webmonitor.JobDetails;
import org.jline.reader.Candidate;
import statelab.cli.Workspace;
import statelab.flink.FlinkRest;
import statelab.flink.JobCatalog;
import statelab.savepoint.SavepointLayout;

/**
 * The values completion offers, looked up when Tab is pressed. The cluster is asked in the background and given
 * {@link #CLUSTER_BUDGET_MS}: a cluster that is down or slow leaves the prompt responsive, with what it said last
 * time (or nothing), never a hang.
 */
final class Values {
    static final long CLUSTER_BUDGET_MS = 400;

    private final Session session;
    private final ExecutorService background = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "statelab-completion");
        t.setDaemon(true);
        return t;
    });
    private volatile List<Candidate> lastJobs = List.of();
    private CompletableFuture<List<Candidate>> inFlight;

    Values(Session session) {
        this.session = session;
        jobIds(0); // the first look loads Flink's REST client: done now, in the background, not at the first Tab
    }

    /** Job ids of the connected cluster, running ones first, each with its state and name. */
    synchronized List<Candidate> jobIds() {
        return jobIds(CLUSTER_BUDGET_MS);
    }

    private synchronized List<Candidate> jobIds(long budgetMillis) {
        if (inFlight == null || inFlight.isDone()) {
            String rest = session.get("rest");
            inFlight = CompletableFuture.supplyAsync(() -> askCluster(rest), background);
        }
        try {
            lastJobs = inFlight.get(budgetMillis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            // still asking: offer what the cluster said last time; the answer, when it comes, is kept for the next Tab
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            lastJobs = List.of(); // down or not Flink: nothing to offer
        }
        return lastJobs;
    }

    private static List<Candidate> askCluster(String rest) {
        try (FlinkRest flink = FlinkRest.connect(rest)) {
            List<Candidate> jobs = new ArrayList<>();
            List<JobDetails> sorted = flink.jobs().stream()
                    .sorted(Comparator.comparing((JobDetails j) -> j.getStatus().isGloballyTerminalState())
                            .thenComparing(j -> -j.getStartTime()))
                    .toList();
            for (int i = 0; i < sorted.size(); i++) { // running jobs first, newest first: the one a user means
                JobDetails j = sorted.get(i);
                jobs.add(new Candidate(j.getJobId().toString(), j.getJobId() + "  " + j.getStatus() + "  " + j.getJobName(),
                        "jobs on " + rest, null, null, null, true, i));
            }
            return jobs;
        }
    }

    /** The checkout's jobs (word-count, sum-job). */
    List<Candidate> jobNames() {
        List<Candidate> out = new ArrayList<>();
        Workspace.checkout().ifPresent(c -> JobCatalog.jobs(c).forEach((name, script) ->
                out.add(ReplCompleter.candidate(name, "jobs of the checkout", script))));
        return out;
    }

    /**
     * Savepoint directories: the session's {@code $savepoint} and its neighbours, and those under the checkout's
     * local cluster, newest first; a word with a slash completes as a path.
     */
    List<Candidate> savepoints(String word) {
        if (word.contains("/") && !word.startsWith("savepoint-")) {
            return paths(word, true);
        }
        List<Path> roots = new ArrayList<>();
        String current = session.get("savepoint");
        if (current != null && Path.of(current).getParent() != null) {
            roots.add(Path.of(current).getParent());
        }
        Workspace.checkout().ifPresent(c -> roots.add(c.resolve("savepoints")));
        List<Candidate> out = new ArrayList<>();
        roots.stream().distinct().flatMap(Values::savepointDirs).distinct()
                .sorted(Comparator.comparing(Values::modified).reversed())
                .forEach(p -> out.add(new Candidate(p.toString(), p.getFileName().toString(),
                        p.toString().equals(current) ? "$savepoint" : "savepoints in " + p.getParent(), null, null, null, true)));
        return out;
    }

    private static Stream<Path> savepointDirs(Path root) {
        if (!Files.isDirectory(root)) {
            return Stream.empty();
        }
        try (Stream<Path> list = Files.list(root)) {
            return list.filter(p -> Files.isRegularFile(p.resolve(SavepointLayout.METADATA))).toList().stream();
        } catch (IOException e) {
            return Stream.empty();
        }
    }

    private static long modified(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    /** The SST files of a savepoint (the one on the line, else {@code $savepoint}), by RocksDB name. */
    List<Candidate> sstFiles(String savepointOnLine) {
        String dir = savepointOnLine != null ? savepointOnLine : session.get("savepoint");
        List<Candidate> out = new ArrayList<>();
        if (dir == null) {
            return out;
        }
        try {
            SavepointLayout.load(Path.of(dir)).files().stream()
                    .filter(f -> f.kind() == SavepointLayout.Kind.SST)
                    .forEach(f -> out.add(new Candidate(f.rocksdbName(), f.rocksdbName(), "SSTs of " + Path.of(dir).getFileName(),
                            f.operatorLabel() + " subtask " + f.subtask() + ", " + f.size() + " bytes" + (f.inline() ? ", inlined" : ""),
                            null, null, true)));
        } catch (RuntimeException e) {
            // not a savepoint (yet): nothing to offer
        }
        return out;
    }

    /** Files (or only directories) starting with {@code word}. */
    List<Candidate> paths(String word, boolean dirsOnly) {
        Path typed = Path.of(word.isEmpty() ? "./" : word);
        Path dir = word.endsWith("/") ? typed : typed.getParent() == null ? Path.of(".") : typed.getParent();
        String prefix = word.endsWith("/") ? "" : typed.getFileName() == null ? "" : typed.getFileName().toString();
        List<Candidate> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> list = Files.list(dir)) {
            list.filter(p -> p.getFileName().toString().startsWith(prefix))
                    .filter(p -> !dirsOnly || Files.isDirectory(p))
                    .sorted()
                    .forEach(p -> {
                        String base = word.endsWith("/") ? word : word.substring(0, word.length() - prefix.length());
                        String value = base + p.getFileName() + (Files.isDirectory(p) ? "/" : "");
                        out.add(new Candidate(value, p.getFileName() + (Files.isDirectory(p) ? "/" : ""), null, null, null, null,
                                !Files.isDirectory(p)));
                    });
        } catch (IOException e) {
            // unreadable directory: nothing to offer
        }
        return out;
    }
}
