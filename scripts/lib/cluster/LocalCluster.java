//DEPS org.apache.flink:flink-clients:2.3.0
package statelab.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.flink.configuration.ConfigurationUtils;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.SecurityOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.jobmanager.JobManagerProcessSpec;
import org.apache.flink.runtime.rest.handler.legacy.messages.ClusterOverviewWithVersion;
import org.apache.flink.runtime.jobmanager.JobManagerProcessUtils;
import org.apache.flink.runtime.util.config.memory.ProcessMemoryUtils;
import statelab.cli.ExitCode;
import statelab.cli.Failure;
import statelab.cli.Jbang;
import statelab.cli.Output;
import statelab.cli.Poll;
import statelab.cli.Workspace;
import statelab.flink.FlinkFiles;
import statelab.flink.FlinkPlugins;
import statelab.flink.FlinkRest;

/**
 * One local Flink standalone session cluster: a JobManager JVM and a TaskManager JVM, started from the jars of
 * {@value #DISTRIBUTION} (what a Flink distribution's {@code lib/} holds), resolved by jbang on their own, not
 * inherited from the JVM that starts them, with the project's {@code config.yaml}. An instance lives in one
 * directory:
 *
 * <pre>
 *   DIR/logs/                 jobmanager.log/.out, taskmanager.log/.out (the previous run's as *.1)
 *   DIR/checkpoints/          execution.checkpointing.dir
 *   DIR/savepoints/           execution.checkpointing.savepoint-dir
 *   DIR/.statelab/conf/       the config.yaml and log4j.properties the processes were started with
 *   DIR/.statelab/cluster.json  pids, ports, start time: what `stop` ends and `status` reports
 *   DIR/.statelab/tmp/        io.tmp.dirs, web uploads, RocksDB working directories
 * </pre>
 */
public final class LocalCluster {
    public static final String JOB_MANAGER_MAIN = "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
    public static final String TASK_MANAGER_MAIN = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";

    /** The script whose //DEPS are the cluster's classpath, relative to the checkout. */
    public static final String DISTRIBUTION = "scripts/lib/cluster/runtime/FlinkDistribution.java";
    static final String CHECKPOINT_DIR = "execution.checkpointing.dir";
    static final String SAVEPOINT_DIR = "execution.checkpointing.savepoint-dir";

    private final Path dir;
    private final Path savepoints;
    /** Whether {@link #savepoints} was given (cluster run --savepoints), and so wins over config.yaml's remote one. */
    private final boolean savepointsGiven;

    public LocalCluster(Path dir) {
        this(dir, null);
    }

    /**
     * An instance in {@code dir} whose savepoints go to {@code savepoints} instead of {@code DIR/savepoints}
     * (null: the default). A container's savepoints live at the path the host knows them by (docs/docker.md).
     */
    public LocalCluster(Path dir, Path savepoints) {
        this.dir = dir.toAbsolutePath().normalize();
        this.savepoints = savepoints != null ? savepoints.toAbsolutePath().normalize() : this.dir.resolve("savepoints");
        this.savepointsGiven = savepoints != null;
    }

    public Path dir() {
        return dir;
    }

    public Path logs() {
        return dir.resolve("logs");
    }

    public Path confDir() {
        return dir.resolve(".statelab/conf");
    }

    private Path stateFile() {
        return dir.resolve(".statelab/cluster.json");
    }

    private Path tmpDir() {
        return dir.resolve(".statelab/tmp");
    }

    public Path log(String component, boolean stdout) {
        return logs().resolve(component + (stdout ? ".out" : ".log"));
    }

    /**
     * What was recorded when this instance was started: pids, each process's start time (a pid plus its start
     * time names one process, even after the pid is reused), ports.
     */
    public record Instance(long jobManagerPid, String jobManagerStart, long taskManagerPid, String taskManagerStart,
                           int restPort, int rpcPort, int slots, String startedAt, boolean restTls) {
        /** https when config.yaml turns on TLS for the REST API ({@code security.ssl.rest.enabled}). */
        public String restUrl() {
            return (restTls ? "https" : "http") + "://127.0.0.1:" + restPort;
        }
    }

