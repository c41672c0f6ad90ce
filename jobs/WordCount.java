///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.apache.flink:flink-streaming-java:2.3.0
//DEPS org.apache.flink:flink-clients:2.3.0
//DEPS org.apache.flink:flink-statebackend-rocksdb:2.3.0
//DEPS org.slf4j:slf4j-api:2.0.17
//DEPS org.slf4j:slf4j-simple:2.0.17
//JAVA_OPTIONS -Dorg.slf4j.simpleLogger.defaultLogLevel=error --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED
//DESCRIPTION Word count over ordered letter combinations (aaa..zzz), counts in keyed RocksDB state.
package statelab.jobs;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.ParameterTool;

/**
 * Counts words drawn from the ordered letter combinations {@code aaa..zzz} (17,576 of them; {@code --letters 4}
 * gives {@code aaaa..zzzz}, 456,976), keeping each count in keyed {@link ValueState} in RocksDB, and prints every
 * {@code (word,count)} update. The state this job leaves in a savepoint is what StateLab tampers with.
 *
 * <p>Flags:
 * <ul>
 *   <li>{@code --words N} — how many words to draw (default 20000);
 *   <li>{@code --letters L} — letters per word, 1..6 (default 3);
 *   <li>{@code --seed S} — the draw is a pure function of (seed, index): same seed, same words (default 42);
 *   <li>{@code --count-type int|long} — the state's value type, Integer (4-byte values) or Long (8-byte) (default int);
 *   <li>{@code --rate R} — words per second, 0 for unthrottled (default 0); a rate spreads the words over
 *       several checkpoints, so RocksDB flushes several SST files;
 *   <li>{@code --keep-running} — after the last word, stay RUNNING (idle) so a savepoint can be taken;
 *   <li>{@code --replay} — when restored from a savepoint, draw the same words again from the first one, so
 *       restored counts become visible as counts above one run's;
 *   <li>{@code --checkpoint-interval MS} — checkpoint interval, AT_LEAST_ONCE (default 1000); 0: the job enables no
 *       checkpointing (the cluster's configuration decides; StateLab's config.yaml sets none).
 * </ul>
 * Parallelism comes from the submitter ({@code submit --parallelism}) or the cluster's default.
 */
public final class WordCount {
    public static final String SOURCE_UID = "word-source";
    public static final String COUNTER_UID = "word-counter";
    public static final String SINK_UID = "print-counts";
    /** Name of the keyed state, which is also the RocksDB column family its SST files belong to. */
    public static final String STATE_NAME = "count";

    static final String USAGE = """
            StateLab word count: counts words drawn from aaa..zzz in keyed RocksDB state, prints (word,count).
              --words N                 how many words (default 20000)
              --letters L               letters per word, 1..6 (default 3)
              --seed S                  the draw's seed (default 42)
              --count-type int|long     the state's value type (default int)
              --rate R                  words per second, 0 = unthrottled (default 0)
              --keep-running            stay RUNNING after the last word, for a savepoint
              --replay                  after a restore, draw the same words again
              --checkpoint-interval MS  AT_LEAST_ONCE checkpoints (default 1000; 0: none enabled by the job)
              --max-parallelism N       key groups (default Flink's: 128; above 128 keys carry a 2-byte key group)
              --sst-format-version V    RocksDB's block-based table format_version for new SSTs, 2..5 (default RocksDB's)
              --sst-compression C       snappy or none for new SSTs (default RocksDB's: snappy)
            """;

    public static void main(String[] args) throws Exception {
        ParameterTool params = ParameterTool.fromArgs(args);
        if (params.has("help")) {
            System.out.print(USAGE);
            return;
        }
        long words = params.getLong("words", 20_000);
        int letters = params.getInt("letters", 3);
        long seed = params.getLong("seed", 42);
        String countType = params.get("count-type", "int");
        double rate = params.getDouble("rate", 0);
        boolean keepRunning = params.has("keep-running");
        boolean replay = params.has("replay");
        long checkpointInterval = params.getLong("checkpoint-interval", 1000);
        int maxParallelism = params.getInt("max-parallelism", -1);
        Configuration tables = SstTables.configuration(params.getInt("sst-format-version", 0), params.get("sst-compression"));
        rejectUnknown(params);
        if (letters < 1 || letters > 6) {
            throw new IllegalArgumentException("--letters must be 1..6, got " + letters);
        }
        if (words < 1) {
            throw new IllegalArgumentException("--words must be at least 1, got " + words);
        }
        if (!countType.equals("int") && !countType.equals("long")) {
            throw new IllegalArgumentException("--count-type must be int or long, got " + countType);
        }

        StreamExecutionEnvironment env = environment(checkpointInterval, CheckpointingMode.AT_LEAST_ONCE);
        env.configure(tables);
        if (maxParallelism > 0) {
            env.setMaxParallelism(maxParallelism);
        }
        env.getConfig().setGlobalJobParameters(params);

        DataGeneratorSource<String> drawn = new DataGeneratorSource<>(
                index -> word(seed, letters, index),
                words,
                rate > 0 ? RateLimiterStrategy.perSecond(rate) : RateLimiterStrategy.noOp(),
                Types.STRING);
        Source<String, ?, ?> source = keepRunning || replay ? new IdleAtEnd<>(drawn, Types.STRING, keepRunning, replay) : drawn;

        env.fromSource(source, WatermarkStrategy.noWatermarks(), "words")
                .uid(SOURCE_UID)
                .keyBy(w -> w)
                .process(new CountWords(countType.equals("long")))
                .name("count words")
                .uid(COUNTER_UID)
                .print()
                .name("print counts")
                .uid(SINK_UID);

        env.execute("StateLab word count");
    }

