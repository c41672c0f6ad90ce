///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/cli/*.java
//SOURCES lib/flink/*.java
//SOURCES lib/cluster/*.java
//JAVA_OPTIONS -XX:TieredStopAtLevel=1
//DESCRIPTION Start, stop and inspect a real local Flink 2.3 standalone cluster (JobManager + TaskManager JVMs).
package statelab;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.flink.runtime.messages.webmonitor.JobDetails;
import org.apache.flink.runtime.rest.handler.legacy.messages.ClusterOverviewWithVersion;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import statelab.cli.CommandRunner;
import statelab.cli.Durations;
import statelab.cli.ExitCode;
import statelab.cli.Failure;
import statelab.cli.Output;
import statelab.cli.Workspace;
import statelab.cluster.InstanceOption;
import statelab.cluster.LocalCluster;
import statelab.cluster.LocalCluster.Instance;
import statelab.cluster.LocalCluster.Liveness;
import statelab.cluster.LocalCluster.Network;
import statelab.cluster.LocalCluster.Role;
import statelab.flink.JobCatalog;
import statelab.flink.FlinkRest;

/**
 * {@code cluster start|stop|status|logs}: a real Flink standalone session cluster on this machine, as two JVMs
 * (StandaloneSessionClusterEntrypoint and TaskManagerRunner) started from Maven Central jars, bound to
 * 127.0.0.1, configured by the project's config.yaml. {@code --dir} selects an instance (default: the checkout).
 */
@Command(name = "cluster", mixinStandardHelpOptions = true, version = "StateLab cluster (Flink 2.3.0)",
        description = "Start, stop and inspect a local Flink 2.3 cluster: a JobManager and a TaskManager process.",
        subcommands = {Cluster.Start.class, Cluster.Stop.class, Cluster.Status.class, Cluster.Logs.class, Cluster.Run.class,
                Cluster.Prepare.class})
