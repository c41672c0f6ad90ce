package statelab.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Predicate;

/**
 * The tests' own look at a cluster's REST API, with plain HTTP: what the commands claim is checked against
 * Flink itself, not against the client the commands use.
 */
public final class RestProbe {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private RestProbe() {}

    public static JsonNode get(String restUrl, String path) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(restUrl + path)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new AssertionError("GET " + path + ": HTTP " + r.statusCode() + " " + r.body());
            }
            return JSON.readTree(r.body());
        } catch (Exception e) {
            throw new AssertionError("GET " + restUrl + path, e);
        }
    }

    public static String getText(String restUrl, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(restUrl + path)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (Exception e) {
            throw new AssertionError("GET " + restUrl + path, e);
        }
    }

    public static String jobState(String restUrl, String jobId) {
        return get(restUrl, "/jobs/" + jobId).get("state").asText();
    }

    /** Cancels every job that is not finished yet and waits until none runs: slots are few. */
    public static void cancelAll(String restUrl) {
        for (JsonNode job : get(restUrl, "/jobs/overview").get("jobs")) {
            String state = job.get("state").asText();
            if (!isTerminal(state)) {
                try {
                    HTTP.send(HttpRequest.newBuilder(URI.create(restUrl + "/jobs/" + job.get("jid").asText() + "?mode=cancel"))
                            .method("PATCH", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }
        }
        await("no job running", Duration.ofSeconds(60), () -> {
            for (JsonNode job : get(restUrl, "/jobs/overview").get("jobs")) {
                if (!isTerminal(job.get("state").asText())) {
                    return false;
                }
            }
            return true;
        });
    }

    static boolean isTerminal(String state) {
        return state.equals("FINISHED") || state.equals("CANCELED") || state.equals("FAILED");
    }

    public static void await(String what, Duration timeout, java.util.function.BooleanSupplier condition) {
        Instant deadline = Instant.now().plus(timeout);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("not within " + timeout + ": " + what);
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    public static <T> T awaitValue(String what, Duration timeout, java.util.function.Supplier<T> value, Predicate<T> ok) {
        Object[] last = new Object[1];
        await(what, timeout, () -> {
            T v = value.get();
            last[0] = v;
            return ok.test(v);
        });
        @SuppressWarnings("unchecked")
        T result = (T) last[0];
        return result;
    }
}