    /**
     * A job's environment: RocksDB state (the subject of these jobs; the cluster's config.yaml says the same, a local
     * run needs it said) and checkpoints every {@code checkpointInterval} ms in {@code mode}; 0: the job enables none,
     * as many jobs leave it to the cluster's configuration.
     */
    static StreamExecutionEnvironment environment(long checkpointInterval, CheckpointingMode mode) {
        Configuration conf = new Configuration();
        conf.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        if (checkpointInterval > 0) {
            env.enableCheckpointing(checkpointInterval, mode);
        }
        return env;
    }

    /** The word at {@code index} for {@code seed}: a SplitMix64 hash of both, taken modulo 26^letters. */
    public static String word(long seed, int letters, long index) {
        long combinations = 1;
        for (int i = 0; i < letters; i++) {
            combinations *= 26;
        }
        long n = Math.floorMod(mix(seed * 0x9E3779B97F4A7C15L + index), combinations);
        char[] chars = new char[letters];
        for (int i = letters - 1; i >= 0; i--) {
            chars[i] = (char) ('a' + n % 26);
            n /= 26;
        }
        return new String(chars);
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * The shape of the SSTs the job's RocksDB writes, for tests of savepoints Flink's defaults do not produce: a
     * {@link org.apache.flink.state.rocksdb.RocksDBOptionsFactory} named in the job's configuration
     * ({@code state.backend.rocksdb.options-factory}), instantiated by the TaskManager from the job's jar, that sets
     * the table's format_version and the compression of every level.
     */
    public static final class SstTables implements org.apache.flink.state.rocksdb.ConfigurableRocksDBOptionsFactory {
        static final org.apache.flink.configuration.ConfigOption<Integer> FORMAT_VERSION =
                org.apache.flink.configuration.ConfigOptions.key("statelab.sst.format-version").intType().defaultValue(0);
        static final org.apache.flink.configuration.ConfigOption<String> COMPRESSION =
                org.apache.flink.configuration.ConfigOptions.key("statelab.sst.compression").stringType().noDefaultValue();

        private int formatVersion;
        private String compression;

        /** The job configuration that makes the TaskManagers use this factory; empty when both are defaults. */
        static Configuration configuration(int formatVersion, String compression) {
            Configuration c = new Configuration();
            if (formatVersion == 0 && compression == null) {
                return c;
            }
            if (formatVersion != 0 && (formatVersion < 2 || formatVersion > 5)) {
                throw new IllegalArgumentException("--sst-format-version must be 2..5, got " + formatVersion);
            }
            if (compression != null && !compression.equals("snappy") && !compression.equals("none")) {
                throw new IllegalArgumentException("--sst-compression must be snappy or none, got " + compression);
            }
            c.setString("state.backend.rocksdb.options-factory", SstTables.class.getName());
            c.set(FORMAT_VERSION, formatVersion);
            if (compression != null) {
                c.set(COMPRESSION, compression);
            }
            return c;
        }

        @Override
        public SstTables configure(org.apache.flink.configuration.ReadableConfig config) {
            formatVersion = config.get(FORMAT_VERSION);
            compression = config.getOptional(COMPRESSION).orElse(null);
            return this;
        }

        @Override
        public org.rocksdb.DBOptions createDBOptions(org.rocksdb.DBOptions current, java.util.Collection<AutoCloseable> handlesToClose) {
            return current;
        }

        @Override
        public org.rocksdb.ColumnFamilyOptions createColumnOptions(org.rocksdb.ColumnFamilyOptions current,
                                                                  java.util.Collection<AutoCloseable> handlesToClose) {
            if (formatVersion != 0) {
                org.rocksdb.BlockBasedTableConfig table = current.tableFormatConfig() instanceof org.rocksdb.BlockBasedTableConfig b
                        ? b : new org.rocksdb.BlockBasedTableConfig();
                current.setTableFormatConfig(table.setFormatVersion(formatVersion));
            }
            if (compression != null) {
                org.rocksdb.CompressionType type = compression.equals("none")
                        ? org.rocksdb.CompressionType.NO_COMPRESSION : org.rocksdb.CompressionType.SNAPPY_COMPRESSION;
                current.setCompressionPerLevel(java.util.Collections.nCopies(current.numLevels(), type));
                current.setCompressionType(type);
            }
            return current;
        }
    }

    static void rejectUnknown(ParameterTool params) {
        if (!params.getUnrequestedParameters().isEmpty()) {
            throw new IllegalArgumentException("unknown option(s): " + params.getUnrequestedParameters());
        }
    }

    /** Keeps one count per word in keyed state (Integer or Long, by flag) and emits each new count. */
    static final class CountWords extends KeyedProcessFunction<String, String, Tuple2<String, Long>> {
        private final boolean longCounts;
        private transient ValueState<Integer> intCount;
        private transient ValueState<Long> longCount;

        CountWords(boolean longCounts) {
            this.longCounts = longCounts;
        }

        @Override
        public void open(OpenContext context) {
            if (longCounts) {
                longCount = getRuntimeContext().getState(new ValueStateDescriptor<>(STATE_NAME, Types.LONG));
            } else {
                intCount = getRuntimeContext().getState(new ValueStateDescriptor<>(STATE_NAME, Types.INT));
            }
        }

        @Override
        public void processElement(String word, Context ctx, Collector<Tuple2<String, Long>> out) throws Exception {
            long count;
            if (longCounts) {
                Long current = longCount.value();
                count = (current == null ? 0L : current) + 1;
                longCount.update(count);
            } else {
                Integer current = intCount.value();
                count = (current == null ? 0 : current) + 1;
                intCount.update((int) count);
            }
            out.collect(Tuple2.of(word, count));
        }
    }

    /**
     * Wraps a bounded source: at its end the reader idles instead of finishing (so the job stays RUNNING and a
     * savepoint can be taken), and with {@code replay} a restored source starts over from its first record.
     */
    static final class IdleAtEnd<T, S extends SourceSplit, E> implements Source<T, S, E>, ResultTypeQueryable<T> {
        private final Source<T, S, E> inner;
        private final TypeInformation<T> type;
        private final boolean keepRunning;
        private final boolean replay;

        IdleAtEnd(Source<T, S, E> inner, TypeInformation<T> type, boolean keepRunning, boolean replay) {
            this.inner = inner;
            this.type = type;
            this.keepRunning = keepRunning;
            this.replay = replay;
        }

        @Override
        public Boundedness getBoundedness() {
            return keepRunning ? Boundedness.CONTINUOUS_UNBOUNDED : inner.getBoundedness();
        }

        @Override
        public SplitEnumerator<S, E> createEnumerator(SplitEnumeratorContext<S> context) throws Exception {
            return inner.createEnumerator(context);
        }

        @Override
        public SplitEnumerator<S, E> restoreEnumerator(SplitEnumeratorContext<S> context, E checkpoint) throws Exception {
            return replay ? inner.createEnumerator(context) : inner.restoreEnumerator(context, checkpoint);
        }

        @Override
        public SimpleVersionedSerializer<S> getSplitSerializer() {
            return inner.getSplitSerializer();
        }

        @Override
        public SimpleVersionedSerializer<E> getEnumeratorCheckpointSerializer() {
            return inner.getEnumeratorCheckpointSerializer();
        }

        @Override
        public SourceReader<T, S> createReader(SourceReaderContext context) throws Exception {
            return new Reader<>(inner.createReader(context), keepRunning, replay);
        }

        @Override
        public TypeInformation<T> getProducedType() {
            return type;
        }

        private static final class Reader<T, S extends SourceSplit> implements SourceReader<T, S> {
            private final SourceReader<T, S> inner;
            private final boolean keepRunning;
            private final boolean replay;
            private final CompletableFuture<Void> never = new CompletableFuture<>();
            private boolean started;
            private boolean ended;

            Reader(SourceReader<T, S> inner, boolean keepRunning, boolean replay) {
                this.inner = inner;
                this.keepRunning = keepRunning;
                this.replay = replay;
            }

            @Override
            public void start() {
                started = true;
                inner.start();
            }

            @Override
            public InputStatus pollNext(ReaderOutput<T> output) throws Exception {
                if (ended) {
                    return InputStatus.NOTHING_AVAILABLE;
                }
                InputStatus status = inner.pollNext(output);
                if (status == InputStatus.END_OF_INPUT && keepRunning) {
                    ended = true;
                    return InputStatus.NOTHING_AVAILABLE;
                }
                return status;
            }

            @Override
            public CompletableFuture<Void> isAvailable() {
                return ended ? never : inner.isAvailable();
            }

            @Override
            public List<S> snapshotState(long checkpointId) {
                return inner.snapshotState(checkpointId);
            }

            @Override
            public void addSplits(List<S> splits) {
                // Splits added before start() are the ones restored from state; replay drops them and lets the
                // fresh enumerator hand out every split again.
                if (!(replay && !started)) {
                    inner.addSplits(splits);
                }
            }

            @Override
            public void notifyNoMoreSplits() {
                inner.notifyNoMoreSplits();
            }

            @Override
            public void notifyCheckpointComplete(long checkpointId) throws Exception {
                inner.notifyCheckpointComplete(checkpointId);
            }

            @Override
            public void close() throws Exception {
                // `never` stays incomplete: Flink chains handlers on it, and completing it exceptionally here
                // (cancel) would reach them as an uncaught exception that stops the TaskManager.
                inner.close();
            }
        }
    }
}
