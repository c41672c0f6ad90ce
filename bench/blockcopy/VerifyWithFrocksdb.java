///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS com.ververica:frocksdbjni:8.10.0-ververica-1.0
//SOURCES ../../scripts/lib/cli/*.java
//SOURCES verify/VerifyRewrite.java
//DESCRIPTION Check a block-copy rewrite against its original with Flink's RocksDB (frocksdbjni 8.10), in its own JVM.
package statelab.blockcopy;

import statelab.blockcopy.verify.VerifyRewrite;
import statelab.cli.CommandRunner;

/**
 * {@code VerifyWithFrocksdb IN OUT [--last N] [--value HEX]}: {@link VerifyRewrite} on the RocksDB that Flink
 * 2.3 restores state with. A separate script so that frocksdbjni and rocksdbjni (both package org.rocksdb) are
 * never on one classpath.
 */
public final class VerifyWithFrocksdb {
    private VerifyWithFrocksdb() {}

    public static void main(String[] args) {
        CommandRunner.main(new VerifyRewrite("frocksdbjni 8.10.0-ververica-1.0"), args);
    }
}
