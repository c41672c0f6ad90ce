///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.apache.flink:flink-streaming-java:2.3.0
//DEPS org.apache.flink:flink-clients:2.3.0
//DEPS org.apache.flink:flink-statebackend-rocksdb:2.3.0
//DEPS org.apache.flink:flink-connector-files:2.3.0
//DEPS org.slf4j:slf4j-api:2.0.17
//DEPS org.slf4j:slf4j-simple:2.0.17
//JAVA_OPTIONS -Dorg.slf4j.simpleLogger.defaultLogLevel=error --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED
//DESCRIPTION Running sum over 20,000 zeros and a final 990, in keyed state, written exactly-once with FileSink.
package statelab.jobs;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.serialization.SimpleStringEncoder;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.fs.Path;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.sink.filesystem.OutputFileConfig;
import org.apache.flink.streaming.api.functions.sink.filesystem.bucketassigners.BasePathBucketAssigner;
import org.apache.flink.streaming.api.functions.sink.filesystem.rollingpolicies.OnCheckpointRollingPolicy;
import org.apache.flink.util.Collector;
import org.apache.flink.util.ParameterTool;

/**
 * A running sum that must survive a restore: the indexes 0..N become N zeros and a final value, all
 * keyed by one constant, and the sum (starting at 10) lives in keyed {@link ValueState}, not in a field, so a
 * job restored from a savepoint continues it. Each line is {@code INDEX SUM}: the record's index in the input and the
 * sum after it. With the defaults the last line written is {@code 20000 1000}; a sum that was altered in the
 * savepoint and silently restored ends elsewhere, and a duplicated or lost record shows as an index twice or not at
 * all ({@code statelab.verify.SumOutput} checks exactly that).
 *
 * <p>Output goes through Flink's exactly-once {@link FileSink}: part files {@code sum-*.txt} in the output
 * directory, committed on each checkpoint (EXACTLY_ONCE, every second).
 *
 * <p>Flags:
 * <ul>
 *   <li>{@code --output DIR} — output directory (default {@code output/sum-job}, relative to the TaskManager's
 *       working directory, which the local cluster sets to its own directory);
 *   <li>{@code --records N} — how many zeros before the final value (default 20000);
 *   <li>{@code --initial V} — the sum's starting value (default 10);
 *   <li>{@code --final V} — the last value added (default 990);
 *   <li>{@code --delay-ms MS} — sleep per record in the sum operator, to simulate backpressure (default 0; the seed
 *       used 1): records queue up before it, and so do checkpoint barriers;
 *   <li>{@code --rate R} — records per second at the source, 0 for unthrottled (default 0): a long run whose
 *       checkpoints still complete in milliseconds, nothing queued (what {@code chaos} needs);
 *   <li>{@code --parallelism N} — the job's parallelism (default: the environment's; a cluster's parallelism.default,
 *       a MiniCluster's core count); the output is in index order only with one source subtask;
 *   <li>{@code --slow-checkpoint-ms MS} — the sum operator takes this long to snapshot its state (default 0): a
 *       checkpoint stays in flight long enough to be killed in the middle of ({@code chaos --kill-at mid-checkpoint});
 *   <li>{@code --checkpoint-interval MS} — checkpoint interval, EXACTLY_ONCE (default 1000); 0: the job enables no
 *       checkpointing (the cluster's configuration decides; StateLab's config.yaml sets none).
 * </ul>
 */
public final class SumJob {
    public static final String SOURCE_UID = "sequence-source";
    public static final String VALUES_UID = "zeros-then-final";
    public static final String SUM_UID = "running-sum";
    public static final String SINK_UID = "sum-file-sink";
    /** Name of the keyed state, which is also the RocksDB column family its SST files belong to. */
    public static final String STATE_NAME = "sum";

    static final String USAGE = """
            StateLab running sum: N zeros and a final value keyed by one constant, the sum in keyed state,
            written exactly-once by FileSink as lines "INDEX SUM"; with the defaults the last line is "20000 1000".
              --output DIR              output directory (default output/sum-job)
              --records N               zeros before the final value (default 20000)
              --initial V               the sum's start (default 10)
              --final V                 the last value (default 990)
              --delay-ms MS             sleep per record in the sum operator: backpressure (default 0)
              --rate R                  records per second at the source, 0 = unthrottled (default 0)
              --slow-checkpoint-ms MS   the sum operator's snapshot takes this long (default 0)
              --parallelism N           the job's parallelism (default: the environment's)
              --checkpoint-interval MS  EXACTLY_ONCE checkpoints (default 1000; 0: none enabled by the job)
            """;

