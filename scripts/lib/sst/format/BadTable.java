package statelab.sst.format;

/**
 * The input is not a table this code can rewrite faithfully: corrupt (bad checksum, truncated entry) or
 * outside its scope (partitioned index, unknown compression, ...). The message says which and why, in one line;
 * {@code statelab.sst.rewrite.BlockRewriter} turns it into a {@code statelab.cli.Failure} with exit code 8
 * (BAD_STATE) and leaves nothing written.
 */
public final class BadTable extends RuntimeException {
    public BadTable(String message) {
        super(message);
    }
}