    /**
     * A REST client for this instance: for a REST API behind TLS, with the trust store (and, for mutual TLS, the
     * key store) of the instance's own configuration, so that its commands need nothing more than {@code --dir}.
     */
    public FlinkRest rest(Instance instance) {
        return FlinkRest.connect(instance.restUrl(), instance.restTls()
                ? GlobalConfiguration.loadConfiguration(confDir().toString()) : new Configuration());
    }

    public Optional<Instance> recorded() {
        if (!Files.isRegularFile(stateFile())) {
            return Optional.empty();
        }
        try {
            JsonNode n = Output.mapper().readTree(stateFile().toFile());
            return Optional.of(Output.mapper().treeToValue(n, Instance.class));
        } catch (IOException | RuntimeException e) {
            throw Failure.of(ExitCode.FAILURE, "cannot read %s: %s (delete it if no cluster of this directory runs)",
                    stateFile(), e.getMessage());
        }
    }

    /**
     * The process if {@code pid} is alive and is the one this instance started. A pid and its start time name one
     * process (a reused pid has a later start), so when the start time was recorded it decides; for a record
     * without one, the command line must name this instance's conf dir.
     */
    public Optional<ProcessHandle> ours(long pid, String startedAt) {
        return ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .filter(p -> startedAt != null
                        ? p.info().startInstant().map(t -> t.toString().equals(startedAt)).orElse(false)
                        : p.info().commandLine().map(c -> c.contains("--configDir " + confDir())).orElse(false));
    }

    private static String startOf(Process p) {
        return p.toHandle().info().startInstant().map(Instant::toString).orElse(null);
    }

    /** Liveness of both recorded processes; empty when nothing was recorded. */
    public record Liveness(Instance instance, boolean jobManager, boolean taskManager) {
        public boolean both() {
            return jobManager && taskManager;
        }

        public boolean any() {
            return jobManager || taskManager;
        }
    }

    public Optional<Liveness> liveness() {
        return recorded().map(i -> new Liveness(i, ours(i.jobManagerPid(), i.jobManagerStart()).isPresent(),
                ours(i.taskManagerPid(), i.taskManagerStart()).isPresent()));
    }

