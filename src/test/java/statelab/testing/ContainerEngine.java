package statelab.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * A real container engine for the container tests, typed at as Docker users type: the {@code docker} CLI (or
 * podman's own, where no docker CLI is installed) and Compose v2 ({@code docker compose}; else {@code docker-compose}
 * or {@code podman-compose}, whichever is there), talking
 * to Podman's Docker-compatible API on a socket of this test run's own, served by a {@code podman system service}
 * this class starts and stops. Everything a test makes is named {@link #prefix} so that {@link #close} removes it by
 * name, even after a failure.
 *
 * <p>When podman or the base image is missing, the tests are skipped, unless {@code STATELAB_CONTAINER_TESTS=required}
 * (what {@code .ci/run} sets after {@code .ci/containers-setup}): then they fail.
 */
public final class ContainerEngine implements AutoCloseable {
    public static final String BASE_IMAGE = "debian:bookworm-slim";
    private static final Duration QUICK = Duration.ofMinutes(2);

    /** Names of everything this run makes start with this: containers, the compose project, its network and volume. */
    public final String prefix = "statelab-it-" + UUID.randomUUID().toString().substring(0, 8);
    /** The project's image as this run builds it. */
    public final String image = prefix + ":test";
    public final String cli;
    /** The compose tool's command: {@code docker compose}, {@code docker-compose} or {@code podman-compose}. */
    public final List<String> compose;
    private final Path socket;
    private final Process service;

    private ContainerEngine(String cli, List<String> compose, Path socket, Process service) {
        this.cli = cli;
        this.compose = compose;
        this.socket = socket;
        this.service = service;
    }

    /** Starts the API service, or skips (or fails, when required) the calling tests with the reason. */
    public static ContainerEngine start() {
        boolean required = "required".equals(System.getenv("STATELAB_CONTAINER_TESTS"));
        String missing = !onPath("podman") ? "podman is not installed"
                : Proc.run(List.of("podman", "image", "exists", BASE_IMAGE), Checkout.ROOT, Map.of(), null, QUICK).exit() != 0
                        ? "the base image " + BASE_IMAGE + " is not there"
                        : null;
        if (missing != null) {
            String why = missing + ": run .ci/containers-setup (as root) for the container tests";
            if (required) {
                throw new AssertionError(why + " (STATELAB_CONTAINER_TESTS=required)");
            }
            Assumptions.abort(why);
        }
        try {
            Path dir = Files.createDirectories(Checkout.TARGET.resolve("podman"));
            Path socket = dir.resolve("api-" + ProcessHandle.current().pid() + ".sock");
            Files.deleteIfExists(socket);
            Process service = new ProcessBuilder("podman", "system", "service", "--time=0", "unix://" + socket)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("service.log").toFile()).start();
            RestProbe.await("podman's API socket " + socket, Duration.ofSeconds(30), () -> Files.exists(socket) || !service.isAlive());
            if (!service.isAlive()) {
                throw new AssertionError("podman system service exited: " + Files.readString(dir.resolve("service.log")));
            }
            boolean docker = onPath("docker");
            List<String> compose = docker && Proc.run(List.of("docker", "compose", "version"), Checkout.ROOT, Map.of(), null, QUICK).exit() == 0
                    ? List.of("docker", "compose")
                    : List.of(onPath("docker-compose") ? "docker-compose" : "podman-compose");
            return new ContainerEngine(docker ? "docker" : "podman", compose, socket, service);
        } catch (IOException e) {
            throw new AssertionError("cannot start podman's API service", e);
        }
    }

    private static boolean onPath(String tool) {
        return Proc.run(List.of("sh", "-c", "command -v " + tool), Checkout.ROOT, Map.of(), null, QUICK).exit() == 0;
    }

    /** The environment the CLIs run with: this run's socket (podman's CLI ignores it and talks to the same storage). */
    public Map<String, String> env(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(Map.of("DOCKER_HOST", "unix://" + socket));
        env.putAll(extra);
        return env;
    }

    public Proc.Result cli(Duration timeout, String... args) {
        List<String> cmd = new ArrayList<>(List.of(cli));
        cmd.addAll(List.of(args));
        return Proc.run(cmd, Checkout.ROOT, env(Map.of()), null, timeout);
    }

    /**
     * Builds the project's image as {@link #image} from the checkout, passing the certificate authorities this
     * machine trusts beyond Debian's (a proxy that inspects TLS on the way to Maven Central needs them).
     */
    public Proc.Result buildImage(Duration timeout) throws IOException {
        StringBuilder cas = new StringBuilder();
        Path local = Path.of("/usr/local/share/ca-certificates");
        if (Files.isDirectory(local)) {
            try (var files = Files.walk(local)) {
                for (Path crt : files.filter(p -> p.toString().endsWith(".crt")).sorted().toList()) {
                    cas.append(Files.readString(crt, StandardCharsets.UTF_8)).append('\n');
                }
            }
        }
        return cli(timeout, "build", "-t", image, "--build-arg", "EXTRA_CA_CERTS=" + cas, ".");
    }

    /** The compose tool with this checkout's docker-compose.yml, project {@link #prefix}, run in {@code dir} ($PWD). */
    public Proc.Result compose(Path dir, Map<String, String> env, Duration timeout, String... args) {
        List<String> cmd = new ArrayList<>(compose);
        cmd.addAll(List.of("-f", Checkout.ROOT.resolve("docker-compose.yml").toString(), "-p", prefix));
        cmd.addAll(List.of(args));
        Map<String, String> all = new HashMap<>(env);
        all.put("PWD", dir.toString());
        all.put("STATELAB_IMAGE", image);
        return Proc.run(cmd, dir, env(all), null, timeout);
    }

    /** What of this run is still there: containers, volumes, networks, images named {@link #prefix}…, one per line. */
    public List<String> leftovers() {
        List<String> left = new ArrayList<>();
        for (List<String> ls : List.of(List.of("ps", "-a", "--format", "container {{.Names}}"),
                List.of("volume", "ls", "--format", "volume {{.Name}}"),
                List.of("network", "ls", "--format", "network {{.Name}}"),
                List.of("images", "--format", "image {{.Repository}}:{{.Tag}}"))) {
            List<String> cmd = new ArrayList<>(List.of("podman"));
            cmd.addAll(ls);
            Proc.run(cmd, Checkout.ROOT, Map.of(), null, QUICK).out().lines()
                    .filter(l -> l.contains(prefix)).forEach(left::add);
        }
        return left;
    }

    /** Removes everything named {@link #prefix}… (compose's project first), then stops the API service. */
    @Override
    public void close() {
        try {
            // containers first, then what they used; a second pass catches a volume or network that was still in use
            for (int pass = 0; pass < 2; pass++) {
                for (String line : leftovers()) {
                    String[] kindName = line.split(" ", 2);
                    List<String> cmd = switch (kindName[0]) {
                        case "container" -> List.of("podman", "rm", "-f", "-t", "2", kindName[1]);
                        case "volume" -> List.of("podman", "volume", "rm", "-f", kindName[1]);
                        case "network" -> List.of("podman", "network", "rm", "-f", kindName[1]);
                        default -> List.of("podman", "rmi", "-f", kindName[1]);
                    };
                    Proc.run(cmd, Checkout.ROOT, Map.of(), null, QUICK);
                }
            }
        } finally {
            service.destroy();
            try {
                if (!service.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    service.destroyForcibly().waitFor();
                }
                Files.deleteIfExists(socket);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException ignored) {
                // the socket file is in target/
            }
        }
    }
}
