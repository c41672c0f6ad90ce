///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES ../../scripts/lib/cli/*.java
//SOURCES ../../scripts/lib/sst/format/*.java
//DESCRIPTION Show an SST's footer, meta blocks, properties and index as the block rewriter (scripts/lib/sst) reads them.
package statelab.blockcopy;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import statelab.cli.CommandRunner;
import statelab.cli.ExitCode;
import statelab.cli.Output;
import statelab.sst.format.BadTable;
import statelab.sst.format.TableDump;

/**
 * {@code InspectSst SST [--entries]}: the table as {@link statelab.sst.format.BlockBasedTable} parses it, without RocksDB: footer,
 * metaindex, properties, index, data region. With {@code --entries} it also walks every data block (verifying
 * each checksum) and prints every internal entry, one per line: {@code userKeyHex seq TYPE valueHex}. Two such
 * dumps diff cleanly, which shows whether sequence numbers, tombstones and merge operands survived a rewrite.
 */
@Command(name = "inspect-sst", mixinStandardHelpOptions = true,
        description = "Print an SST's layout as the block rewriter (scripts/lib/sst) reads it (no RocksDB involved).")
public final class InspectSst implements Callable<Integer> {
    @Mixin Output output;

    @Parameters(index = "0", paramLabel = "SST")
    Path sst;

    @Option(names = "--entries", description = "Also dump every internal entry (key, sequence number, type, value).")
    boolean entries;

    @Override
    public Integer call() throws Exception {
        try {
            TableDump dump = TableDump.of(sst, entries, output.out());
            output.result(dump.describe(), dump.summary());
            return ExitCode.OK.code;
        } catch (BadTable e) {
            throw statelab.cli.Failure.of(ExitCode.BAD_STATE, "%s: %s", sst, e.getMessage());
        }
    }

    public static void main(String[] args) {
        CommandRunner.main(new InspectSst(), args);
    }
}