    /** Fails with {@link ExitCode#CONFLICT} when something else listens on 127.0.0.1:{@code port}. */
    public static void requireFreePort(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            // As servers (Flink's REST endpoint too) bind: connections of a cluster just stopped, left in
            // TIME_WAIT, do not make the port "in use"; another process listening on it does.
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        } catch (IOException e) {
            throw Failure.of(ExitCode.CONFLICT, "port %d is already in use by another process; choose another with --port", port);
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on 127.0.0.1", e);
        }
    }

    /**
     * Where the processes listen and how they find each other: all on loopback for a local cluster
     * ({@link #loopback}); in containers they listen on every interface and find the JobManager by its host name.
     * A null {@code taskManagerHost} removes the setting, and Flink finds the TaskManager's address by connecting to
     * the JobManager, waiting until it listens; `cluster run` gives each replica its own address instead.
     */
    public record Network(String bindHost, String jobManagerAddress, String taskManagerHost, int restPort, int rpcPort) {
        public static Network loopback(int restPort, int rpcPort) {
            return new Network("127.0.0.1", "127.0.0.1", "127.0.0.1", restPort, rpcPort);
        }
    }

    /**
     * The settings that differ per instance, in one place: addresses, this instance's ports, and its
     * directories; a null value removes the setting. Everything else comes from config.yaml as written.
     */
    Map<String, String> instanceOverrides(Network net, Integer slots) {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("rest.address", net.jobManagerAddress());
        o.put("rest.bind-address", net.bindHost());
        o.put("rest.port", Integer.toString(net.restPort()));
        o.put("jobmanager.rpc.address", net.jobManagerAddress());
        o.put("jobmanager.rpc.port", Integer.toString(net.rpcPort()));
        o.put("jobmanager.bind-host", net.bindHost());
        // null: removed, so that Flink finds the TaskManager's address itself (config.yaml names 127.0.0.1)
        o.put("taskmanager.host", net.taskManagerHost());
        o.put("taskmanager.bind-host", net.bindHost());
        if (slots != null) {
            o.put("taskmanager.numberOfTaskSlots", Integer.toString(slots));
        }
        o.put(CHECKPOINT_DIR, dir.resolve("checkpoints").toUri().toString());
        o.put(SAVEPOINT_DIR, savepoints.toUri().toString());
        o.put("io.tmp.dirs", tmpDir().toString());
        o.put("web.tmpdir", tmpDir().toString());
        return o;
    }

    /**
     * Writes this instance's configuration from {@code configYaml} and the instance overrides, and returns it
     * as Flink reads it.
     */
    Configuration writeConfiguration(Path configYaml, Network net, Integer slots) throws IOException {
        if (!Files.isRegularFile(configYaml)) {
            throw Failure.of(ExitCode.NOT_FOUND, "configuration file not found: %s", configYaml);
        }
        Files.createDirectories(confDir());
        Path staged = confDir().resolve(GlobalConfiguration.FLINK_CONF_FILENAME);
        Files.copy(configYaml, staged, StandardCopyOption.REPLACE_EXISTING);
        Configuration config;
        try {
            config = GlobalConfiguration.loadConfiguration(confDir().toString());
        } catch (RuntimeException e) {
            throw Failure.of(ExitCode.USAGE, "cannot read %s: %s", configYaml, e.getMessage());
        }
        if (config.keySet().isEmpty()) {
            throw Failure.of(ExitCode.USAGE, "%s holds no settings (is it valid YAML?)", configYaml);
        }
        Map<String, String> overrides = instanceOverrides(net, slots);
        // A local directory is the instance's (under its --dir); a remote one (s3://…) is shared storage the user
        // configured, and stays as config.yaml says, unless `cluster run --savepoints` names another.
        Map<String, String> configured = config.toMap();
        for (String key : List.of(CHECKPOINT_DIR, SAVEPOINT_DIR)) {
            String location = configured.get(key);
            if (location != null && FlinkFiles.isRemote(location) && !(key.equals(SAVEPOINT_DIR) && savepointsGiven)) {
                overrides.remove(key);
            }
        }
        overrides.forEach((key, value) -> {
            if (value == null) {
                config.removeKey(key);
            } else {
                config.setString(key, value);
            }
        });
        List<String> lines = ConfigurationUtils.convertConfigToWritableLines(config, false);
        String header = "# Written by `jbang cluster start` from " + configYaml + " and the instance overrides in LocalCluster.\n";
        Workspace.writeAtomically(staged, (header + String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
        Workspace.writeAtomically(confDir().resolve("log4j.properties"), LOG4J.getBytes(StandardCharsets.UTF_8));
        return config;
    }

    /** One of the cluster's two kinds of daemon process: its JVM options, main class and arguments as Flink derives them. */
    record Daemon(String component, List<String> jvm, String mainClass, List<String> args) {}

    /** The JobManager's process from {@code config}, as Flink's own start-up scripts derive it. */
    Daemon jobManagerProcess(Configuration config) {
        JobManagerProcessSpec jm = JobManagerProcessUtils.processSpecFromConfig(config);
        List<String> jvm = new ArrayList<>(split(JobManagerProcessUtils.generateJvmParametersStr(jm, config)));
        jvm.addAll(split(config.get(CoreOptions.FLINK_JVM_OPTIONS)));
        jvm.addAll(split(config.get(CoreOptions.FLINK_JM_JVM_OPTIONS)));
        List<String> args = new ArrayList<>(List.of("--configDir", confDir().toString(), "--executionMode", "cluster"));
        args.addAll(split(JobManagerProcessUtils.generateDynamicConfigsStr(jm)));
        return new Daemon("jobmanager", jvm, JOB_MANAGER_MAIN, args);
    }

    /** The TaskManager's process from {@code config}. */
    Daemon taskManagerProcess(Configuration config) {
        TaskExecutorProcessSpec tm = TaskExecutorProcessUtils.processSpecFromConfig(config);
        List<String> jvm = new ArrayList<>(split(ProcessMemoryUtils.generateJvmParametersStr(tm)));
        jvm.addAll(split(config.get(CoreOptions.FLINK_JVM_OPTIONS)));
        jvm.addAll(split(config.get(CoreOptions.FLINK_TM_JVM_OPTIONS)));
        List<String> args = new ArrayList<>(List.of("--configDir", confDir().toString()));
        args.addAll(split(TaskExecutorProcessUtils.generateDynamicConfigsStr(tm)));
        return new Daemon("taskmanager", jvm, TASK_MANAGER_MAIN, args);
    }

    private void createDirectories() throws IOException {
        for (Path d : List.of(logs(), dir.resolve("checkpoints"), savepoints, tmpDir())) {
            // A link to a directory will do (the image links /opt/flink/logs to /opt/flink/log, where its users mount
            // theirs); Files.createDirectories refuses one.
            if (!Files.isDirectory(d)) {
                Files.createDirectories(d);
            }
        }
    }

    /**
     * Starts the JobManager and the TaskManager and records them; returns once both processes are launched.
     * Readiness is the caller's to wait for ({@link #awaitReady}).
     */
    public Instance launch(Path configYaml, int restPort, Integer slots, Consumer<String> progress) throws IOException {
        int rpcPort = freePort();
        Configuration config = writeConfiguration(configYaml, Network.loopback(restPort, rpcPort), slots);
        createDirectories();
        String classpath = withHadoop(classpath(progress), config, progress);
        Path plugins = plugins(config, progress);
        Process jobManager = spawn(jobManagerProcess(config), classpath, plugins, log("jobmanager", false), false);
        progress.accept("JobManager started, pid " + jobManager.pid());
        Process taskManager;
        try {
            taskManager = spawn(taskManagerProcess(config), classpath, plugins, log("taskmanager", false), false);
        } catch (IOException | RuntimeException e) {
            jobManager.destroyForcibly();
            throw e;
        }
        progress.accept("TaskManager started, pid " + taskManager.pid());
        Instance instance = new Instance(jobManager.pid(), startOf(jobManager), taskManager.pid(), startOf(taskManager), restPort,
                rpcPort, config.get(TaskManagerOptions.NUM_TASK_SLOTS), Instant.now().toString(), SecurityOptions.isRestSSLEnabled(config));
        Workspace.writeAtomically(stateFile(), Output.toJson(instance).getBytes(StandardCharsets.UTF_8));
        return instance;
    }

    /**
     * SIGKILLs the recorded TaskManager, as a crash or the kernel's OOM killer would end it (no shutdown hook, no
     * goodbye to the JobManager), and waits until it is gone. Returns its pid.
     */
    public long killTaskManager(Duration timeout) {
        Instance i = recorded().orElseThrow(() -> Failure.of(ExitCode.NOT_FOUND, "no cluster of %s is running", dir));
        ProcessHandle tm = ours(i.taskManagerPid(), i.taskManagerStart()).orElseThrow(() -> Failure.of(ExitCode.NOT_FOUND,
                "the TaskManager this cluster recorded (pid %d) is not running", i.taskManagerPid()));
        tm.destroyForcibly(); // SIGKILL on Linux
        try {
            tm.onExit().get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw Failure.of(ExitCode.TIMEOUT, "TaskManager pid %d still alive %ds after SIGKILL", tm.pid(), timeout.toSeconds());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Failure.of(ExitCode.FAILURE, "interrupted while killing TaskManager pid %d", tm.pid());
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
        return tm.pid();
    }

    /**
     * Starts a TaskManager in place of the recorded one, which must be gone (as a supervisor restarts a crashed
     * process), with the configuration the cluster was started with; records its pid. The previous TaskManager's
     * log is kept as {@code taskmanager.log.1}. Registration with the JobManager is the caller's to wait for.
     */
    public Instance replaceTaskManager(Consumer<String> progress) throws IOException {
        return prepareReplacement(progress).start();
    }

    /**
     * A TaskManager's process worked out from the running cluster's configuration, ready to start in place of the
     * recorded one as soon as it is gone: {@code chaos} prepares it before its first kill.
     */
    public Replacement prepareReplacement(Consumer<String> progress) throws IOException {
        Configuration config = GlobalConfiguration.loadConfiguration(confDir().toString());
        return new Replacement(taskManagerProcess(config), withHadoop(classpath(progress), config, progress), plugins(config, progress), progress);
    }

    /** See {@link #prepareReplacement}. */
    public final class Replacement {
        private final Daemon process;
        private final String classpath;
        private final Path plugins;
        private final Consumer<String> progress;

        private Replacement(Daemon process, String classpath, Path plugins, Consumer<String> progress) {
            this.process = process;
            this.classpath = classpath;
            this.plugins = plugins;
            this.progress = progress;
        }

        /** Starts the TaskManager and records it; the recorded one must be gone and the JobManager running. */
        public Instance start() throws IOException {
            Instance i = recorded().orElseThrow(() -> Failure.of(ExitCode.NOT_FOUND, "no cluster of %s is running", dir));
            if (ours(i.taskManagerPid(), i.taskManagerStart()).isPresent()) {
                throw Failure.of(ExitCode.CONFLICT, "the TaskManager (pid %d) still runs; a replacement would be a second one",
                        i.taskManagerPid());
            }
            if (ours(i.jobManagerPid(), i.jobManagerStart()).isEmpty()) {
                throw Failure.of(ExitCode.NOT_FOUND, "the JobManager (pid %d) is not running: nothing for a TaskManager to join; "
                        + "start the cluster again", i.jobManagerPid());
            }
            Process tm = spawn(process, classpath, plugins, log("taskmanager", false), false);
            progress.accept("TaskManager started, pid " + tm.pid());
            Instance replaced = new Instance(i.jobManagerPid(), i.jobManagerStart(), tm.pid(), startOf(tm), i.restPort(), i.rpcPort(),
                    i.slots(), i.startedAt(), i.restTls());
            Workspace.writeAtomically(stateFile(), Output.toJson(replaced).getBytes(StandardCharsets.UTF_8));
            return replaced;
        }
    }

    /** What {@link #runForeground} runs: the JobManager, a TaskManager, or both. */
    public enum Role { jobmanager, taskmanager, both }

    /**
     * Runs {@code role}'s processes in the foreground, as a container's main process does: their output (what
     * jobs print) goes to this process's stdout, each one's log to {@code logs/COMPONENT-HOST.log} (replicas of a
     * scaled service share a log directory), and this returns when one of them exits, with its exit code, after
     * ending the other. SIGTERM (`docker stop`) ends them as `cluster stop` does. Nothing is recorded in
     * {@code cluster.json}: the container's runtime is what knows the processes.
     */
    public int runForeground(Path configYaml, Role role, Network net, Integer slots, Duration grace, Consumer<String> progress)
            throws IOException {
        Configuration config = writeConfiguration(configYaml, net, slots);
        createDirectories();
        String classpath = withHadoop(classpath(progress), config, progress);
        Path plugins = plugins(config, progress);
        String host = InetAddress.getLocalHost().getHostName();
        List<Daemon> plans = switch (role) {
            case jobmanager -> List.of(jobManagerProcess(config));
            case taskmanager -> List.of(taskManagerProcess(config));
            case both -> List.of(jobManagerProcess(config), taskManagerProcess(config));
        };
        List<Process> running = new ArrayList<>();
        Thread stopAll = new Thread(() -> {
            for (int i = running.size() - 1; i >= 0; i--) {
                terminate(running.get(i).toHandle(), grace);
            }
        }, "stop-cluster-processes");
        Runtime.getRuntime().addShutdownHook(stopAll);
        for (Daemon plan : plans) {
            Path log = logs().resolve(plan.component() + "-" + host + ".log");
            Process p = spawn(plan, classpath, plugins, log, true);
            running.add(p);
            progress.accept(plan.component() + " started, pid " + p.pid() + ", log " + log);
        }
        CompletableFuture<?>[] exits = running.stream().map(Process::onExit).toArray(CompletableFuture[]::new);
        int code;
        boolean interrupted = false;
        try {
            Process first = (Process) CompletableFuture.anyOf(exits).get();
            code = first.exitValue();
            progress.accept(plans.get(running.indexOf(first)).component() + " (pid " + first.pid() + ") exited with code " + code
                    + (running.size() > 1 ? "; stopping the other" : ""));
        } catch (InterruptedException e) { // Ctrl-C in the REPL: stop them as SIGTERM would (interrupt kept for after)
            interrupted = true;
            progress.accept("interrupted; stopping the cluster's processes");
            code = 130;
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
        try {
            Runtime.getRuntime().removeShutdownHook(stopAll);
            stopAll.run();
        } catch (IllegalStateException shuttingDown) {
            // the hook runs already
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return code;
    }

    /**
     * The JobManager's and TaskManager's classpath: {@value #DISTRIBUTION}'s jars as {@code jbang info classpath}
     * resolves them, kept under {@code $STATELAB_HOME/classpath/} by the hash of that script and asked anew when
     * it changed or a jar it names is gone.
     */
    public static String classpath(Consumer<String> progress) throws IOException {
        Path checkout = Workspace.requireCheckout("to resolve the cluster's jars from " + DISTRIBUTION);
        Path script = checkout.resolve(DISTRIBUTION);
        Path cached = Workspace.home().resolve("classpath").resolve("flink-" + Jbang.sourceHash(script) + ".txt");
        if (Files.isRegularFile(cached)) {
            String known = Files.readString(cached, StandardCharsets.UTF_8).strip();
            if (!known.isEmpty() && Arrays.stream(known.split(File.pathSeparator)).allMatch(jar -> Files.exists(Path.of(jar)))) {
                return known;
            }
        }
        progress.accept("resolving the cluster's jars with jbang (" + DISTRIBUTION + ")");
        // jbang lists the script's own jar too, which it builds only when the script is run: a jar holding nothing
        // the cluster needs (the script is only a list of //DEPS), and one whose absence would make the cached
        // classpath look stale on every start. Only the jars that exist are kept.
        String resolved = Arrays.stream(Jbang.run(checkout, List.of("info", "classpath", "--quiet", script.toString())).strip()
                        .split(File.pathSeparator))
                .filter(jar -> !jar.isBlank() && Files.exists(Path.of(jar)))
                .collect(java.util.stream.Collectors.joining(File.pathSeparator));
        if (resolved.isEmpty() || !resolved.contains("flink-runtime")) {
            throw Failure.of(ExitCode.FAILURE, "jbang info classpath %s printed no Flink classpath: '%s'", DISTRIBUTION, resolved);
        }
        Workspace.writeAtomically(cached, resolved.getBytes(StandardCharsets.UTF_8));
        return resolved;
    }

    /**
     * Flink's plugins root ({@link FlinkPlugins}) when {@code config} uses S3 (a location {@code s3://…} or
     * {@code s3a://…}, or an {@code s3.} setting), else null: the plugin's 31 MB are loaded only where needed.
     */
    static Path plugins(Configuration config, Consumer<String> progress) throws IOException {
        boolean s3 = config.toMap().entrySet().stream().anyMatch(e -> e.getKey().startsWith("s3.")
                || e.getValue() != null && FlinkPlugins.servesS3(FlinkFiles.scheme(e.getValue())));
        return s3 ? FlinkPlugins.root(progress) : null;
    }

    /**
     * {@code classpath}, with Hadoop's client after it when {@code config} names an {@code hdfs://} location: how
     * Flink serves HDFS ({@code HADOOP_CLASSPATH}, {@link FlinkPlugins#HADOOP}); without one, the cluster carries none.
     */
    static String withHadoop(String classpath, Configuration config, Consumer<String> progress) throws IOException {
        boolean hdfs = config.toMap().values().stream().anyMatch(v -> v != null && FlinkPlugins.servesHdfs(FlinkFiles.scheme(v)));
        if (!hdfs) {
            return classpath;
        }
        StringBuilder cp = new StringBuilder(classpath);
        for (Path jar : FlinkPlugins.hadoopClasspath(progress)) {
            cp.append(File.pathSeparator).append(jar);
        }
        return cp.toString();
    }

    /**
     * Starts {@code p} with {@code classpath}, logging to {@code logFile}. A background process gets a session of
     * its own (a Ctrl-C meant for this command does not reach it) and its output in {@code .out} next to the log;
     * a foreground one shares this process's stdout and stderr.
     */
    private Process spawn(Daemon p, String classpath, Path plugins, Path logFile, boolean foreground) throws IOException {
        rotate(logFile);
        Path out = logFile.resolveSibling(p.component() + ".out");
        if (!foreground) {
            rotate(out);
        }
        List<String> cmd = new ArrayList<>();
        if (!foreground && (new File("/usr/bin/setsid").canExecute() || new File("/bin/setsid").canExecute())) {
            cmd.add("setsid");
        }
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(p.jvm());
        cmd.add("-Dlog.file=" + logFile);
        cmd.add("-Dlog4j.configuration=file:" + confDir().resolve("log4j.properties"));
        cmd.add("-Dlog4j.configurationFile=file:" + confDir().resolve("log4j.properties"));
        cmd.add(p.mainClass());
        cmd.addAll(p.args());
        ProcessBuilder pb = new ProcessBuilder(cmd);
        // The classpath goes through the environment: on the command line its ~10 KB would push the main class
        // and --configDir past the 4,096 characters ProcessHandle.info().commandLine() returns, where ours() looks.
        pb.environment().put("CLASSPATH", classpath);
        if (plugins != null) {
            pb.environment().put("FLINK_PLUGINS_DIR", plugins.toString()); // Flink's own variable (ConfigConstants)
        } else {
            pb.environment().remove("FLINK_PLUGINS_DIR");
        }
        pb.directory(dir.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        if (foreground) {
            pb.redirectOutput(ProcessBuilder.Redirect.INHERIT).redirectError(ProcessBuilder.Redirect.INHERIT);
        } else {
            pb.redirectOutput(out.toFile()).redirectErrorStream(true);
        }
        return pb.start();
    }

    private static void rotate(Path file) throws IOException {
        if (Files.exists(file)) {
            Files.move(file, file.resolveSibling(file.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static List<String> split(String s) {
        return s == null || s.isBlank() ? List.of() : Arrays.asList(s.trim().split("\\s+"));
    }

    /** Ends the recorded processes (TaskManager first), SIGTERM then SIGKILL after {@code grace}; forgets them. */
    public List<Long> stop(Duration grace) {
        Optional<Instance> instance = recorded();
        List<Long> stopped = new ArrayList<>();
        if (instance.isEmpty()) {
            return stopped;
        }
        Instance i = instance.get();
        for (Optional<ProcessHandle> p : List.of(ours(i.taskManagerPid(), i.taskManagerStart()), ours(i.jobManagerPid(), i.jobManagerStart()))) {
            if (p.isPresent()) {
                terminate(p.get(), grace);
                stopped.add(p.get().pid());
            }
        }
        try {
            Files.deleteIfExists(stateFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return stopped;
    }

    private static void terminate(ProcessHandle p, Duration grace) {
        p.destroy();
        try {
            p.onExit().get(grace.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            p.destroyForcibly();
            p.onExit().join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Waits until the REST API answers and the TaskManager's slots are registered; fails fast when either process
     * exits, and with {@link ExitCode#TIMEOUT} at the deadline.
     */
    public ClusterOverviewWithVersion awaitReady(Instance instance, Duration timeout, Consumer<String> progress) {
        try (FlinkRest rest = rest(instance)) {
            AtomicReference<String> last = new AtomicReference<>("REST API not answering yet");
            return Poll.until(timeout, () -> {
                if (ours(instance.jobManagerPid(), instance.jobManagerStart()).isEmpty()) {
                    throw Failure.of(ExitCode.FAILURE, "the JobManager exited while starting; see %s", log("jobmanager", false));
                }
                if (ours(instance.taskManagerPid(), instance.taskManagerStart()).isEmpty()) {
                    throw Failure.of(ExitCode.FAILURE, "the TaskManager exited while starting; see %s", log("taskmanager", false));
                }
                try {
                    ClusterOverviewWithVersion o = rest.overview();
                    if (o.getNumTaskManagersConnected() >= 1 && o.getNumSlotsTotal() >= instance.slots()) {
                        return Optional.of(o);
                    }
                    String now = "REST API up, " + o.getNumSlotsTotal() + " of " + instance.slots() + " slots registered";
                    if (!now.equals(last.getAndSet(now))) {
                        progress.accept(now);
                    }
                } catch (Failure f) {
                    if (f.exitCode() != ExitCode.UNREACHABLE && f.exitCode() != ExitCode.NOT_FOUND) {
                        throw f;
                    }
                }
                return Optional.<ClusterOverviewWithVersion>empty();
            }).orElseThrow(() -> Failure.of(ExitCode.TIMEOUT, "cluster not ready after %ds (%s); see %s",
                    timeout.toSeconds(), last.get(), logs()));
        }
    }


    /** The last {@code lines} lines of a log file, or a note that it is missing. */
    public static List<String> tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return all.subList(Math.max(0, all.size() - lines), all.size());
        } catch (IOException e) {
            return List.of("(no " + file + ")");
        }
    }

    /** Flink's own log4j2 setup for daemons, trimmed: one rolling file per process, given by -Dlog.file. */
    private static final String LOG4J = """
            # Written by `jbang cluster start`; the log file of each process is given by -Dlog.file.
            monitorInterval = 30
            rootLogger.level = INFO
            rootLogger.appenderRef.file.ref = MainAppender
            logger.pekko.name = org.apache.pekko
            logger.pekko.level = INFO
            logger.netty.name = org.apache.flink.shaded.netty4.io.netty.channel.AbstractChannel
            logger.netty.level = WARN
            logger.zookeeper.name = org.apache.zookeeper
            logger.zookeeper.level = WARN
            appender.main.name = MainAppender
            appender.main.type = RollingFile
            appender.main.append = true
            appender.main.fileName = ${sys:log.file}
            appender.main.filePattern = ${sys:log.file}.%i
            appender.main.layout.type = PatternLayout
            appender.main.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n
            appender.main.policies.type = Policies
            appender.main.policies.size.type = SizeBasedTriggeringPolicy
            appender.main.policies.size.size = 100MB
            appender.main.strategy.type = DefaultRolloverStrategy
            appender.main.strategy.max = 5
            """;
}
