package statelab.flink;

import picocli.CommandLine.Option;

/**
 * {@code --rest-url}, shared by every command that talks to a cluster. The default: the REPL's {@code set rest URL}
 * (the system property {@value #PROPERTY}), else {@code $STATELAB_REST_URL}, else the local cluster's port.
 */
public final class RestOption {
    public static final String PROPERTY = "statelab.rest-url";
    public static final String DEFAULT = "http://127.0.0.1:8081";

    @Option(names = "--rest-url", paramLabel = "URL",
            defaultValue = "${sys:" + PROPERTY + ":-${env:STATELAB_REST_URL:-" + DEFAULT + "}}",
            description = "Flink REST API (default: $STATELAB_REST_URL or http://127.0.0.1:8081; now ${DEFAULT-VALUE}).")
    String restUrl;

    public FlinkRest connect() {
        return FlinkRest.connect(restUrl);
    }

    public String url() {
        return restUrl;
    }

    /** The URL a command gets when none is given, by the same rule as the option's default. */
    public static String defaultUrl() {
        String env = System.getenv("STATELAB_REST_URL");
        return System.getProperty(PROPERTY, env != null && !env.isBlank() ? env : DEFAULT);
    }
}