public final class Cluster implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand: start, stop, status, logs, run or prepare");
    }

    /**
     * --port for stop and status: the instance that `start --port` started. An instance is its directory, so the
     * port only confirms it: one that does not match says which port the instance runs on, and nothing is done.
     */
    static final class PortOption {
        @Option(names = "--port", paramLabel = "PORT", description = "The REST port the instance was started with (checked).")
        Integer port;

        /** Fails with {@link ExitCode#NOT_FOUND} when this instance runs, but not on --port. */
        void check(LocalCluster c, Optional<Instance> recorded) {
            if (port != null && recorded.isPresent() && recorded.get().restPort() != port) {
                throw Failure.of(ExitCode.NOT_FOUND, "the cluster of %s runs on port %d, not %d; nothing done (another --dir?)",
                        c.dir(), recorded.get().restPort(), port);
            }
        }
    }

    /** --slots and --config, for the subcommands that start Flink's processes (start, run). */
    static final class FlinkOptions {
        @Option(names = "--slots", paramLabel = "N", description = "Task slots of a TaskManager (default: config.yaml's).")
        Integer slots;

        @Option(names = "--config", paramLabel = "FILE", description = "Flink config.yaml (default: the checkout's).")
        Path config;

        /** The config.yaml to start with; fails on a --slots below 1. */
        Path configYaml() {
            if (slots != null && slots < 1) {
                throw Failure.of(ExitCode.USAGE, "--slots must be at least 1, got %d", slots);
            }
            return config != null ? config : Workspace.requireCheckout("to find config.yaml, or pass --config").resolve("config.yaml");
        }
    }

    /** What status prints, and start once ready. */
    record ClusterStatus(boolean running, String restUrl, String webUi, String dir, Long jobManagerPid, Long taskManagerPid,
                         Integer taskManagers, Integer slotsTotal, Integer slotsAvailable, String flinkVersion, List<Job> jobs) {
        record Job(String id, String name, String state) {}

        static ClusterStatus stopped(LocalCluster c) {
            return new ClusterStatus(false, null, null, c.dir().toString(), null, null, null, null, null, null, List.of());
        }

        static ClusterStatus of(LocalCluster c, Instance i, ClusterOverviewWithVersion o, Collection<JobDetails> jobs) {
            List<Job> list = new ArrayList<>();
            jobs.forEach(j -> list.add(new Job(j.getJobId().toString(), j.getJobName(), j.getStatus().name())));
            return new ClusterStatus(true, i.restUrl(), i.restUrl() + "/#/overview", c.dir().toString(), i.jobManagerPid(),
                    i.taskManagerPid(), o.getNumTaskManagersConnected(), o.getNumSlotsTotal(), o.getNumSlotsAvailable(),
                    o.getVersion(), list);
        }

        void print(Output output) {
            if (output.json()) {
                output.result(null, this);
                return;
            }
            PrintWriter out = output.out();
            if (!running) {
                out.println("stopped");
            } else {
                out.printf("running  %s  (web UI %s)%n", restUrl, webUi);
                out.printf("dir      %s%n", dir);
                out.printf("pids     jobmanager %d, taskmanager %d%n", jobManagerPid, taskManagerPid);
                out.printf("slots    %d free of %d, %d taskmanager(s), Flink %s%n", slotsAvailable, slotsTotal, taskManagers, flinkVersion);
                jobs.forEach(j -> out.printf("job      %s  %-10s %s%n", j.id(), j.state(), j.name()));
            }
            out.flush();
        }
    }

    static ClusterStatus query(LocalCluster c, Instance i) {
        try (FlinkRest rest = c.rest(i)) {
            return ClusterStatus.of(c, i, rest.overview(), rest.jobs());
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = {"Start the JobManager and TaskManager; return once the REST API answers and the slots are registered.",
                    "A no-op when this instance already runs. Prints the REST URL."})
    static final class Start implements Callable<Integer> {
        @Mixin InstanceOption instance;
        @Mixin Output output;

        @Option(names = "--port", paramLabel = "PORT", description = "REST (and web UI) port on 127.0.0.1 (default: ${DEFAULT-VALUE}).",
                defaultValue = "8081")
        int port;

        @Mixin FlinkOptions flink;

        @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "60s",
                description = "How long to wait for the cluster to be ready (default: ${DEFAULT-VALUE}).")
        Duration timeout;

        @Override
        public Integer call() throws IOException {
            if (port < 1 || port > 65535) {
                throw Failure.of(ExitCode.USAGE, "--port must be 1..65535, got %d", port);
            }
            Path configYaml = flink.configYaml();
            LocalCluster c = instance.cluster();
            Optional<Liveness> live = c.liveness();
            if (live.isPresent() && live.get().both()) {
                Instance i = live.get().instance();
                if (i.restPort() != port) {
                    throw Failure.of(ExitCode.CONFLICT, "this instance (%s) already runs on port %d; stop it first or use another --dir",
                            c.dir(), i.restPort());
                }
                output.progress("already running in %s", c.dir());
                print(query(c, i));
                return ExitCode.OK.code;
            }
            if (live.isPresent() && live.get().any()) {
                output.progress("stopping what is left of a half-running instance in %s", c.dir());
                c.stop(Duration.ofSeconds(10));
            }
            LocalCluster.requireFreePort(port);
            Instant started = Instant.now();
            Instance i = c.launch(configYaml, port, flink.slots, output.progressLines());
            try {
                c.awaitReady(i, timeout, output.progressLines());
            } catch (Failure f) {
                PrintWriter err = output.err();
                for (String component : List.of("jobmanager", "taskmanager")) {
                    err.println("--- last lines of " + c.log(component, false) + " ---");
                    LocalCluster.tail(c.log(component, false), 15).forEach(err::println);
                    LocalCluster.tail(c.log(component, true), 5).forEach(err::println);
                }
                err.flush();
                c.stop(Duration.ofSeconds(10));
                throw f;
            }
            output.progress("ready in %s: %s (logs in %s)", Durations.format(Duration.between(started, Instant.now())),
                    i.restUrl(), c.logs());
            print(query(c, i));
            return ExitCode.OK.code;
        }

        private void print(ClusterStatus status) {
            output.result(status.restUrl(), status);
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true,
            description = {"Stop the processes this instance started (by pid: TaskManager, then JobManager) and wait for them.",
                    "A no-op when nothing runs. Prints the pids it stopped."})
    static final class Stop implements Callable<Integer> {
        @Mixin InstanceOption instance;
        @Mixin PortOption port;
        @Mixin Output output;

        @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "30s",
                description = "Grace period before a process is killed (default: ${DEFAULT-VALUE}).")
        Duration timeout;

        @Override
        public Integer call() {
            LocalCluster c = instance.cluster();
            port.check(c, c.liveness().filter(Liveness::any).map(Liveness::instance));
            List<Long> stopped = c.stop(timeout);
            output.progress(stopped.isEmpty() ? "nothing was running in %s" : "stopped in %s", c.dir());
            StringBuilder plain = new StringBuilder(stopped.isEmpty() ? "not running" : "stopped");
            stopped.forEach(pid -> plain.append(' ').append(pid));
            output.result(plain.toString(), java.util.Map.of("dir", c.dir().toString(), "stopped", stopped));
            return ExitCode.OK.code;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = {"Print whether this instance runs, its REST URL, pids, slots and jobs.",
                    "Exit code 0 when it runs, 5 when it does not."})
    static final class Status implements Callable<Integer> {
        @Mixin InstanceOption instance;
        @Mixin PortOption port;
        @Mixin Output output;

        @Override
        public Integer call() {
            LocalCluster c = instance.cluster();
            Optional<Liveness> live = c.liveness();
            port.check(c, live.filter(Liveness::any).map(Liveness::instance));
            if (live.isEmpty() || !live.get().both()) {
                ClusterStatus.stopped(c).print(output);
                if (live.isPresent() && live.get().any()) {
                    output.warn("only one of the two processes of %s runs; `cluster stop` ends it", c.dir());
                }
                return ExitCode.UNREACHABLE.code;
            }
            query(c, live.get().instance()).print(output);
            return ExitCode.OK.code;
        }
    }

    @Command(name = "logs", mixinStandardHelpOptions = true,
            description = "Print a process's log (jm or tm); -f keeps printing what is appended, until interrupted.")
    static final class Logs implements Callable<Integer> {
        @Mixin InstanceOption instance;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        enum Component { jm, tm }

        @Parameters(index = "0", arity = "0..1", defaultValue = "jm", paramLabel = "jm|tm",
                description = "jm (JobManager) or tm (TaskManager); default: ${DEFAULT-VALUE}.")
        Component component;

        @Option(names = "--stdout", description = "The process's stdout (.out: what print() sinks write) instead of its log.")
        boolean stdout;

        @Option(names = {"-n", "--lines"}, paramLabel = "N", description = "Only the last N lines.")
        Integer lines;

        @Option(names = {"-f", "--follow"}, description = "Keep printing lines as they are appended.")
        boolean follow;

        @Override
        public Integer call() throws IOException {
            LocalCluster c = instance.cluster();
            Path file = c.log(component == Component.jm ? "jobmanager" : "taskmanager", stdout);
            if (!Files.isRegularFile(file)) {
                throw Failure.of(ExitCode.NOT_FOUND, "no log at %s (has the cluster in %s been started?)", file, c.dir());
            }
            if (lines != null && lines < 0) {
                throw Failure.of(ExitCode.USAGE, "--lines must not be negative");
            }
            PrintWriter out = spec.commandLine().getOut();
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            all.subList(lines == null ? 0 : Math.max(0, all.size() - lines), all.size()).forEach(out::println);
            out.flush();
            if (follow) {
                followFrom(file, Files.size(file), out);
            }
            return ExitCode.OK.code;
        }

        private static void followFrom(Path file, long position, PrintWriter out) throws IOException {
            long pos = position;
            while (!Thread.currentThread().isInterrupted()) {
                long size = Files.size(file);
                if (size < pos) {
                    pos = 0; // rotated or truncated
                }
                if (size > pos) {
                    try (var channel = Files.newByteChannel(file)) {
                        channel.position(pos);
                        var buffer = java.nio.ByteBuffer.allocate((int) Math.min(size - pos, 1 << 20));
                        pos += channel.read(buffer);
                        out.print(new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8));
                        out.flush();
                    }
                } else {
                    try {
                        Thread.sleep(250);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = {"Run the JobManager, a TaskManager or both in the foreground, as a container's main process does:",
                    "their output on stdout, each log in DIR/logs/COMPONENT-HOST.log; SIGTERM stops them, and when one exits,",
                    "the other is stopped and its exit code is this command's. What the image's entrypoint runs (docs/docker.md)."})
    static final class Run implements Callable<Integer> {
        @Mixin InstanceOption instance;
        @Mixin Output output;

        @Parameters(index = "0", paramLabel = "jobmanager|taskmanager|both", description = "Which processes to run.")
        Role role;

        @Option(names = "--port", paramLabel = "PORT", defaultValue = "8081", description = "REST port (default: ${DEFAULT-VALUE}).")
        int port;

        @Option(names = "--rpc-port", paramLabel = "PORT", defaultValue = "6123",
                description = "The JobManager's RPC port, where TaskManagers register (default: ${DEFAULT-VALUE}).")
        int rpcPort;

        @Option(names = "--bind", paramLabel = "HOST", defaultValue = "127.0.0.1",
                description = "Address the processes listen on (default: ${DEFAULT-VALUE}; 0.0.0.0 in a container).")
        String bind;

        @Option(names = "--jobmanager", paramLabel = "HOST",
                description = "The JobManager's host name, as TaskManagers reach it (default: 127.0.0.1 when bound to it, else this host's name).")
        String jobManager;

        @Option(names = "--savepoints", paramLabel = "DIR",
                description = "Savepoint directory (default: DIR/savepoints). Give the path the host knows it by when it is mounted from there.")
        Path savepoints;

        @Option(names = "--advertise", paramLabel = "HOST",
                description = "The address a TaskManager gives the JobManager (default: 127.0.0.1 when bound to it, else the address this host's name resolves to).")
        String advertise;

        @Mixin FlinkOptions flink;

        @Override
        public Integer call() throws IOException {
            for (int p : new int[] {port, rpcPort}) {
                if (p < 1 || p > 65535) {
                    throw Failure.of(ExitCode.USAGE, "ports must be 1..65535, got %d", p);
                }
            }
            Path configYaml = flink.configYaml();
            boolean loopback = bind.equals("127.0.0.1") || bind.equals("localhost");
            String jm = jobManager != null ? jobManager : loopback ? "127.0.0.1" : java.net.InetAddress.getLocalHost().getHostName();
            // Each replica of a scaled TaskManager service advertises its own address: what its host name resolves to
            // (in a container, the container's). Told none, Flink would find it by connecting to the JobManager, and
            // wait until the JobManager listens before starting anything: 2 s of a 13 s compose start, measured.
            String tm = advertise != null ? advertise : loopback ? "127.0.0.1" : java.net.InetAddress.getLocalHost().getHostAddress();
            Network net = new Network(bind, jm, tm, port, rpcPort);
            LocalCluster c = instance.cluster(savepoints);
            if (role != Role.taskmanager) {
                LocalCluster.requireFreePort(port);
            }
            PrintWriter err = output.err();
            Duration grace = Duration.ofSeconds(20);
            int code = c.runForeground(configYaml, role, net, flink.slots, grace, line -> {
                err.println("cluster run: " + line);
                err.flush();
            });
            return code == 0 ? ExitCode.OK.code : ExitCode.FAILURE.code;
        }
    }

    @Command(name = "prepare", mixinStandardHelpOptions = true,
            description = {"Resolve the cluster's jars and build every job's jar now, so that later commands download and compile nothing",
                    "(what the image's build runs). Prints the number of cluster jars and each job's jar."})
    static final class Prepare implements Callable<Integer> {
        @Mixin Output output;

        @Option(names = "--s3", description = "Also resolve Flink's S3 plugin (31 MB), which savepoints on s3:// need (docs/remote.md).")
        boolean s3;

        record Prepared(int clusterJars, java.util.Map<String, String> jobs, String s3Plugin) {}

        @Override
        public Integer call() throws IOException {
            String classpath = LocalCluster.classpath(output.progressLines());
            java.util.Map<String, String> jobs = new java.util.LinkedHashMap<>();
            for (String job : JobCatalog.jobs(Workspace.requireCheckout("to find the jobs")).keySet()) {
                jobs.put(job, JobCatalog.resolve(job, output.progressLines()).jar().toString());
            }
            String plugin = s3 ? statelab.flink.FlinkPlugins.root(output.progressLines()).toString() : null;
            Prepared prepared = new Prepared(classpath.split(java.io.File.pathSeparator).length, jobs, plugin);
            StringBuilder plain = new StringBuilder("cluster: " + prepared.clusterJars() + " jars");
            jobs.forEach((job, jar) -> plain.append('\n').append(job).append(": ").append(jar));
            if (plugin != null) {
                plain.append("\ns3 plugin: ").append(plugin);
            }
            output.result(plain.toString(), prepared);
            return ExitCode.OK.code;
        }
    }

    public static void main(String[] args) {
        CommandRunner.main(new Cluster(), args);
    }
}
