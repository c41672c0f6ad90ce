package statelab.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import statelab.cli.ExitCode;
import statelab.cli.Failure;

class FlinkFilesTest {
    @Test
    void onlyAUriWithASchemeOtherThanFileIsRemote() {
        assertThat(FlinkFiles.isRemote("s3://bucket/savepoints/savepoint-1")).isTrue();
        assertThat(FlinkFiles.isRemote("S3A://bucket/x")).isTrue();
        assertThat(FlinkFiles.isRemote("hdfs://namenode:8020/savepoints")).isTrue();
        assertThat(FlinkFiles.isRemote("  s3://bucket/x\n")).isTrue();
        assertThat(FlinkFiles.isRemote("/tmp/savepoints/savepoint-1")).isFalse();
        assertThat(FlinkFiles.isRemote("savepoints/savepoint-1")).isFalse();
        assertThat(FlinkFiles.isRemote("file:/tmp/savepoints")).isFalse();
        assertThat(FlinkFiles.isRemote("file:///tmp/savepoints")).isFalse();
        assertThat(FlinkFiles.isRemote("C://not-a-scheme")).isFalse();
        assertThat(FlinkFiles.isRemote("dir:with:colons")).isFalse();
    }

    @Test
    void aLocationIsTakenAsFlinkPrintsItWithoutATrailingSlash() {
        assertThat(FlinkFiles.uri("s3://bucket/savepoints/savepoint-1/").toString()).isEqualTo("s3://bucket/savepoints/savepoint-1");
        assertThat(FlinkFiles.uri("s3://bucket/savepoints/savepoint-1").getAuthority()).isEqualTo("bucket");
        assertThatThrownBy(() -> FlinkFiles.uri("s3://"))
                .isInstanceOfSatisfying(Failure.class, f -> assertThat(f.exitCode()).isEqualTo(ExitCode.USAGE));
        assertThatThrownBy(() -> FlinkFiles.uri("s3://bucket/a b"))
                .isInstanceOfSatisfying(Failure.class, f -> assertThat(f.exitCode()).isEqualTo(ExitCode.USAGE));
    }

    @Test
    void theAwsSdksRequestIdsAreLeftOutOfTheOneLineError() {
        Exception e = new java.io.IOException("wrapped", new RuntimeException("com.amazonaws.services.s3.model.AmazonS3Exception: Forbidden "
                + "(Service: Amazon S3; Status Code: 403; Error Code: SignatureDoesNotMatch; Request ID: 4442587FB7D0A2F9; "
                + "S3 Extended Request ID: null; Proxy: null), S3 Extended Request ID: null"));
        assertThat(FlinkFiles.cause(e)).endsWith("Forbidden (Service: Amazon S3; Status Code: 403; Error Code: SignatureDoesNotMatch)");
    }

    @Test
    void settingsAreReadUnderEveryPrefixFlinksS3PluginAccepts() {
        Configuration config = new Configuration();
        config.setString("fs.s3a.endpoint", "http://127.0.0.1:9000");
        config.setString("s3a.path-style-access", "true");
        config.setString("s3.access.key", "k");
        assertThat(FlinkFiles.s3Setting(config, "endpoint")).isEqualTo("http://127.0.0.1:9000");
        assertThat(FlinkFiles.s3Setting(config, "path.style.access", "path-style-access")).isEqualTo("true");
        assertThat(FlinkFiles.s3Setting(config, "access.key", "access-key")).isEqualTo("k");
        assertThat(FlinkFiles.s3Setting(config, "secret.key", "secret-key")).isNull();
    }
}
