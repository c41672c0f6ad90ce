package statelab.blockcopy;

/**
 * The input is not a table this prototype can rewrite faithfully: corrupt (bad checksum, truncated entry) or
 * outside its scope (partitioned index, unknown compression, ...). The message says which and why; the
 * command maps it to exit code 8 (BAD_STATE) and writes nothing.
 */
public final class BadTable extends RuntimeException {
    public BadTable(String message) {
        super(message);
    }
}
