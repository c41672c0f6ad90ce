//DEPS org.apache.flink:flink-runtime-web:2.3.0
//DEPS org.slf4j:slf4j-api:2.0.17
//DEPS org.slf4j:slf4j-simple:2.0.17
//DEPS org.apache.logging.log4j:log4j-to-slf4j:2.25.5
//DEPS org.apache.logging.log4j:log4j-api:2.25.5
//FILES simplelogger.properties=simplelogger-cli.properties
// Flink's classes log through SLF4J (log4j's API, if any class calls it, through log4j-to-slf4j) to slf4j-simple,
// which writes to stderr at the levels of simplelogger-cli.properties. The provider is named, so SLF4J does not
// search every jar of the classpath for one (SLF4J 1.7 did, and log4j's API again: 0.13 s of inspect's 0.56 s start,
// bench/xray); verbosity WARN keeps SLF4J from saying on every start which provider it was told to use.
//JAVA_OPTIONS -Dslf4j.provider=org.slf4j.simple.SimpleServiceProvider -Dslf4j.internal.verbosity=WARN
package statelab.flink;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.SecurityOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.CheckpointType;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.messages.webmonitor.JobDetails;
import org.apache.flink.runtime.rest.FileUpload;
import org.apache.flink.runtime.rest.RestClient;
import org.apache.flink.runtime.rest.handler.async.AsynchronousOperationResult;
import org.apache.flink.runtime.rest.handler.legacy.messages.ClusterOverviewWithVersion;
import org.apache.flink.runtime.rest.messages.ClusterOverviewHeaders;
import org.apache.flink.runtime.rest.messages.EmptyMessageParameters;
import org.apache.flink.runtime.rest.messages.EmptyRequestBody;
import org.apache.flink.runtime.rest.messages.JobCancellationHeaders;
import org.apache.flink.runtime.rest.messages.JobCancellationMessageParameters;
import org.apache.flink.runtime.rest.messages.JobExceptionsHeaders;
import org.apache.flink.runtime.rest.messages.JobExceptionsInfoWithHistory;
import org.apache.flink.runtime.rest.messages.JobMessageParameters;
import org.apache.flink.runtime.rest.messages.JobsOverviewHeaders;
import org.apache.flink.runtime.rest.messages.MessageHeaders;
import org.apache.flink.runtime.rest.messages.MessageParameters;
import org.apache.flink.runtime.rest.messages.RequestBody;
import org.apache.flink.runtime.rest.messages.ResponseBody;
import org.apache.flink.runtime.rest.messages.TerminationModeQueryParameter.TerminationMode;
import org.apache.flink.runtime.rest.messages.TriggerId;
import org.apache.flink.runtime.rest.messages.taskmanager.TaskManagersHeaders;
import org.apache.flink.runtime.rest.messages.checkpoints.CheckpointingStatistics;
import org.apache.flink.runtime.rest.messages.checkpoints.CheckpointTriggerHeaders;
import org.apache.flink.runtime.rest.messages.checkpoints.CheckpointTriggerMessageParameters;
import org.apache.flink.runtime.rest.messages.checkpoints.CheckpointTriggerRequestBody;
import org.apache.flink.runtime.rest.messages.checkpoints.CheckpointingStatisticsHeaders;
import org.apache.flink.runtime.rest.messages.job.JobDetailsHeaders;
import org.apache.flink.runtime.rest.messages.job.JobDetailsInfo;
import org.apache.flink.runtime.rest.messages.job.JobExceptionsMessageParameters;
import org.apache.flink.runtime.rest.messages.job.savepoints.SavepointInfo;
import org.apache.flink.runtime.rest.messages.job.savepoints.SavepointStatusHeaders;
import org.apache.flink.runtime.rest.messages.job.savepoints.SavepointStatusMessageParameters;
import org.apache.flink.runtime.rest.messages.job.savepoints.SavepointTriggerHeaders;
import org.apache.flink.runtime.rest.messages.job.savepoints.SavepointTriggerMessageParameters;
import org.apache.flink.runtime.rest.messages.job.savepoints.SavepointTriggerRequestBody;
import org.apache.flink.runtime.rest.messages.job.savepoints.stop.StopWithSavepointRequestBody;
import org.apache.flink.runtime.rest.messages.job.savepoints.stop.StopWithSavepointTriggerHeaders;
import org.apache.flink.runtime.rest.messages.queue.QueueStatus;
import org.apache.flink.runtime.rest.util.RestClientException;
import org.apache.flink.runtime.rest.util.RestConstants;
import org.apache.flink.runtime.webmonitor.handlers.JarDeleteHeaders;
import org.apache.flink.runtime.webmonitor.handlers.JarDeleteMessageParameters;
import org.apache.flink.runtime.webmonitor.handlers.JarRunHeaders;
import org.apache.flink.runtime.webmonitor.handlers.JarRunMessageParameters;
import org.apache.flink.runtime.webmonitor.handlers.JarRunRequestBody;
import org.apache.flink.runtime.webmonitor.handlers.JarUploadHeaders;
import org.apache.flink.runtime.webmonitor.handlers.JarUploadResponseBody;
import org.apache.flink.util.ExceptionUtils;
import org.apache.flink.util.concurrent.Executors;
import statelab.cli.ExitCode;
import statelab.cli.Failure;

