package statelab.flink;

import picocli.CommandLine.Option;

/** {@code --rest-url}, shared by every command that talks to a cluster; {@code $STATELAB_REST_URL} sets the default. */
public final class RestOption {
    @Option(names = "--rest-url", paramLabel = "URL", defaultValue = "${env:STATELAB_REST_URL:-http://127.0.0.1:8081}",
            description = "Flink REST API (default: $STATELAB_REST_URL or http://127.0.0.1:8081; now ${DEFAULT-VALUE}).")
    String restUrl;

    public FlinkRest connect() {
        return FlinkRest.connect(restUrl);
    }

    public String url() {
        return restUrl;
    }
}
