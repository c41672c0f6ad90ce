package statelab;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import statelab.cli.ExitCode;
import statelab.testing.InProcess;

/**
 * What every command promises, checked on each command of the registry: --help lists the one exit-code table, bad usage is one line
 * on stderr with exit code 2 and nothing on stdout, and --version answers.
 */
class CommandContractTest {
    /** Every command of the registry ({@link StateLab}), the REPL, and the umbrella itself. */
    static Stream<Arguments> commands() {
        Stream<Arguments> registered = StateLab.commands().entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
        return Stream.concat(registered, Stream.of(
                Arguments.of("repl", (Supplier<Object>) Repl::new),
                Arguments.of("statelab", (Supplier<Object>) StateLab::new)));
    }

    @ParameterizedTest(name = "{0} --help")
    @MethodSource("commands")
    void helpListsEveryExitCode(String name, Supplier<Object> command) {
        InProcess.Result r = InProcess.run(command.get(), "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("Usage: " + name).contains("Exit codes:");
        for (ExitCode code : ExitCode.values()) {
            assertThat(r.out()).as("--help of %s lists exit code %d", name, code.code).containsPattern("(?m)^\\s*" + code.code + "\\s+\\S");
        }
    }

    @ParameterizedTest(name = "{0} --bogus")
    @MethodSource("commands")
    void unknownOptionIsOneLineAndExitTwo(String name, Supplier<Object> command) {
        InProcess.Result r = InProcess.run(command.get(), "--bogus");
        assertThat(r.exit()).isEqualTo(ExitCode.USAGE.code);
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines()).singleElement().asString().startsWith("error: ").contains("--bogus").contains(name + " --help");
    }

    @ParameterizedTest(name = "{0} --version")
    @MethodSource("commands")
    void versionAnswers(String name, Supplier<Object> command) {
        InProcess.Result r = InProcess.run(command.get(), "--version");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("StateLab");
    }

    @org.junit.jupiter.api.Test
    void clusterNeedsAKnownSubcommand() {
        InProcess.Result none = InProcess.run(new Cluster());
        assertThat(none.exit()).isEqualTo(ExitCode.USAGE.code);
        assertThat(none.errLines()).singleElement().asString().contains("missing subcommand");

        InProcess.Result unknown = InProcess.run(new Cluster(), "restart");
        assertThat(unknown.exit()).isEqualTo(ExitCode.USAGE.code);
        assertThat(unknown.errLines()).singleElement().asString().startsWith("error: ").contains("restart");
    }

    @org.junit.jupiter.api.Test
    void clusterStartRejectsBadPortsAndSlotsBeforeStartingAnything() {
        for (List<String> args : List.of(List.of("start", "--port", "0"), List.of("start", "--port", "70000"),
                List.of("start", "--port", "http"), List.of("start", "--slots", "0"))) {
            InProcess.Result r = InProcess.run(new Cluster(), args.toArray(String[]::new));
            assertThat(r.exit()).as("%s", args).isEqualTo(ExitCode.USAGE.code);
            assertThat(r.errLines()).as("%s", args).singleElement().asString().startsWith("error: ");
            assertThat(r.out()).isEmpty();
        }
    }

    @org.junit.jupiter.api.Test
    void clusterStartWithAMissingConfigIsNotFound() {
        InProcess.Result r = InProcess.run(new Cluster(), "start", "--config", "no/such/config.yaml", "--dir",
                statelab.testing.Checkout.TARGET.resolve("no-cluster").toString(), "--port", "1");
        assertThat(r.exit()).isEqualTo(ExitCode.NOT_FOUND.code);
        assertThat(r.errLines()).singleElement().asString().contains("no/such/config.yaml");
    }

    @org.junit.jupiter.api.Test
    void chainedCommandsSayWhatIsMissingWhenStdinIsEmpty() {
        InProcess.Result savepoint = InProcess.run(new Savepoint());
        assertThat(savepoint.exit()).isEqualTo(ExitCode.USAGE.code);
        assertThat(savepoint.errLines()).singleElement().asString().contains("no job id given").contains("submit");

        InProcess.Result swap = InProcess.run(new SwapSst());
        assertThat(swap.exit()).isEqualTo(ExitCode.USAGE.code);
        assertThat(swap.errLines()).singleElement().asString().contains("no savepoint path given");

        InProcess.Result resume = InProcess.run(new Resume());
        assertThat(resume.exit()).isEqualTo(ExitCode.USAGE.code);
        assertThat(resume.errLines()).singleElement().asString().contains("no savepoint path given");
    }

    @org.junit.jupiter.api.Test
    void chainedCommandsReadPlainLinesAndJsonFromStdin() {
        // a job id that is not one is rejected before any cluster is contacted, so no cluster is needed here
        InProcess.Result plain = InProcess.runWithStdin(new Savepoint(), "something else\nnot-a-job-id\n");
        assertThat(plain.errLines()).singleElement().asString().contains("'not-a-job-id' is not a Flink job id");

        InProcess.Result json = InProcess.runWithStdin(new Savepoint(), "{\"jobId\":\"zz\",\"state\":\"RUNNING\"}\n");
        assertThat(json.errLines()).singleElement().asString().contains("'zz' is not a Flink job id");

        InProcess.Result wrongJson = InProcess.runWithStdin(new Savepoint(), "{\"savepoint\":\"/tmp/x\"}\n");
        assertThat(wrongJson.exit()).isEqualTo(ExitCode.USAGE.code);
        assertThat(wrongJson.errLines()).singleElement().asString().contains("no \"jobId\" field");
    }

    @org.junit.jupiter.api.Test
    void badRestUrlsAreUsageErrors() {
        for (String url : List.of("ftp://127.0.0.1:8081", "127.0.0.1:8081", "http://127.0.0.1:8081/some/path", "http://[::1")) {
            InProcess.Result r = InProcess.run(new Savepoint(), "--rest-url", url, "00000000000000000000000000000000");
            assertThat(r.exit()).as(url).isEqualTo(ExitCode.USAGE.code);
            assertThat(r.errLines()).as(url).singleElement().asString().startsWith("error: bad REST URL");
        }
    }

    @org.junit.jupiter.api.Test
    void durationsAcceptWhatPeopleType() {
        InProcess.Result r = InProcess.run(new Savepoint(), "--timeout", "soon", "00000000000000000000000000000000");
        assertThat(r.exit()).isEqualTo(ExitCode.USAGE.code);
        assertThat(r.errLines()).singleElement().asString().contains("'soon' is not a duration");
        assertThat(statelab.cli.Durations.parse("500ms")).hasMillis(500);
        assertThat(statelab.cli.Durations.parse("30s")).hasSeconds(30);
        assertThat(statelab.cli.Durations.parse("2m")).hasMinutes(2);
        assertThat(statelab.cli.Durations.parse("45")).hasSeconds(45);
        assertThat(statelab.cli.Durations.parse("PT1M")).hasMinutes(1);
    }
}
