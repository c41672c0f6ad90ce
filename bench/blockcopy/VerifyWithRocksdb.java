///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.rocksdb:rocksdbjni:10.10.1
//SOURCES ../../scripts/lib/cli/*.java
//SOURCES verify/VerifyRewrite.java
//DESCRIPTION Check a block-copy rewrite against its original with rocksdbjni 10.10.1 (swap-sst's RocksDB).
package statelab.blockcopy;

import statelab.blockcopy.verify.VerifyRewrite;
import statelab.cli.CommandRunner;

/** {@code VerifyWithRocksdb IN OUT [--last N] [--value HEX]}: {@link VerifyRewrite} on rocksdbjni 10.10.1. */
public final class VerifyWithRocksdb {
    private VerifyWithRocksdb() {}

    public static void main(String[] args) {
        CommandRunner.main(new VerifyRewrite("rocksdbjni 10.10.1"), args);
    }
}
