///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.apache.flink:flink-hadoop-fs:2.3.0
//DEPS org.apache.hadoop:hadoop-client-api:3.4.1
//DEPS org.apache.hadoop:hadoop-client-runtime:3.4.1
//DESCRIPTION Hadoop's client for Flink 2.3.0's Hadoop file system: what hdfs:// locations need (HADOOP_CLASSPATH in Flink's docs).
package statelab.cluster.runtime;

/**
 * Hadoop's shaded client ({@code hadoop-client-api}, {@code hadoop-client-runtime}, with commons-logging) and Flink's
 * Hadoop file system ({@code flink-hadoop-fs}): what {@code hdfs://} locations need. Flink serves HDFS through
 * {@code flink-hadoop-fs}'s {@code HadoopFsFactory} when Hadoop's classes are where Flink's are (its docs:
 * {@code export HADOOP_CLASSPATH=$(hadoop classpath)}); it is not a plugin. {@code statelab.flink.FlinkPlugins}
 * takes these jars from what {@code jbang info classpath} resolves for this file, into a directory of their own
 * under {@code $STATELAB_HOME}: the local cluster's JobManager and TaskManager get them on their classpath when
 * their configuration names an {@code hdfs://} location, and StateLab's commands load them, in a class loader of
 * their own, when a location they are given does. Nothing else carries them.
 */
public final class HadoopClient {
    private HadoopClient() {}

    public static void main(String[] args) {
        System.out.println("Hadoop's client for Flink's Hadoop file system; see `jbang info classpath` of this file");
    }
}
