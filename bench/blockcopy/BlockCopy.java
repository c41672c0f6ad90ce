///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES ../../scripts/lib/cli/*.java
//SOURCES ../../scripts/lib/sst/format/*.java
//SOURCES ../../scripts/lib/sst/rewrite/*.java
//DESCRIPTION Harness of the block rewriter (scripts/lib/sst): change the last N values of an SST by copying untouched blocks as raw bytes.
package statelab.blockcopy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import statelab.cli.AtomicFile;
import statelab.cli.CommandRunner;
import statelab.cli.ExitCode;
import statelab.cli.Failure;
import statelab.cli.HexBytes;
import statelab.cli.Output;
import statelab.sst.rewrite.BlockRewriter;

/**
 * {@code block-copy IN [OUT] [--last N] [--value HEX] [--merge-operands] [--verify-copied] [--keep-size | --pad-to BYTES]
 * [--no-sync]}: writes
 * OUT (or replaces IN atomically when OUT is omitted, as {@code swap-sst FILE} does) with the values of the last
 * N value entries of IN replaced, copying every block that does not change as raw bytes. Prints the path
 * written; {@code --json} gives the changes, block counts and the time of each phase.
 */
@Command(name = "block-copy", mixinStandardHelpOptions = true,
        description = {"Replace the values of the last N entries (in key order) of a block-based SST, re-encoding only",
                "the blocks that change; untouched blocks are copied as raw bytes. Prints the file written."})
public final class BlockCopy implements Callable<Integer> {
    @Mixin Output output;

    @Parameters(index = "0", paramLabel = "IN", description = "The SST to read.")
    Path in;

    @Parameters(index = "1", arity = "0..1", paramLabel = "OUT", description = "The SST to write (must not exist); default: replace IN.")
    Path out;

    @Option(names = {"-n", "--last"}, paramLabel = "N", defaultValue = "5",
            description = "How many value entries, counted from the last key, get the new value (default: ${DEFAULT-VALUE}).")
    int last;

    @Option(names = "--value", paramLabel = "HEX", defaultValue = "0000000000000000",
            description = "The new value, in hex (default: ${DEFAULT-VALUE}).")
    String valueHex;

    @Option(names = "--merge-operands", description = "Count merge operands as value entries too (ListState elements).")
    boolean mergeOperands;

    @Option(names = "--verify-copied", description = "Read the copied blocks through the JVM and verify each checksum.")
    boolean verifyCopied;

    @Option(names = "--keep-size", description = {"Pad the data region with zeros so OUT is exactly as long as IN",
            "(a DB's MANIFEST records each SST's size; RocksDB refuses a DB whose SST changed size)."})
    boolean keepSize;

    @Option(names = "--pad-to", paramLabel = "BYTES", description = "Pad the data region with zeros so OUT is exactly BYTES long.")
    long padTo;

    @Option(names = "--no-sync", description = "Do not fsync the new file before reporting it written.")
    boolean noSync;

    @Override
    public Integer call() throws IOException {
        byte[] value = HexBytes.parse("--value", valueHex);
        if (last < 1) {
            throw Failure.of(ExitCode.USAGE, "--last must be at least 1, got %d", last);
        }
        if (!Files.isRegularFile(in)) {
            throw Failure.of(ExitCode.NOT_FOUND, "no such file: %s", in);
        }
        if (keepSize && padTo > 0) {
            throw Failure.of(ExitCode.USAGE, "--keep-size pads to IN's length; drop --pad-to");
        }
        BlockRewriter.Options options = BlockRewriter.Options.of(last, value).withMergeOperands(mergeOperands)
                .withVerifyCopied(verifyCopied).withSync(!noSync).withPadTo(keepSize ? Files.size(in) : padTo);
        BlockRewriter.Result r;
        Path written;
        // BlockRewriter refuses bad input with a Failure (exit 8, "nothing written") and leaves no OUT behind.
        if (out != null) {
            r = BlockRewriter.rewrite(in, out, options);
            written = out;
        } else {
            try (AtomicFile tmp = AtomicFile.beside(in)) {
                Files.delete(tmp.tmp());
                r = BlockRewriter.rewrite(in, tmp.tmp(), options);
                tmp.commit(false);
            }
            written = in;
        }
        output.progress("%d of %d data blocks copied raw, %d re-encoded; %,d bytes copied raw, %,d written new; %s ms",
                r.blocksCopiedRaw(), r.dataBlocks(), r.dataBlocks() - r.blocksCopiedRaw(), r.bytesCopiedRaw(),
                r.bytesWrittenNew(), r.millis());
        output.result(written.toString(), r);
        return ExitCode.OK.code;
    }


    public static void main(String[] args) {
        CommandRunner.main(new BlockCopy(), args);
    }
}