    public static void main(String[] args) throws Exception {
        ParameterTool params = ParameterTool.fromArgs(args);
        if (params.has("help")) {
            System.out.print(USAGE);
            return;
        }
        String output = params.get("output", "output/sum-job");
        long records = params.getLong("records", 20_000);
        long initial = params.getLong("initial", 10);
        long last = params.getLong("final", 990);
        long delayMs = params.getLong("delay-ms", 0);
        double rate = params.getDouble("rate", 0);
        long slowCheckpointMs = params.getLong("slow-checkpoint-ms", 0);
        int parallelism = params.getInt("parallelism", 0);
        long checkpointInterval = params.getLong("checkpoint-interval", 1000);
        if (!params.getUnrequestedParameters().isEmpty()) {
            throw new IllegalArgumentException("unknown option(s): " + params.getUnrequestedParameters());
        }
        if (records < 0 || delayMs < 0 || rate < 0 || slowCheckpointMs < 0) {
            throw new IllegalArgumentException("--records, --delay-ms, --rate and --slow-checkpoint-ms must not be negative");
        }

        Configuration conf = new Configuration();
        conf.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        if (checkpointInterval > 0) { // 0: the job enables none, as many jobs leave it to the cluster's configuration
            env.enableCheckpointing(checkpointInterval, CheckpointingMode.EXACTLY_ONCE);
        }
        env.getConfig().setGlobalJobParameters(params);
        if (parallelism > 0) {
            env.setParallelism(parallelism);
        }

        FileSink<String> sink = FileSink.forRowFormat(new Path(output), new SimpleStringEncoder<String>("UTF-8"))
                .withBucketAssigner(new BasePathBucketAssigner<>())
                .withRollingPolicy(OnCheckpointRollingPolicy.build())
                .withOutputFileConfig(OutputFileConfig.builder().withPartPrefix("sum").withPartSuffix(".txt").build())
                .build();

        // Indexes 0..records; the rate limit is per source subtask, and the position is part of each checkpoint.
        DataGeneratorSource<Long> sequence = new DataGeneratorSource<>(index -> index, records + 1,
                rate > 0 ? RateLimiterStrategy.perSecond(rate) : RateLimiterStrategy.noOp(), Types.LONG);
        env.fromSource(sequence, WatermarkStrategy.noWatermarks(), "sequence")
                .uid(SOURCE_UID)
                .map(new ZerosThenFinal(records, last))
                .returns(Types.TUPLE(Types.LONG, Types.LONG))
                .name("zeros then final")
                .uid(VALUES_UID)
                .keyBy(new ConstantKey())
                .process(new RunningSum(initial, delayMs, slowCheckpointMs))
                .name("running sum")
                .uid(SUM_UID)
                .sinkTo(sink)
                .name("sum file sink")
                .uid(SINK_UID);

        env.execute("StateLab running sum");
    }

    /** Index {@code records} becomes the final value; every index before it a zero. The index travels along. */
    static final class ZerosThenFinal implements MapFunction<Long, Tuple2<Long, Long>> {
        private final long records;
        private final long last;

        ZerosThenFinal(long records, long last) {
            this.records = records;
            this.last = last;
        }

        @Override
        public Tuple2<Long, Long> map(Long index) {
            return Tuple2.of(index, index < records ? 0L : last);
        }
    }

    /** Every value goes to the same key, so one keyed state holds the whole sum. */
    static final class ConstantKey implements KeySelector<Tuple2<Long, Long>, Integer> {
        @Override
        public Integer getKey(Tuple2<Long, Long> value) {
            return 0;
        }
    }

    /**
     * Adds each value to the sum in keyed state and emits "INDEX SUM": the record's index in the input and the sum
     * after it, so that a verifier reading the output can tell a duplicate or a gap from a repeated sum.
     */
    static final class RunningSum extends KeyedProcessFunction<Integer, Tuple2<Long, Long>, String> implements CheckpointedFunction {
        private final long initial;
        private final long delayMs;
        private final long slowCheckpointMs;
        private transient ValueState<Long> sum;

        RunningSum(long initial, long delayMs, long slowCheckpointMs) {
            this.initial = initial;
            this.delayMs = delayMs;
            this.slowCheckpointMs = slowCheckpointMs;
        }

        /** Holds the checkpoint in flight for --slow-checkpoint-ms, as a large state's upload would; the state is keyed, nothing to add. */
        @Override
        public void snapshotState(FunctionSnapshotContext context) throws Exception {
            if (slowCheckpointMs > 0) {
                Thread.sleep(slowCheckpointMs);
            }
        }

        @Override
        public void initializeState(FunctionInitializationContext context) {
        }

        @Override
        public void open(OpenContext context) {
            sum = getRuntimeContext().getState(new ValueStateDescriptor<>(STATE_NAME, Types.LONG));
        }

        @Override
        public void processElement(Tuple2<Long, Long> record, Context ctx, Collector<String> out) throws Exception {
            if (delayMs > 0) {
                Thread.sleep(delayMs);
            }
            Long current = sum.value();
            long next = (current == null ? initial : current) + record.f1;
            sum.update(next);
            out.collect(record.f0 + " " + next);
        }
    }
}