/**
 * A typed client for one Flink cluster's REST API, on Flink's own {@link RestClient} and REST message classes
 * (the ones the web UI's server and {@code flink} CLI use), so requests and responses are Flink's own types and
 * follow the cluster's version. Every call has a deadline, and failures become a {@link Failure} with the exit
 * code a user can act on: cluster unreachable, job not found, request rejected.
 */
public final class FlinkRest implements AutoCloseable {
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration UPLOAD_TIMEOUT = Duration.ofMinutes(2);

    private final URI url;
    private final RestClient client;
    /** The REST client's configuration: its TLS settings serve the reads Flink's client cannot make (text, not JSON). */
    private final Configuration config;
    /** For those reads: made at the first, kept for the next (a restored job's output is read once a second). */
    private java.net.http.HttpClient textClient;

    private FlinkRest(URI url, RestClient client, Configuration config) {
        this.url = url;
        this.client = client;
        this.config = config;
    }

    /**
     * A client for the REST API at {@code restUrl}, e.g. {@code http://127.0.0.1:8081}; for {@code https://…} with the
     * TLS settings ({@code security.ssl.rest.*}) of the config.yaml Flink's CLI would read ({@link FlinkFiles#configuration}).
     */
    public static FlinkRest connect(String restUrl) {
        return connect(restUrl, null);
    }

