package statelab.sst;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.SstFileReader;
import org.rocksdb.SstFileReaderIterator;
import org.rocksdb.TableProperties;

/**
 * An SST as rocksdbjni 10.10.1 reads it, never as the code under test does: every block checksum verified
 * ({@link SstFileReader#verifyChecksum()}), every entry in key order, the table properties RocksDB reports, and the
 * footer's checksum type and format_version read from the file's last 53 bytes.
 */
record SstRead(List<Entry> entries, TableProperties properties, int checksumType, int formatVersion, long size) {
    record Entry(byte[] key, byte[] value) {}

    static SstRead of(Path sst) throws RocksDBException, IOException {
        List<Entry> entries = new ArrayList<>();
        TableProperties properties;
        try (Options o = new Options(); SstFileReader r = new SstFileReader(o); ReadOptions ro = new ReadOptions().setVerifyChecksums(true)) {
            r.open(sst.toString());
            r.verifyChecksum();
            properties = r.getTableProperties();
            try (SstFileReaderIterator it = r.newIterator(ro)) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    entries.add(new Entry(it.key(), it.value()));
                }
                it.status();
            }
        }
        ByteBuffer footer = ByteBuffer.allocate(53).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(sst)) {
            ch.read(footer, ch.size() - 53);
        }
        return new SstRead(entries, properties, footer.get(0) & 0xff, footer.getInt(53 - 12), Files.size(sst));
    }

    /** How many leading bytes two files have in common. */
    static long commonPrefix(Path a, Path b) throws IOException {
        byte[] x = Files.readAllBytes(a);
        byte[] y = Files.readAllBytes(b);
        int n = java.util.Arrays.mismatch(x, y);
        return n < 0 ? x.length : n;
    }
}
