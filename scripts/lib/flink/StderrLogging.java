package statelab.flink;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.message.MessageFactory;
import org.apache.logging.log4j.message.ParameterizedMessageFactory;
import org.apache.logging.log4j.simple.SimpleLogger;
import org.apache.logging.log4j.spi.ExtendedLogger;
import org.apache.logging.log4j.spi.LoggerContext;
import org.apache.logging.log4j.spi.LoggerContextFactory;
import org.apache.logging.log4j.util.PropertiesUtil;

/**
 * The logging of a command's own JVM: what Flink's classes log (through SLF4J and log4j's API) goes to stderr as
 * {@code LEVEL Logger message}, at the levels {@code log4j2.properties} (log4j2-cli.properties beside this file)
 * sets per logger and its descendants, through log4j-api's {@link SimpleLogger}. log4j-core is not started: its
 * start (a scan of every jar for plugins, configuration factories, JMX and JNDI lookups) took 0.3 s, a third of
 * {@code inspect --entries --limit 1} (bench/xray), and is the same work in every command that starts Flink's logging.
 *
 * <p>log4j's {@code LogManager} is told to use this factory by {@code log4j2.component.properties} in the commands'
 * jar (log4j2-component-cli.properties); {@code -Dlog4j2.loggerContextFactory=org.apache.logging.log4j.core.impl.Log4jContextFactory}
 * brings log4j-core back, with the same {@code log4j2.properties}. Tests, whose classpath has neither file, keep
 * log4j-core.
 */
public final class StderrLogging implements LoggerContextFactory {
    private static final Context CONTEXT = new Context(levels());

    @Override
    public LoggerContext getContext(String fqcn, ClassLoader loader, Object externalContext, boolean currentContext) {
        return CONTEXT;
    }

    @Override
    public LoggerContext getContext(String fqcn, ClassLoader loader, Object externalContext, boolean currentContext,
                                    URI configLocation, String name) {
        return CONTEXT;
    }

    @Override
    public void removeContext(LoggerContext context) {
        // one context for the JVM's life
    }

    @Override
    public boolean isClassLoaderDependent() {
        return false;
    }

    /**
     * The level of logger {@code name}: that of the longest configured logger name that is {@code name} or one of
     * its ancestors (dot-separated), else the root's. {@code levels} maps names to levels, "" the root.
     */
    static Level levelOf(String name, Map<String, Level> levels) {
        String n = name;
        while (true) {
            Level l = levels.get(n);
            if (l != null) {
                return l;
            }
            if (n.isEmpty()) {
                return Level.WARN;
            }
            int dot = n.lastIndexOf('.');
            n = dot < 0 ? "" : n.substring(0, dot);
        }
    }

    /** The levels {@code log4j2.properties} sets: {@code rootLogger.level} as "", {@code logger.X.name}'s as X's level. */
    static Map<String, Level> levels(Properties p) {
        Map<String, Level> levels = new TreeMap<>();
        String root = p.getProperty("rootLogger.level");
        levels.put("", Level.toLevel(root == null ? null : root.trim(), Level.WARN));
        for (String k : p.stringPropertyNames()) {
            if (k.startsWith("logger.") && k.endsWith(".name")) {
                String id = k.substring("logger.".length(), k.length() - ".name".length());
                String level = p.getProperty("logger." + id + ".level");
                if (level != null) {
                    levels.put(p.getProperty(k).trim(), Level.toLevel(level.trim(), Level.WARN));
                }
            }
        }
        return levels;
    }

    private static Map<String, Level> levels() {
        Properties p = new Properties();
        try (InputStream in = StderrLogging.class.getClassLoader().getResourceAsStream("log4j2.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException | IllegalArgumentException ignored) {
            // no configuration to read: warnings and errors, as log4j's own default
        }
        return levels(p);
    }

    /** The one context: a {@link SimpleLogger} per name, writing to stderr at its configured level. */
    private static final class Context implements LoggerContext {
        private final Map<String, Level> levels;
        private final Map<String, ExtendedLogger> loggers = new ConcurrentHashMap<>();
        private final PropertiesUtil none = new PropertiesUtil(new Properties());

        Context(Map<String, Level> levels) {
            this.levels = levels;
        }

        @Override
        public Object getExternalContext() {
            return null;
        }

        @Override
        public ExtendedLogger getLogger(String name) {
            return getLogger(name, null);
        }

        @Override
        public ExtendedLogger getLogger(String name, MessageFactory messageFactory) {
            return loggers.computeIfAbsent(name, n -> new SimpleLogger(n, levelOf(n, levels), false, true, false, false, null,
                    messageFactory == null ? ParameterizedMessageFactory.INSTANCE : messageFactory, none, System.err));
        }

        @Override
        public boolean hasLogger(String name) {
            return loggers.containsKey(name);
        }

        @Override
        public boolean hasLogger(String name, MessageFactory messageFactory) {
            return loggers.containsKey(name);
        }

        @Override
        public boolean hasLogger(String name, Class<? extends MessageFactory> messageFactoryClass) {
            return loggers.containsKey(name);
        }
    }
}
