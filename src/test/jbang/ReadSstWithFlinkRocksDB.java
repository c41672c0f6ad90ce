///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS com.ververica:frocksdbjni:8.10.0-ververica-1.0

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.SstFileReader;
import org.rocksdb.SstFileReaderIterator;

/**
 * Test support: reads an SST with Flink's own RocksDB (frocksdbjni 8.10, the library a Flink 2.3 TaskManager
 * restores with), verifies its block checksums, and prints one JSON line: the entry count and the last N keys
 * and values in hex. Runs in a JVM of its own: frocksdbjni and rocksdbjni share the package org.rocksdb.
 *
 * <p>Usage: ReadSstWithFlinkRocksDB FILE [N]
 */
public class ReadSstWithFlinkRocksDB {
    public static void main(String[] args) throws Exception {
        String file = args[0];
        int last = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        RocksDB.loadLibrary();
        HexFormat hex = HexFormat.of();
        long entries = 0;
        Deque<String> tail = new ArrayDeque<>();
        try (Options options = new Options(); SstFileReader reader = new SstFileReader(options); ReadOptions read = new ReadOptions()) {
            reader.open(file);
            reader.verifyChecksum();
            try (SstFileReaderIterator it = reader.newIterator(read)) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    entries++;
                    tail.addLast("{\"key\":\"" + hex.formatHex(it.key()) + "\",\"value\":\"" + hex.formatHex(it.value()) + "\"}");
                    if (tail.size() > last) {
                        tail.removeFirst();
                    }
                }
                it.status();
            }
        }
        System.out.println("{\"entries\":" + entries + ",\"last\":[" + String.join(",", tail) + "]}");
    }
}
