package statelab.cli;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The one way StateLab waits: look, and if the answer is not there yet, sleep and look again, until a deadline.
 * Looks come every {@link #FIRST} for the first {@link #FAST_FOR} (small jobs start, savepoint and restore in tens to
 * hundreds of milliseconds, and a 100 ms poll added ~50 ms to each wait), then the pause doubles up to
 * {@link #MAX}, so a long wait does not keep the JobManager busy. Flink's REST API caches what it shows for
 * {@code web.refresh-interval} (500 ms in config.yaml): looking more often than that costs little and sees a change
 * within {@link #FIRST} of the cache's refresh. A sleep ends the command when its thread is interrupted (Ctrl-C in
 * the REPL): {@link Durations#sleep}.
 */
public final class Poll {
    static final Duration FIRST = Duration.ofMillis(10);
    static final Duration FAST_FOR = Duration.ofSeconds(1);
    static final Duration MAX = Duration.ofMillis(100);

    private Poll() {}

    /**
     * Calls {@code look} until it returns a value, and returns that value; empty when the deadline passed first.
     * {@code look} is called at least once, and once more after the last pause, even when that is past the deadline.
     * What {@code look} throws ends the wait.
     */
    public static <T> Optional<T> until(Instant deadline, Supplier<Optional<T>> look) {
        Instant slowFrom = Instant.now().plus(FAST_FOR);
        Duration pause = FIRST;
        while (true) {
            Optional<T> seen = look.get();
            if (seen.isPresent()) {
                return seen;
            }
            if (Instant.now().isAfter(deadline)) {
                return Optional.empty();
            }
            Durations.sleep(pause);
            if (Instant.now().isAfter(slowFrom)) {
                Duration doubled = pause.multipliedBy(2);
                pause = doubled.compareTo(MAX) < 0 ? doubled : MAX;
            }
        }
    }

    /** {@link #until(Instant, Supplier)} with a deadline {@code timeout} from now. */
    public static <T> Optional<T> until(Duration timeout, Supplier<Optional<T>> look) {
        return until(Instant.now().plus(timeout), look);
    }
}
