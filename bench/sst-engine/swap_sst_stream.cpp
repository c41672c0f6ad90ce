// swap_sst_stream: the seed's C++ tool, done streaming. A yardstick for `swap-sst --mode block`, not product code.
//
//   swap_sst_stream IN OUT [N]
//
// Opens IN with rocksdb::SstFileReader, reads num_entries from its table properties, iterates every entry and
// writes it to OUT with rocksdb::SstFileWriter, replacing the values of the last N entries (default 5) with
// 8 zero bytes. OUT is written with the options IN says it has: compression (from the properties), the
// block-based table's format_version and checksum type (from IN's footer), a Bloom filter if IN has one,
// 4 KiB blocks (RocksDB's default, what Flink and bench/GenerateSst.java write). SstFileWriter::Finish
// fsyncs OUT. Memory: one block of IN at a time, plus the index SstFileWriter builds until Finish.
//
// Refuses (exit 8) what a user-key copy would change: deletions, merge operands, range deletions, a comparator
// other than bytewise. Prints one line on stdout: entries, changed, bytes in/out and the copy's own seconds.
//
// Build: bench/sst-engine/build-cpp.sh (g++ -O2 -std=c++17 ... -lrocksdb, Debian's librocksdb-dev 7.8.3).

#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>
#include <rocksdb/table_properties.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

namespace {

int fail(int code, const std::string& what) {
  std::fprintf(stderr, "error: %s\n", what.c_str());
  return code;
}

// The footer of a block-based table, format_version 1..5 (53 bytes): checksum type (1 byte), metaindex and
// index handles (varints, padded to 40 bytes), format_version (fixed32), magic number (fixed64).
struct Footer {
  bool ok = false;
  uint32_t format_version = 0;
  uint8_t checksum = 0;
};

Footer read_footer(const std::string& path) {
  Footer f;
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return f;
  std::streamoff size = in.tellg();
  if (size < 53) return f;
  unsigned char b[53];
  in.seekg(size - 53);
  if (!in.read(reinterpret_cast<char*>(b), 53)) return f;
  uint64_t magic = 0;
  for (int i = 7; i >= 0; --i) magic = (magic << 8) | b[45 + i];
  if (magic != 0x88e241b785f4cff7ull) return f;  // kBlockBasedTableMagicNumber
  f.format_version = b[41] | (b[42] << 8) | (b[43] << 16) | (uint32_t(b[44]) << 24);
  f.checksum = b[0];
  f.ok = f.format_version >= 1 && f.format_version <= 5;
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: %s IN OUT [N]   (N: last entries whose value becomes 8 zero bytes, default 5)\n",
                 argv[0]);
    return 2;
  }
  const std::string in_path = argv[1], out_path = argv[2];
  const uint64_t last = argc == 4 ? std::strtoull(argv[3], nullptr, 10) : 5;
  const auto t0 = std::chrono::steady_clock::now();

  Footer footer = read_footer(in_path);
  if (!footer.ok) return fail(8, in_path + ": not a block-based table of format_version 1-5");

  rocksdb::Options read_options;
  rocksdb::SstFileReader reader(read_options);
  rocksdb::Status s = reader.Open(in_path);
  if (!s.ok()) return fail(8, in_path + ": " + s.ToString());
  std::shared_ptr<const rocksdb::TableProperties> props = reader.GetTableProperties();
  const uint64_t entries = props->num_entries;
  if (props->num_deletions || props->num_merge_operands || props->num_range_deletions)
    return fail(8, in_path + ": holds deletions, merge operands or range deletions, which a copy through "
                             "SstFileReader would drop");
  if (props->comparator_name != "leveldb.BytewiseComparator")
    return fail(8, in_path + ": comparator " + props->comparator_name);

  rocksdb::Options options;
  if (props->compression_name == "Snappy") options.compression = rocksdb::kSnappyCompression;
  else if (props->compression_name == "NoCompression") options.compression = rocksdb::kNoCompression;
  else return fail(8, in_path + ": compression " + props->compression_name + " not handled");
  rocksdb::BlockBasedTableOptions table;
  table.format_version = footer.format_version;
  table.checksum = static_cast<rocksdb::ChecksumType>(footer.checksum);
  table.block_size = 4 * 1024;
  if (!props->filter_policy_name.empty()) table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), options);
  s = writer.Open(out_path);
  if (!s.ok()) return fail(11, out_path + ": " + s.ToString());

  rocksdb::ReadOptions ro;
  ro.fill_cache = false;                 // stream: nothing of IN is kept once read
  ro.readahead_size = 2 * 1024 * 1024;
  std::unique_ptr<rocksdb::Iterator> it(reader.NewIterator(ro));
  const uint64_t first_changed = entries > last ? entries - last : 0;
  static const char zeros[8] = {0};
  const rocksdb::Slice zero(zeros, sizeof zeros);
  uint64_t i = 0, changed = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++i) {
    if (i >= first_changed) {
      s = writer.Put(it->key(), zero);
      ++changed;
    } else {
      s = writer.Put(it->key(), it->value());
    }
    if (!s.ok()) return fail(1, out_path + ": " + s.ToString());
  }
  if (!it->status().ok()) return fail(8, in_path + ": " + it->status().ToString());
  if (i != entries)
    return fail(8, in_path + ": iterated " + std::to_string(i) + " entries, properties say " +
                       std::to_string(entries));
  rocksdb::ExternalSstFileInfo info;
  s = writer.Finish(&info);  // writes the index, properties and footer, then fsyncs OUT
  if (!s.ok()) return fail(11, out_path + ": " + s.ToString());

  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("entries %llu changed %llu format_version %u checksum %u compression %s out_bytes %llu seconds %.3f\n",
              static_cast<unsigned long long>(entries), static_cast<unsigned long long>(changed),
              footer.format_version, footer.checksum, props->compression_name.c_str(),
              static_cast<unsigned long long>(info.file_size), secs);
  return 0;
}
