///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.apache.flink:flink-clients:2.3.0
//DEPS org.apache.flink:flink-runtime-web:2.3.0
//DEPS org.apache.flink:flink-streaming-java:2.3.0
//DEPS org.apache.flink:flink-statebackend-rocksdb:2.3.0
//DEPS org.apache.flink:flink-connector-files:2.3.0
//DEPS org.apache.logging.log4j:log4j-slf4j-impl:2.25.5
//DEPS org.apache.logging.log4j:log4j-core:2.25.5
//DEPS org.apache.logging.log4j:log4j-api:2.25.5
//DEPS org.apache.logging.log4j:log4j-1.2-api:2.25.5
//DESCRIPTION The jars of the local cluster's JobManager and TaskManager: what a Flink 2.3.0 distribution's lib/ holds.
package statelab.cluster.runtime;

/**
 * The classpath of the local cluster's JobManager and TaskManager JVMs, and nothing else: its //DEPS are what a
 * Flink 2.3.0 distribution's {@code lib/} holds (Flink's RocksDB fork, frocksdbjni, among them).
 * {@code LocalCluster} asks jbang to resolve them ({@code jbang info classpath} on this file), so the cluster
 * never inherits the classpath of the command that starts it: a JVM that also carries swap-sst's rocksdbjni (the
 * {@code statelab} umbrella, the REPL) must not hand the cluster two jars of package {@code org.rocksdb}.
 * No command includes this file with //SOURCES, for the same reason.
 */
public final class FlinkDistribution {
    private FlinkDistribution() {}

    public static void main(String[] args) {
        System.out.println("the jars of a Flink 2.3.0 cluster; see `jbang info classpath` of this file");
    }
}
