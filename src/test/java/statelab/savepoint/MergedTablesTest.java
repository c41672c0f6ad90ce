package statelab.savepoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.ChecksumType;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.LiveFileMetaData;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksIterator;
import org.rocksdb.StringAppendOperator;
import statelab.sst.format.BadTable;
import statelab.sst.format.TableEntries;

/**
 * The block engine's scan of a column family ({@link MergedTables} over {@link TableEntries}) reads what RocksDB's
 * own iterator reads, entry for entry, on real databases written by rocksdbjni: random puts, overwrites, deletions,
 * single deletions and merge operands (Flink's ',' StringAppendOperator) over two column families, flushed into
 * overlapping L0 tables and compacted into L1, keys long and short, values empty and larger than a read window,
 * with and without Snappy, format_version 2 to 5 and three checksum types.
 */
class MergedTablesTest {
    @TempDir
    Path dir;

    static final List<String> FAMILIES = List.of("count", "list");

    record Db(Path dir, Map<String, List<Path>> tables) {}

    /** A DB of random operations, flushed {@code flushes} times, compacted once half-way; the tables of each family. */
    Db build(long seed, int formatVersion, CompressionType compression, ChecksumType checksum, boolean rangeDeletion) throws Exception {
        RocksDB.loadLibrary();
        Path db = dir.resolve("db-" + seed);
        Random r = new Random(seed);
        try (StringAppendOperator merge = new StringAppendOperator(',');
             ColumnFamilyOptions cfo = new ColumnFamilyOptions().setMergeOperator(merge).setDisableAutoCompactions(true)
                     .setCompressionType(compression)
                     .setTableFormatConfig(new BlockBasedTableConfig().setFormatVersion(formatVersion).setBlockSize(4096)
                             .setChecksumType(checksum));
             DBOptions dbo = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
             FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
            List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
            descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfo));
            FAMILIES.forEach(f -> descriptors.add(new ColumnFamilyDescriptor(f.getBytes(StandardCharsets.UTF_8), cfo)));
            List<ColumnFamilyHandle> handles = new ArrayList<>();
            try (RocksDB rdb = RocksDB.open(dbo, db.toString(), descriptors, handles)) {
                int flushes = 5;
                List<Object[]> once = new ArrayList<>();
                int fresh = 0;
                for (int round = 0; round < flushes; round++) {
                    for (int i = 0; i < 3000; i++) {
                        ColumnFamilyHandle cf = handles.get(1 + r.nextInt(FAMILIES.size()));
                        byte[] key = key(r);
                        int op = r.nextInt(100);
                        if (op < 50) {
                            rdb.put(cf, key, value(r));
                        } else if (op < 65) {
                            rdb.delete(cf, key);
                        } else if (op < 68) {
                            // SingleDelete's contract: one put of the key before it, nothing else
                            if (!once.isEmpty() && r.nextBoolean()) {
                                Object[] k = once.remove(r.nextInt(once.size()));
                                rdb.singleDelete((ColumnFamilyHandle) k[0], (byte[]) k[1]);
                            } else {
                                byte[] k = java.nio.ByteBuffer.allocate(5).put((byte) 0x7f).putInt(fresh++).array();
                                rdb.put(cf, k, value(r));
                                once.add(new Object[] {cf, k});
                            }
                        } else {
                            rdb.merge(cf, key, value(r));
                        }
                    }
                    if (round == 1) {
                        rdb.put(handles.get(1), "big".getBytes(StandardCharsets.UTF_8), new byte[(3 << 20) / 2]); // > a 1 MiB window
                    }
                    if (rangeDeletion && round == 3) {
                        rdb.deleteRange(handles.get(1), new byte[] {0x10}, new byte[] {0x40});
                    }
                    for (ColumnFamilyHandle h : handles) {
                        rdb.flush(flush, h);
                    }
                    if (round == 2) {
                        rdb.compactRange(handles.get(1)); // L1 under the L0 tables still to come
                    }
                }
                Map<String, List<Path>> tables = new LinkedHashMap<>();
                for (LiveFileMetaData f : rdb.getLiveFilesMetaData()) {
                    tables.computeIfAbsent(new String(f.columnFamilyName(), StandardCharsets.UTF_8), k -> new ArrayList<>())
                            .add(db.resolve(f.fileName().replaceFirst("^/", "")));
                }
                handles.forEach(ColumnFamilyHandle::close);
                return new Db(db, tables);
            }
        }
    }

    /** Keys of 1 to 80 bytes from a small alphabet: many share prefixes, many repeat (overwrites, operands). */
    static byte[] key(Random r) {
        int length = r.nextInt(10) == 0 ? 20 + r.nextInt(60) : 1 + r.nextInt(3);
        byte[] k = new byte[length];
        for (int i = 0; i < length; i++) {
            k[i] = (byte) (i < 3 ? r.nextInt(40) + 0x10 : r.nextInt(256));
        }
        return k;
    }

    static byte[] value(Random r) {
        byte[] v = new byte[r.nextInt(8) == 0 ? 0 : r.nextInt(r.nextInt(20) == 0 ? 3000 : 12)];
        r.nextBytes(v);
        return v;
    }

    /** key hex → value hex, in iteration order, as RocksDB's iterator reads the family. */
    static Map<String, String> rocksDb(Path db, String family) throws Exception {
        Map<String, String> out = new LinkedHashMap<>();
        try (StringAppendOperator merge = new StringAppendOperator(',');
             ColumnFamilyOptions cfo = new ColumnFamilyOptions().setMergeOperator(merge);
             DBOptions dbo = new DBOptions()) {
            List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
            descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfo));
            FAMILIES.forEach(f -> descriptors.add(new ColumnFamilyDescriptor(f.getBytes(StandardCharsets.UTF_8), cfo)));
            List<ColumnFamilyHandle> handles = new ArrayList<>();
            try (RocksDB rdb = RocksDB.openReadOnly(dbo, db.toString(), descriptors, handles);
                 ReadOptions ro = new ReadOptions().setVerifyChecksums(true);
                 RocksIterator it = rdb.newIterator(handles.get(1 + FAMILIES.indexOf(family)), ro)) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    out.put(HexFormat.of().formatHex(it.key()), HexFormat.of().formatHex(it.value()));
                }
                it.status();
                handles.forEach(ColumnFamilyHandle::close);
            }
        }
        return out;
    }

    static MergedTables merged(List<Path> tables) throws IOException {
        List<TableEntries> opened = new ArrayList<>();
        for (Path t : tables) {
            opened.add(TableEntries.open(FileChannel.open(t), t.getFileName().toString()));
        }
        return new MergedTables(opened);
    }

    static Map<String, String> blockEngine(List<Path> tables) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        try (MergedTables m = merged(tables)) {
            while (m.next()) {
                assertThat(out.put(HexFormat.of().formatHex(m.key()), HexFormat.of().formatHex(m.value()))).as("a key read twice").isNull();
            }
        }
        return out;
    }

    @ParameterizedTest(name = "seed {0}, format_version {1}, {2}, {3}")
    @CsvSource({
            "1, 5, SNAPPY_COMPRESSION, kCRC32c",
            "2, 5, NO_COMPRESSION, kxxHash64",
            "3, 4, SNAPPY_COMPRESSION, kXXH3",
            "4, 3, SNAPPY_COMPRESSION, kCRC32c",
            "5, 2, NO_COMPRESSION, kCRC32c",
    })
    void readsEveryFamilyAsRocksDbsIteratorDoes(long seed, int formatVersion, CompressionType compression, ChecksumType checksum) throws Exception {
        Db db = build(seed, formatVersion, compression, checksum, false);
        for (String family : FAMILIES) {
            List<Path> tables = db.tables().get(family);
            assertThat(tables).as("%s: L1 and overlapping L0 tables", family).hasSizeGreaterThanOrEqualTo(3);
            for (Path t : tables) {
                try (TableEntries e = TableEntries.open(FileChannel.open(t), t.toString())) {
                    assertThat(MergedTables.unreadable(e)).isNull();
                }
            }
            Map<String, String> expected = rocksDb(db.dir(), family);
            assertThat(expected).as("the premise: a family of many live keys").hasSizeGreaterThan(1000);
            assertThat(expected.values()).as("the premise: joined operands").anyMatch(v -> v.contains("2c"));
            Map<String, String> read = blockEngine(tables);
            assertThat(read.keySet()).as("%s: the same keys in the same order", family).containsExactlyElementsOf(expected.keySet());
            assertThat(read).as("%s: the same values", family).isEqualTo(expected);
        }
    }

    @Test
    void aTableWithRangeDeletionsIsLeftToRocksDb() throws Exception {
        Db db = build(7, 5, CompressionType.SNAPPY_COMPRESSION, ChecksumType.kCRC32c, true);
        List<String> why = new ArrayList<>();
        for (Path t : db.tables().get("count")) {
            try (TableEntries e = TableEntries.open(FileChannel.open(t), t.toString())) {
                String reason = MergedTables.unreadable(e);
                if (reason != null) {
                    why.add(reason);
                }
            }
        }
        assertThat(why).containsExactly("it holds range deletions");
    }

    @Test
    void aBlockWhoseChecksumIsWrongEndsTheScanSayingSo() throws Exception {
        Db db = build(8, 5, CompressionType.SNAPPY_COMPRESSION, ChecksumType.kCRC32c, false);
        Path t = db.tables().get("count").get(0);
        try (FileChannel ch = FileChannel.open(t, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1);
            ch.read(b, 100);
            b.flip();
            b.put(0, (byte) (b.get(0) ^ 0x01));
            ch.write(b, 100);
        }
        assertThatThrownBy(() -> blockEngine(List.of(t))).isInstanceOf(BadTable.class)
                .hasMessageContaining(t.getFileName().toString()).hasMessageContaining("block checksum mismatch in data block 0 at offset 0");
    }

    @Test
    void aFileThatIsNoTableIsRefusedWhenOpened() throws Exception {
        Path junk = Files.write(dir.resolve("junk.sst"), new byte[4096]);
        assertThatThrownBy(() -> TableEntries.open(FileChannel.open(junk), "junk.sst")).isInstanceOf(BadTable.class);
    }
}
