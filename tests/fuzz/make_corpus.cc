// Writes the seed corpus of every fuzz target: small, valid inputs made with
// the real writers, so that fuzzing starts from well-formed files and mutates
// them. Run by tests/fuzz/make_corpus.sh; the output is committed under
// tests/fuzz/corpus/<target>/.
//
// Usage: make_corpus OUTPUT_DIR

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "compaction/version_edit.h"
#include "lsm/comparator.h"
#include "lsm/filter_policy.h"
#include "lsm/write_batch.h"
#include "memtable/internal_key.h"
#include "memtable/write_batch_internal.h"
#include "sstable/block_builder.h"
#include "sstable/format.h"
#include "sstable/table_builder.h"
#include "tests/fuzz/fuzz_util.h"
#include "wal/writer.h"

namespace kvs::fuzz {
namespace {

std::filesystem::path g_out;

void Write(const std::string& target, int n, std::string_view contents) {
  std::filesystem::path dir = g_out / target;
  std::filesystem::create_directories(dir);
  char name[32];
  std::snprintf(name, sizeof(name), "seed-%02d", n);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
}

std::string Byte(int b) { return std::string(1, static_cast<char>(b)); }

std::string Log(const std::vector<std::string>& records) {
  StringSink sink;
  wal::Writer writer(&sink, 0);
  for (const std::string& r : records) {
    if (!writer.AddRecord(r).ok()) std::abort();
  }
  return sink.contents;
}

void WalSeeds() {
  Write("wal_reader", 0, Byte(1));
  std::string small = Log({"first", "", "third record", std::string(300, 'x')});
  Write("wal_reader", 1, Byte(1) + small);
  Write("wal_reader", 2, Byte(0) + small);
  // A record that crosses a block boundary (FIRST/MIDDLE/LAST fragments),
  // then a short one; torn in the middle of the last.
  std::string big = Log({std::string(32700, 'b'), "after", "torn tail"});
  Write("wal_reader", 3, Byte(0) + big.substr(0, big.size() - 3));
  WriteBatch batch;
  batch.Put("key", "value");
  batch.Delete("gone");
  WriteBatchInternal::SetSequence(&batch, 42);
  Write("wal_reader", 4,
        Byte(1) + Log({std::string(WriteBatchInternal::Contents(batch))}));
}

std::string Block(int restart_interval, const std::vector<std::string>& keys) {
  BlockBuilder builder(restart_interval);
  for (size_t i = 0; i < keys.size(); i++) {
    builder.Add(keys[i], "value" + std::to_string(i));
  }
  return std::string(builder.Finish());
}

void BlockSeeds() {
  std::vector<std::string> keys;
  for (int i = 0; i < 40; i++) keys.push_back("key" + std::to_string(100 + i));
  std::string raw = Block(4, keys);
  // flags, probe length, probe, bytes.
  Write("block", 0, Byte(0) + Byte(6) + "key120" + raw);
  Write("block", 1, Byte(8) + Byte(0) + Block(1, {"a", "b", "c"}));
  Write("block", 2, Byte(0) + Byte(0) + Block(16, {}));
  // Stored with a trailer: compressed and checksummed.
  std::string scratch;
  CompressionType used;
  std::string stored(
      CompressBlock(raw, CompressionType::kSnappy, &scratch, &used));
  char trailer[kBlockTrailerSize];
  EncodeBlockTrailer(stored, used, trailer);
  Write("block", 3,
        Byte(3) + Byte(3) + "key" + stored +
            std::string(trailer, kBlockTrailerSize));
  std::vector<std::string> ikeys;
  for (int i = 0; i < 20; i++) {
    InternalKey k("user" + std::to_string(i / 3), 100 - i, kTypeValue);
    ikeys.emplace_back(k.Encode());
  }
  Write("block", 4, Byte(4 | 8) + Byte(0) + Block(2, ikeys));
}

std::string Table(const TableOptions& options,
                  const std::vector<std::string>& keys) {
  StringSink sink;
  TableBuilder builder(options, &sink);
  for (size_t i = 0; i < keys.size(); i++) {
    if (!builder.Add(keys[i], "v" + std::to_string(i)).ok()) std::abort();
  }
  if (!builder.Finish().ok()) std::abort();
  return sink.contents;
}

void TableSeeds() {
  TableOptions plain;
  plain.compression = CompressionType::kNone;
  plain.block_size = 256;
  std::vector<std::string> keys;
  for (int i = 0; i < 60; i++) keys.push_back("key" + std::to_string(1000 + i));
  Write("table", 0, Byte(1) + Byte(7) + "key1030" + Table(plain, keys));
  Write("table", 1, Byte(1 | 2) + Byte(0) + Table(plain, {}));

  InternalKeyComparator icmp(BytewiseComparator());
  TableOptions db_like;
  db_like.comparator = &icmp;
  db_like.filter_policy =
      std::make_shared<InternalFilterPolicy>(NewBloomFilterPolicy(10));
  db_like.block_size = 256;
  std::vector<std::string> ikeys;
  for (int i = 0; i < 60; i++) {
    InternalKey k("user" + std::to_string(100 + i / 2), 1000 - i,
                  i % 5 == 0 ? kTypeDeletion : kTypeValue);
    ikeys.emplace_back(k.Encode());
  }
  InternalKey probe("user110", 2000, kTypeValue);
  Write("table", 2,
        Byte(1 | 2 | 4 | 8 | 16) + Byte(probe.Encode().size()) +
            std::string(probe.Encode()) + Table(db_like, ikeys));
  Write("table", 3, Byte(1 | 4) + Byte(0) + Table(db_like, ikeys));
}

void VersionEditSeeds() {
  FileMetaData f;
  f.number = 3;
  f.file_size = 1000;
  f.smallest = std::string(InternalKey("a", 1, kTypeValue).Encode());
  f.largest = std::string(InternalKey("j", 10, kTypeValue).Encode());

  VersionEdit full;
  full.SetComparatorName(BytewiseComparator()->Name());
  full.SetLogNumber(7);
  full.SetNextFileNumber(12);
  full.SetLastSequence(40);
  full.SetCompactPointer(1, InternalKey("m", 5, kTypeValue).Encode());
  full.RemoveFile(0, 3);
  f.number = 9;
  full.AddFile(1, f);
  std::string e;
  full.EncodeTo(&e);
  Write("version_edit", 0, Byte(0) + e);

  // Edits that open against the fuzzer's database (one table, number 3).
  VersionEdit log_only;
  log_only.SetLogNumber(5);
  log_only.SetLastSequence(20);
  e.clear();
  log_only.EncodeTo(&e);
  Write("version_edit", 1, Byte(1) + e);
  Write("version_edit", 2, Byte(3) + e);

  VersionEdit move;
  move.RemoveFile(0, 3);
  f.number = 3;
  move.AddFile(2, f);
  e.clear();
  move.EncodeTo(&e);
  Write("version_edit", 3, Byte(1) + e);

  VersionEdit drop;
  drop.RemoveFile(0, 3);
  drop.SetNextFileNumber(4);
  e.clear();
  drop.EncodeTo(&e);
  Write("version_edit", 4, Byte(1) + e);
}

void WriteBatchSeeds() {
  WriteBatch empty;
  Write("write_batch", 0, WriteBatchInternal::Contents(empty));
  WriteBatch batch;
  batch.Put("key", "value");
  batch.Delete("key");
  batch.Put("", "");
  batch.Put("other", std::string(200, 'v'));
  batch.Delete("missing");
  WriteBatchInternal::SetSequence(&batch, 1000);
  Write("write_batch", 1, WriteBatchInternal::Contents(batch));
  WriteBatchInternal::SetSequence(&batch, kMaxSequenceNumber - 4);
  Write("write_batch", 2, WriteBatchInternal::Contents(batch));
}

// Programs for db_ops_fuzzer (opcodes as in its Run).
void DbOpsSeeds() {
  auto bytes = [](std::initializer_list<int> list) {
    std::string s;
    for (int b : list) s.push_back(static_cast<char>(b));
    return s;
  };
  // Puts, a delete, a batch, gets and scans, a flush and a reopen.
  Write("db_ops", 0, bytes({0,  0, 1, 10, 0,  2,  20, 0, 3,  200, 1, 2, 2, 3,
                            1,  4, 5, 0,  6,  20, 3,  1, 3,  2,   4, 9, 3, 1,
                            10, 4, 5, 2,  85, 12, 3,  3, 40, 11,  0, 0, 0, 4}));
  // Fills that flush and compact, snapshots read across them.
  Write("db_ops", 1,
        bytes({13, 100, 1,  6, 13, 100, 1,   7, 0, 5, 8,  0, 13, 127,
               50, 9,   11, 3, 2,  90,  7,   0, 3, 1, 5,  7, 4,  11,
               0,  0,   0,  4, 12, 1,   100, 0, 8, 0, 10, 4}));
  // Large values, the empty key and long keys.
  Write("db_ops", 2,
        bytes({33, 0, 0, 250, 0, 255, 255, 0, 250, 130, 3, 0,   3, 250, 9, 4,
               1,  0, 5, 0,   3, 2,   2,   1, 251, 140, 0, 252, 4, 10,  4}));
}

}  // namespace
}  // namespace kvs::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  kvs::fuzz::g_out = argv[1];
  kvs::fuzz::WalSeeds();
  kvs::fuzz::BlockSeeds();
  kvs::fuzz::TableSeeds();
  kvs::fuzz::VersionEditSeeds();
  kvs::fuzz::WriteBatchSeeds();
  kvs::fuzz::DbOpsSeeds();
  return 0;
}
