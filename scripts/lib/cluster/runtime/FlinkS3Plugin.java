///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.apache.flink:flink-s3-fs-hadoop:2.3.0
//DESCRIPTION Flink 2.3.0's S3 file system plugin: what a Flink distribution's opt/flink-s3-fs-hadoop-2.3.0.jar is.
package statelab.cluster.runtime;

/**
 * Flink's S3 file system ({@code s3://}, {@code s3a://}) as a plugin: one self-contained jar, which
 * {@code statelab.flink.FlinkPlugins} takes from what {@code jbang info classpath} resolves for this file and puts
 * in a plugins directory of its own ({@code $STATELAB_HOME/plugins/s3-fs-hadoop/}), as a Flink distribution users
 * copy {@code opt/flink-s3-fs-hadoop-*.jar} to {@code plugins/s3-fs-hadoop/}. The cluster's JobManager and
 * TaskManager and StateLab's own commands load it from there, each in a class loader of its own, only when a
 * location names a scheme it serves. Nothing puts it on a classpath.
 */
public final class FlinkS3Plugin {
    private FlinkS3Plugin() {}

    public static void main(String[] args) {
        System.out.println("Flink's S3 file system plugin; see `jbang info classpath` of this file");
    }
}
