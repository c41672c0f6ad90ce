///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES WordCount.java
//DEPS org.apache.flink:flink-streaming-java:2.3.0
//DEPS org.apache.flink:flink-clients:2.3.0
//DEPS org.apache.flink:flink-statebackend-rocksdb:2.3.0
//DEPS org.slf4j:slf4j-api:2.0.17
//DEPS org.slf4j:slf4j-simple:2.0.17
//JAVA_OPTIONS -Dorg.slf4j.simpleLogger.defaultLogLevel=error --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED
//DESCRIPTION Shopping carts: three keyed states (MapState, ListState, ValueState), items removed and carts cleared.
package statelab.jobs;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.ParameterTool;

/**
 * Shopping carts, the state shapes real jobs write and the word count does not: per user, a {@link MapState} of
 * item → quantity ("cart"), a {@link ListState} of the items added since the last checkout ("recent", whose adds
 * RocksDB stores as merge operands), and a {@link ValueState} count of checkouts ("orders"). Removing an item and
 * checking out (which clears the cart and the list) write deletions: an SST of this job holds tombstones. Each
 * state is a RocksDB column family of its own. Events are a pure function of (seed, index):
 * <ul>
 *   <li>{@code --events N} — how many events (default 20000);
 *   <li>{@code --users U} — how many users, i.e. keys (default 500);
 *   <li>{@code --items I} — how many distinct items (default 50);
 *   <li>{@code --seed S}, {@code --rate R}, {@code --keep-running}, {@code --checkpoint-interval MS} — as for the
 *       word count (default checkpoint interval 1000, EXACTLY_ONCE; 0: none enabled by the job).
 * </ul>
 * Of every 10 events, 8 add an item, 1 removes one, 1 checks out (prints {@code (user,orders,items bought)}).
 */
public final class Carts {
    public static final String SOURCE_UID = "cart-events";
    public static final String CARTS_UID = "carts";
    public static final String SINK_UID = "print-orders";
    /** The keyed states' names, which are also the RocksDB column families of their SST files. */
    public static final String CART = "cart";
    public static final String RECENT = "recent";
    public static final String ORDERS = "orders";

    static final String USAGE = """
            StateLab shopping carts: per user a MapState cart, a ListState of recent items and a ValueState of orders;
            items are added (8 in 10 events), removed (1 in 10) and carts checked out and cleared (1 in 10).
              --events N                how many events (default 20000)
              --users U                 how many users: keys (default 500)
              --items I                 how many distinct items (default 50)
              --seed S                  the events' seed (default 42)
              --rate R                  events per second, 0 = unthrottled (default 0)
              --keep-running            stay RUNNING after the last event, for a savepoint
              --checkpoint-interval MS  EXACTLY_ONCE checkpoints (default 1000; 0: none enabled by the job)
            """;

    private Carts() {}

    public static void main(String[] args) throws Exception {
        ParameterTool params = ParameterTool.fromArgs(args);
        if (params.has("help")) {
            System.out.print(USAGE);
            return;
        }
        long events = params.getLong("events", 20_000);
        int users = params.getInt("users", 500);
        int items = params.getInt("items", 50);
        long seed = params.getLong("seed", 42);
        double rate = params.getDouble("rate", 0);
        boolean keepRunning = params.has("keep-running");
        long checkpointInterval = params.getLong("checkpoint-interval", 1000);
        WordCount.rejectUnknown(params);
        if (events < 1 || users < 1 || items < 1) {
            throw new IllegalArgumentException("--events, --users and --items must be at least 1");
        }

        StreamExecutionEnvironment env = WordCount.environment(checkpointInterval, CheckpointingMode.EXACTLY_ONCE);
        env.getConfig().setGlobalJobParameters(params);

        DataGeneratorSource<String> generated = new DataGeneratorSource<>(
                index -> event(seed, users, items, index),
                events,
                rate > 0 ? RateLimiterStrategy.perSecond(rate) : RateLimiterStrategy.noOp(),
                Types.STRING);
        Source<String, ?, ?> source = keepRunning ? new WordCount.IdleAtEnd<>(generated, Types.STRING, true, false) : generated;

        env.fromSource(source, WatermarkStrategy.noWatermarks(), "cart events")
                .uid(SOURCE_UID)
                .keyBy(e -> e.substring(0, e.indexOf(' ')))
                .process(new KeepCarts())
                .name("keep carts")
                .uid(CARTS_UID)
                .print()
                .name("print orders")
                .uid(SINK_UID);

        env.execute("StateLab shopping carts");
    }

    /** Event {@code index}: {@code "<user> add <item>"}, {@code "<user> remove <item>"} or {@code "<user> checkout"}. */
    public static String event(long seed, int users, int items, long index) {
        String user = String.format("user-%04d", Math.floorMod(WordCount.mix(seed * 0x9E3779B97F4A7C15L + index), users));
        long draw = Math.floorMod(WordCount.mix(seed + 31 * index + 7), 10L * items);
        long action = draw % 10;
        String item = String.format("item-%03d", draw / 10);
        return action < 8 ? user + " add " + item : action == 8 ? user + " remove " + item : user + " checkout";
    }

    /** The three states of one user, changed by its events; a checkout emits (user, orders so far, items bought). */
    static final class KeepCarts extends KeyedProcessFunction<String, String, String> {
        private transient MapState<String, Integer> cart;
        private transient ListState<String> recent;
        private transient ValueState<Integer> orders;

        @Override
        public void open(OpenContext context) {
            cart = getRuntimeContext().getMapState(new MapStateDescriptor<>(CART, Types.STRING, Types.INT));
            recent = getRuntimeContext().getListState(new ListStateDescriptor<>(RECENT, Types.STRING));
            orders = getRuntimeContext().getState(new ValueStateDescriptor<>(ORDERS, Types.INT));
        }

        @Override
        public void processElement(String event, Context ctx, Collector<String> out) throws Exception {
            String[] parts = event.split(" ");
            switch (parts[1]) {
                case "add" -> {
                    Integer quantity = cart.get(parts[2]);
                    cart.put(parts[2], quantity == null ? 1 : quantity + 1);
                    recent.add(parts[2]);
                }
                case "remove" -> cart.remove(parts[2]);
                case "checkout" -> {
                    int bought = 0;
                    for (Integer quantity : cart.values()) {
                        bought += quantity;
                    }
                    Integer before = orders.value();
                    int now = (before == null ? 0 : before) + 1;
                    orders.update(now);
                    cart.clear();
                    recent.clear();
                    out.collect("(" + parts[0] + "," + now + "," + bought + ")");
                }
                default -> throw new IllegalStateException("unknown event: " + event);
            }
        }
    }
}
