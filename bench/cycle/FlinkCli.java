///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.apache.flink:flink-clients:2.3.0
//DEPS org.apache.flink:flink-streaming-java:2.3.0
//DEPS org.apache.flink:flink-statebackend-rocksdb:2.3.0
//DEPS org.apache.logging.log4j:log4j-slf4j-impl:2.25.5
//DEPS org.apache.logging.log4j:log4j-core:2.25.5
//DEPS org.apache.logging.log4j:log4j-api:2.25.5
//DEPS org.apache.logging.log4j:log4j-1.2-api:2.25.5
//JAVA_OPTIONS --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
//DESCRIPTION Flink 2.3.0's own command-line client (bin/flink's CliFrontend) without a Flink distribution.
package statelab.bench;

import org.apache.flink.client.cli.CliFrontend;

/**
 * Flink's CLI, {@code org.apache.flink.client.cli.CliFrontend}, from Maven Central jars: the //DEPS above are the
 * part of a distribution's {@code lib/} the client uses (clients, the DataStream API the job's main() builds its
 * graph with, RocksDB, log4j). It reads {@code $FLINK_CONF_DIR/config.yaml} as bin/flink does.
 *
 * <p>{@code jbang bench/cycle/FlinkCli.java list -a} works, but pays for JBang's launcher on every call; the
 * benchmark (run.sh) instead takes this script's classpath once ({@code jbang info classpath}) and runs
 * {@code java -cp ... org.apache.flink.client.cli.CliFrontend} directly, the way bin/flink does.
 */
public final class FlinkCli {
    private FlinkCli() {}

    public static void main(String[] args) {
        CliFrontend.main(args);
    }
}