    /**
     * The same, with the TLS settings of {@code settings} (a cluster's own configuration): Flink's REST client options
     * {@code security.ssl.rest.truststore} (and its password) to trust the server, and for mutual TLS
     * ({@code security.ssl.rest.authentication-enabled}) {@code security.ssl.rest.keystore}, its password and the key's.
     * {@code settings} null: those of {@link FlinkFiles#configuration}.
     */
    public static FlinkRest connect(String restUrl, Configuration settings) {
        URI url = parseUrl(restUrl);
        // The first client of a JVM initializes Flink's and Log4j's statics, and Log4j gives up for good when its
        // thread is interrupted meanwhile (a Ctrl-C in the REPL): the interrupt waits until the client exists.
        boolean interrupted = Thread.interrupted();
        try {
            Configuration config = new Configuration();
            config.set(RestOptions.CONNECTION_TIMEOUT, Duration.ofSeconds(10));
            if (url.getScheme().equals("https")) {
                (settings != null ? settings : FlinkFiles.configuration()).toMap().forEach((key, value) -> {
                    if (key.startsWith("security.ssl.")) {
                        config.setString(key, value);
                    }
                });
                config.set(SecurityOptions.SSL_REST_ENABLED, true);
                if (!config.contains(SecurityOptions.SSL_REST_TRUSTSTORE)) {
                    throw Failure.of(ExitCode.USAGE, "%s is https: say which certificates to trust with security.ssl.rest.truststore "
                            + "(and security.ssl.rest.truststore-password) in the config.yaml of $FLINK_CONF_DIR (docs/remote.md)", url);
                }
            }
            return new FlinkRest(url, new RestClient(config, Executors.directExecutor()), config);
        } catch (Failure f) {
            throw f;
        } catch (Exception e) {
            String cause = RootCause.of(ExceptionUtils.stringifyException(e));
            throw new Failure(url.getScheme().equals("https") ? ExitCode.USAGE : ExitCode.FAILURE,
                    "cannot create Flink's REST client for " + url + ": " + cause, e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Checks a user-given REST URL: http or https, a host, a port, no path. */
    public static URI parseUrl(String restUrl) {
        try {
            URI url = new URI(restUrl.strip());
            String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(java.util.Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null) {
                throw Failure.of(ExitCode.USAGE, "bad REST URL '%s': expected http://HOST:PORT or https://HOST:PORT", restUrl);
            }
            if (url.getPath() != null && !url.getPath().isEmpty() && !url.getPath().equals("/")) {
                throw Failure.of(ExitCode.USAGE, "bad REST URL '%s': a path is not supported", restUrl);
            }
            if (url.getPort() > 65535) {
                throw Failure.of(ExitCode.USAGE, "bad REST URL '%s': port out of range", restUrl);
            }
            return new URI(scheme, null, url.getHost(), url.getPort() < 0 ? 8081 : url.getPort(), null, null, null);
        } catch (URISyntaxException e) {
            throw Failure.of(ExitCode.USAGE, "bad REST URL '%s': %s", restUrl, e.getReason());
        }
    }

    /** Parses a job id as users paste it; a usage error names the expected form. */
    public static JobID parseJobId(String text) {
        try {
            return JobID.fromHexString(text.strip());
        } catch (IllegalArgumentException e) {
            throw Failure.of(ExitCode.USAGE, "'%s' is not a Flink job id (32 hex digits)", text.strip());
        }
    }

    public URI url() {
        return url;
    }

    public ClusterOverviewWithVersion overview() {
        return send(ClusterOverviewHeaders.getInstance(), EmptyMessageParameters.getInstance(), EmptyRequestBody.getInstance());
    }

    public Collection<JobDetails> jobs() {
        return send(JobsOverviewHeaders.getInstance(), EmptyMessageParameters.getInstance(), EmptyRequestBody.getInstance())
                .getJobs();
    }

    public JobDetailsInfo job(JobID jobId) {
        JobMessageParameters params = new JobMessageParameters();
        params.jobPathParameter.resolve(jobId);
        return send(JobDetailsHeaders.getInstance(), params, EmptyRequestBody.getInstance());
    }

    public JobExceptionsInfoWithHistory exceptions(JobID jobId) {
        JobExceptionsMessageParameters params = new JobExceptionsMessageParameters();
        params.jobPathParameter.resolve(jobId);
        return send(JobExceptionsHeaders.getInstance(), params, EmptyRequestBody.getInstance());
    }

    public CheckpointingStatistics checkpoints(JobID jobId) {
        JobMessageParameters params = new JobMessageParameters();
        params.jobPathParameter.resolve(jobId);
        return send(CheckpointingStatisticsHeaders.getInstance(), params, EmptyRequestBody.getInstance());
    }

    /** Uploads a jar; returns the id the cluster gave it. */
    public String uploadJar(Path jar) {
        JarUploadResponseBody response = send(JarUploadHeaders.getInstance(), EmptyMessageParameters.getInstance(),
                EmptyRequestBody.getInstance(), List.of(new FileUpload(jar, RestConstants.CONTENT_TYPE_JAR)), UPLOAD_TIMEOUT);
        return Path.of(response.getFilename()).getFileName().toString();
    }

    /** Runs an uploaded jar's main() on the JobManager; returns the id of the job it submitted. */
    public JobID runJar(String jarId, JarRunRequestBody body) {
        JarRunMessageParameters params = JarRunHeaders.getInstance().getUnresolvedMessageParameters();
        params.jarIdPathParameter.resolve(jarId);
        return send(JarRunHeaders.getInstance(), params, body, List.of(), UPLOAD_TIMEOUT).getJobId();
    }

    public void deleteJar(String jarId) {
        JarDeleteMessageParameters params = new JarDeleteMessageParameters();
        params.jarIdPathParameter.resolve(jarId);
        send(JarDeleteHeaders.getInstance(), params, EmptyRequestBody.getInstance());
    }

    public TriggerId triggerSavepoint(JobID jobId, String targetDirectory, SavepointFormatType format) {
        SavepointTriggerMessageParameters params = new SavepointTriggerMessageParameters();
        params.jobID.resolve(jobId);
        return send(SavepointTriggerHeaders.getInstance(), params,
                        new SavepointTriggerRequestBody(targetDirectory, false, format, null))
                .getTriggerId();
    }

    public TriggerId stopWithSavepoint(JobID jobId, String targetDirectory, SavepointFormatType format, boolean drain) {
        SavepointTriggerMessageParameters params = new SavepointTriggerMessageParameters();
        params.jobID.resolve(jobId);
        return send(StopWithSavepointTriggerHeaders.getInstance(), params,
                        new StopWithSavepointRequestBody(targetDirectory, drain, format, null))
                .getTriggerId();
    }

    /**
     * Asks for a checkpoint now, of the kind the job is configured for. Flink takes it even when the job enables no
     * periodic checkpointing (its interval is then Long.MAX_VALUE): measured on 2.3.0.
     */
    public TriggerId triggerCheckpoint(JobID jobId) {
        CheckpointTriggerMessageParameters params = new CheckpointTriggerMessageParameters();
        params.jobID.resolve(jobId);
        return send(CheckpointTriggerHeaders.getInstance(), params, new CheckpointTriggerRequestBody(CheckpointType.CONFIGURED, null))
                .getTriggerId();
    }

    /** The savepoint operation's result, or empty while it is still in progress. */
    public Optional<SavepointInfo> savepointStatus(JobID jobId, TriggerId triggerId) {
        SavepointStatusMessageParameters params = new SavepointStatusMessageParameters();
        params.jobIdPathParameter.resolve(jobId);
        params.triggerIdPathParameter.resolve(triggerId);
        AsynchronousOperationResult<SavepointInfo> result =
                send(SavepointStatusHeaders.getInstance(), params, EmptyRequestBody.getInstance());
        return result.queueStatus().getId() == QueueStatus.Id.COMPLETED ? Optional.of(result.resource()) : Optional.empty();
    }

    /**
     * What the TaskManagers printed to stdout so far (their {@code .out} files, as the web UI shows them), one
     * after the other: where a job's print sink writes. Read with the JDK's HTTP client, as the endpoint answers text,
     * not JSON; over https with the TLS context Flink's REST client options make ({@code security.ssl.rest.*}).
     */
    public String taskManagerStdout() {
        StringBuilder all = new StringBuilder();
        java.net.http.HttpClient http = textClient();
        for (var tm : send(TaskManagersHeaders.getInstance(), EmptyMessageParameters.getInstance(), EmptyRequestBody.getInstance())
                .getTaskManagerInfos()) {
            URI stdout = url.resolve("/taskmanagers/" + tm.getResourceId().getResourceIdString() + "/stdout");
            try {
                var response = http.send(java.net.http.HttpRequest.newBuilder(stdout).timeout(REQUEST_TIMEOUT).GET().build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    all.append(response.body());
                }
            } catch (IOException e) {
                throw unreachable(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Failure(ExitCode.FAILURE, "interrupted while reading " + stdout, e);
            }
        }
        return all.toString();
    }

    private synchronized java.net.http.HttpClient textClient() {
        if (textClient == null) {
            java.net.http.HttpClient.Builder builder = java.net.http.HttpClient.newBuilder().connectTimeout(REQUEST_TIMEOUT);
            if (url.getScheme().equals("https")) {
                try {
                    builder.sslContext(org.apache.flink.runtime.net.SSLUtils.createRestSSLContext(config, true));
                } catch (Exception e) {
                    throw new Failure(ExitCode.USAGE, "cannot make a TLS context for " + url + " from security.ssl.rest.*: "
                            + RootCause.of(ExceptionUtils.stringifyException(e)), e);
                }
            }
            textClient = builder.build();
        }
        return textClient;
    }

    public void cancel(JobID jobId) {
        JobCancellationMessageParameters params = new JobCancellationMessageParameters()
                .resolveJobId(jobId)
                .resolveTerminationMode(TerminationMode.CANCEL);
        send(JobCancellationHeaders.getInstance(), params, EmptyRequestBody.getInstance());
    }

    private <R extends RequestBody, P extends ResponseBody, M extends MessageParameters> P send(
            MessageHeaders<R, P, M> headers, M params, R body) {
        return send(headers, params, body, List.of(), REQUEST_TIMEOUT);
    }

    private <R extends RequestBody, P extends ResponseBody, M extends MessageParameters> P send(
            MessageHeaders<R, P, M> headers, M params, R body, Collection<FileUpload> files, Duration timeout) {
        String what = headers.getHttpMethod() + " " + headers.getTargetRestEndpointURL();
        CompletableFuture<P> future;
        try {
            future = client.sendRequest(url.getHost(), url.getPort(), headers, params, body, files);
        } catch (IOException e) {
            throw unreachable(e);
        }
        P response;
        try {
            response = future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure(ExitCode.FAILURE, "interrupted while waiting for " + what, e);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw Failure.of(ExitCode.UNREACHABLE, "Flink REST API at %s did not answer %s within %ds", url, what, timeout.toSeconds());
        } catch (ExecutionException e) {
            throw translate(e.getCause(), what);
        }
        if (response == null) {
            // Flink's client completes with nothing when the connection closes before an answer: a plain-http request to
            // a REST API behind TLS did so in a fresh-clone CI run, where it usually fails as a handshake
            throw Failure.of(ExitCode.UNREACHABLE, "Flink REST API at %s closed the connection without answering %s%s", url, what,
                    "http".equals(url.getScheme()) ? " (is it https?)" : "");
        }
        return response;
    }

    private Failure translate(Throwable cause, String what) {
        Optional<RestClientException> rest = ExceptionUtils.findThrowable(cause, RestClientException.class);
        if (rest.isPresent() && String.valueOf(rest.get().getMessage()).contains("not valid JSON")) {
            return new Failure(ExitCode.UNREACHABLE, "something answers at " + url + ", but it is not Flink's REST API (HTTP "
                    + rest.get().getHttpResponseStatus().code() + ", not JSON); check --rest-url", rest.get());
        }
        if (rest.isPresent()) {
            int status = rest.get().getHttpResponseStatus().code();
            String message = RootCause.of(rest.get().getMessage());
            if (status == 404) {
                return new Failure(ExitCode.NOT_FOUND, "not found on " + url + ": " + message, rest.get());
            }
            if (status == 503) {
                // a JobManager still electing its leader: up, but not ready yet
                return new Failure(ExitCode.UNREACHABLE, "Flink's REST API at " + url + " is not ready yet: " + message, rest.get());
            }
            return new Failure(ExitCode.FAILURE, "Flink rejected " + what + " (HTTP " + status + "): " + message, rest.get());
        }
        return unreachable(cause);
    }

    private Failure unreachable(Throwable cause) {
        Optional<javax.net.ssl.SSLException> tls = ExceptionUtils.findThrowable(cause, javax.net.ssl.SSLException.class);
        if (tls.isPresent()) {
            String hint = url.getScheme().equals("http")
                    ? "; the server may speak https: try --rest-url https://" + url.getHost() + ":" + url.getPort()
                    : "; check security.ssl.rest.truststore (the server's certificate) and, for mutual TLS, security.ssl.rest.keystore";
            return new Failure(ExitCode.UNREACHABLE, "TLS with Flink's REST API at " + url + " failed: "
                    + RootCause.of(ExceptionUtils.stringifyException(tls.get())) + hint, cause);
        }
        String reason = ExceptionUtils.findThrowable(cause, ConnectException.class).isPresent()
                ? "connection refused"
                : String.valueOf(ExceptionUtils.stripExecutionException(cause).getMessage());
        return new Failure(ExitCode.UNREACHABLE,
                "cannot reach Flink's REST API at " + url + ": " + reason + " (is the cluster running? jbang cluster status)",
                cause);
    }

    @Override
    public void close() {
        // a command canceled by an interrupt (Ctrl-C in the REPL) still shuts its client down, threads and all
        boolean interrupted = Thread.interrupted();
        try {
            client.shutdown(Duration.ofSeconds(2));
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
