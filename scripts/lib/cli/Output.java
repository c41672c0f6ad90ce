//DEPS com.fasterxml.jackson.core:jackson-databind:2.20.1
package statelab.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The output options every command shares, and the only way commands print. stdout carries the result and
 * nothing else (plain, or one line of JSON with {@code --json}); progress goes to stderr, and only when stderr
 * is a terminal or {@code --progress} asks for it. All text goes through picocli's writers, so tests and other
 * commands can capture it.
 */
public final class Output {
    /**
     * The one Jackson mapper of the toolkit, built on first use: building it loads a few hundred classes (a quarter
     * of a command's start-up, measured in bench/sst-engine), which a command that prints no JSON never needs.
     */
    public static ObjectMapper mapper() {
        return Mapper.INSTANCE;
    }

    private static final class Mapper {
        static final ObjectMapper INSTANCE = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
    }

    private static final boolean STDERR_IS_TERMINAL = isTerminal(2);

    @Spec(Spec.Target.MIXEE)
    private CommandSpec mixee;

    @Option(names = "--json", description = "Print the result as one line of JSON.")
    boolean json;

    @Option(names = "--progress", description = "Show progress on stderr even when it is not a terminal.")
    boolean progress;

    @Option(names = {"-v", "--verbose"}, description = "Say more on stderr; print stack traces of errors.")
    boolean verbose;

    /** The last result printed, as a value (null before one): the REPL remembers $job, $savepoint, … from it. */
    private Object lastResult;

    public Object lastResult() {
        return lastResult;
    }

    public boolean json() {
        return json;
    }

    public boolean verbose() {
        return verbose;
    }

    public PrintWriter out() {
        return mixee.commandLine().getOut();
    }

    /**
     * stdout for a result of many lines (inspect's entries, diff's differences): buffered, not flushed per line as
     * {@link #out()} is (a flush per line was 15 of 21 s of inspect on 2.6 M entries, bench/xray). Flush it at the end.
     */
    public PrintWriter lines() {
        return new PrintWriter(new java.io.BufferedWriter(out(), 1 << 16), false);
    }

    /**
     * stdout as bytes, for a command that prints many lines ({@code inspect --entries --json}): the process's own
     * stdout, written directly (no writer, no char encoding; the caller buffers), when the command prints there;
     * otherwise (tests, the REPL, one command calling another) the bytes decoded as UTF-8 into the command's writer.
     * What the writer held is flushed first. Flush the stream when done; never close it.
     */
    public OutputStream bytes() {
        PrintWriter out = out();
        out.flush();
        return out == processStdout ? new FileOutputStream(FileDescriptor.out) : new WriterStream(out);
    }

    /** The writer picocli made over the process's stdout (see {@link CommandRunner#execute(Object, String...)}). */
    private static volatile PrintWriter processStdout;

    static void processStdout(PrintWriter out) {
        processStdout = out;
    }

    /** Bytes decoded as UTF-8 into a writer; a character split across two writes is kept until it is whole. */
    private static final class WriterStream extends OutputStream {
        private final PrintWriter out;
        private final java.nio.charset.CharsetDecoder decoder = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPLACE)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPLACE);
        private java.nio.ByteBuffer pending = java.nio.ByteBuffer.allocate(0);
        private final java.nio.CharBuffer chars = java.nio.CharBuffer.allocate(8192);

        WriterStream(PrintWriter out) {
            this.out = out;
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            java.nio.ByteBuffer in = java.nio.ByteBuffer.allocate(pending.remaining() + len);
            in.put(pending).put(b, off, len).flip();
            while (true) {
                java.nio.charset.CoderResult r = decoder.decode(in, chars, false);
                chars.flip();
                out.append(chars);
                chars.clear();
                if (!r.isOverflow()) {
                    break;
                }
            }
            pending = in.slice();
        }

        @Override
        public void flush() {
            out.flush();
        }
    }

    public PrintWriter err() {
        return mixee.commandLine().getErr();
    }

    /** Whether progress is shown: stderr is a terminal, or --progress or --verbose; progress that costs a look asks first. */
    public boolean showsProgress() {
        return progress || verbose || STDERR_IS_TERMINAL;
    }

    /** Progress for a person watching: stderr, only when it is a terminal or with --progress (or --verbose). */
    public void progress(String format, Object... args) {
        if (showsProgress()) {
            PrintWriter err = err();
            err.println(mixee.qualifiedName() + ": " + Messages.format(format, args));
            err.flush();
        }
    }

    /** {@link #progress} for callbacks that hand over finished lines (the shared code's progress reports). */
    public Consumer<String> progressLines() {
        return line -> progress("%s", line);
    }

    /** A warning the user should see whatever the terminal: stderr, always. */
    public void warn(String format, Object... args) {
        PrintWriter err = err();
        err.println("warning: " + Messages.format(format, args));
        err.flush();
    }

    /** Prints the command's result: {@code plain} as is, or {@code structured} as one JSON line with --json. */
    public void result(String plain, Object structured) {
        lastResult = structured;
        PrintWriter out = out();
        out.println(json ? toJson(structured) : plain);
        out.flush();
    }

    /** {@code value} as one line of JSON: as the {@link #mapper()} writes it, without its start-up where it can. */
    public static String toJson(Object value) {
        String light = ResultJson.write(value);
        if (light != null) {
            return light;
        }
        try {
            return mapper().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON for " + value.getClass().getName(), e);
        }
    }

    /** True when file descriptor {@code fd} of this process is a terminal (Linux; elsewhere: a console exists). */
    public static boolean isTerminal(int fd) {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (Exception e) {
            return System.console() != null;
        }
    }
}
