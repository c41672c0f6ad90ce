package statelab.flink;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Test;

class StderrLoggingTest {
    /** The levels of the commands' own log4j2.properties, as log4j-core reads them: per logger and its descendants. */
    @Test
    void theCommandsLoggersGetTheLevelsOfTheirConfigurationAndItsAncestors() throws Exception {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(Path.of("scripts/lib/flink/log4j2-cli.properties"))) {
            p.load(in);
        }
        Map<String, Level> levels = StderrLogging.levels(p);
        assertThat(StderrLogging.levelOf("org.apache.flink.runtime.checkpoint.Checkpoints", levels)).isEqualTo(Level.WARN);
        assertThat(StderrLogging.levelOf("org.apache.flink.runtime.rest.RestClient", levels)).isEqualTo(Level.OFF);
        assertThat(StderrLogging.levelOf("org.apache.flink.runtime.rest", levels)).isEqualTo(Level.OFF);
        assertThat(StderrLogging.levelOf("org.apache.flink.runtime.restart.X", levels)).as("a prefix that is not a parent").isEqualTo(Level.WARN);
        assertThat(StderrLogging.levelOf("org.apache.flink.shaded.netty4.io.netty.Foo", levels)).isEqualTo(Level.OFF);
        assertThat(StderrLogging.levelOf("org.apache.hadoop.metrics2.impl.MetricsConfig", levels)).isEqualTo(Level.ERROR);
        assertThat(StderrLogging.levelOf("org.apache.flink.runtime.util.HadoopUtils", levels)).isEqualTo(Level.ERROR);
        assertThat(StderrLogging.levelOf("Root", levels)).isEqualTo(Level.WARN);
    }

    @Test
    void withoutAConfigurationWarningsAndErrorsShow() {
        Map<String, Level> levels = StderrLogging.levels(new Properties());
        assertThat(StderrLogging.levelOf("a.b.C", levels)).isEqualTo(Level.WARN);
        assertThat(StderrLogging.levelOf("", levels)).isEqualTo(Level.WARN);
    }

    @Test
    void theCommandsJarNamesThisFactoryToLog4j() throws Exception {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(Path.of("scripts/lib/flink/log4j2-component-cli.properties"))) {
            p.load(in);
        }
        assertThat(p.getProperty("log4j2.loggerContextFactory")).isEqualTo(StderrLogging.class.getName());
        assertThat(Files.readString(Path.of("scripts/lib/flink/FlinkRest.java")))
                .contains("//FILES log4j2.component.properties=log4j2-component-cli.properties");
    }
}
