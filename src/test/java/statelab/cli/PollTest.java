package statelab.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PollTest {
    @Test
    void returnsWhatTheLookSawOnceItSawIt() {
        AtomicInteger looks = new AtomicInteger();
        Optional<String> seen = Poll.until(Duration.ofSeconds(10), () -> looks.incrementAndGet() == 3 ? Optional.of("ready") : Optional.empty());
        assertThat(seen).contains("ready");
        assertThat(looks).hasValue(3);
    }

    @Test
    void looksAtLeastOnceAndOnceMoreAfterTheLastPauseThenGivesUp() {
        AtomicInteger looks = new AtomicInteger();
        assertThat(Poll.until(Instant.now().minusSeconds(1), () -> {
            looks.incrementAndGet();
            return Optional.empty();
        })).isEmpty();
        assertThat(looks).as("a deadline already past: one look").hasValue(1);

        List<Instant> at = new ArrayList<>();
        Instant deadline = Instant.now().plusMillis(300);
        assertThat(Poll.until(deadline, () -> {
            at.add(Instant.now());
            return Optional.empty();
        })).isEmpty();
        assertThat(at.get(at.size() - 1)).as("the last look is at or after the deadline").isAfterOrEqualTo(deadline);
        assertThat(at.get(at.size() - 2)).as("the one before it, before the deadline").isBefore(deadline);
    }

    @Test
    void pausesStartShortAndGrowToTheMaximumAfterTheFastPeriod() {
        List<Instant> at = new ArrayList<>();
        Poll.until(Poll.FAST_FOR.plusMillis(1500), () -> {
            at.add(Instant.now());
            return Optional.empty();
        });
        Instant fastUntil = at.get(0).plus(Poll.FAST_FOR);
        long fast = at.stream().filter(t -> t.isBefore(fastUntil)).count();
        // lower bounds only (a loaded machine oversleeps, never undersleeps): 10 ms pauses give ~100 looks in the
        // first second, 100 ms ones would give 10; the last pauses have grown to the maximum
        assertThat(fast).as("looks in the first %s", Poll.FAST_FOR).isGreaterThan(15);
        Duration lastPause = Duration.between(at.get(at.size() - 2), at.get(at.size() - 1));
        assertThat(lastPause).as("the last pause").isGreaterThanOrEqualTo(Poll.MAX);
    }

    @Test
    void whatTheLookThrowsEndsTheWait() {
        AtomicInteger looks = new AtomicInteger();
        assertThatThrownBy(() -> Poll.until(Duration.ofSeconds(10), () -> {
            looks.incrementAndGet();
            throw Failure.of(ExitCode.JOB_FAILED, "the job failed");
        })).isInstanceOf(Failure.class).hasMessage("the job failed");
        assertThat(looks).hasValue(1);
    }

    @Test
    void anInterruptEndsTheWaitAsACanceledCommand() {
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> Poll.until(Duration.ofSeconds(10), Optional::empty))
                    .isInstanceOf(Failure.class).hasMessageContaining("interrupted (the wait was canceled)");
        } finally {
            Thread.interrupted();
        }
    }
}
