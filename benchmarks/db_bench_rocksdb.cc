// db_bench's RocksDB engine (Debian's librocksdb, 7.8), configured to behave
// as much like LevelDB and kvs as its options allow.
//
// How each db_bench setting reaches the three engines:
//
// | setting            | kvs::Options            | leveldb::Options          |
// rocksdb (Options / BlockBasedTableOptions)          |
// |--------------------|-------------------------|---------------------------|-----------------------------------------------------|
// | --write_buffer_size| write_buffer_size       | write_buffer_size         |
// write_buffer_size; max_write_buffer_number = 2      | |                    |
// (1 active + 1 flushing) | (1 active + 1 immutable)  | (the same pair of
// memtables)                        | | --cache_size       | block_cache_size
// (LRU)  | block_cache=NewLRUCache   | table.block_cache = NewLRUCache | |
// --block_size       | block_size              | block_size                |
// table.block_size                                    | | --bloom_bits       |
// bloom_bits_per_key      | NewBloomFilterPolicy(n)   | table.filter_policy =
// NewBloomFilterPolicy(n,false)| |                    | | | (full-file filter;
// index and filter blocks stay out | |                    | | | of the block
// cache, as in LevelDB)                  | | compression        | kSnappy |
// kSnappyCompression        | compression = kSnappyCompression at every level |
// | max open files     | max_open_files = 1000   | max_open_files = 1000     |
// max_open_files = 1000                               | | table file size    |
// max_file_size = 2 MiB   | max_file_size = 2 MiB     | target_file_size_base =
// 2 MiB, multiplier 1         | | level sizes        | 10 MiB base, x10 | 10
// MiB base, x10 (fixed)  | max_bytes_for_level_base = 10 MiB, multiplier 10, |
// |                    |                         |                           |
// level_compaction_dynamic_level_bytes = false        | | compaction style   |
// leveled                 | leveled                   | kCompactionStyleLevel,
// num_levels = 7               | | level-0 triggers   | 4 / 8 slowdown / 12
// stop| 4 / 8 / 12 (compiled in)  |
// level0_{file_num_compaction,slowdown_writes,        | |                    |
// |                           | stop_writes}_trigger = 4 / 8 / 12 | |
// background threads | 1 flush + 1 compaction  | 1 thread for both         |
// max_background_jobs = 2; Env HIGH pool 1, LOW 1     | | block checksums    |
// CRC32C                  | CRC32C                    | table.checksum =
// kCRC32c (7.8 defaults to XXH3)     | | read verification  |
// verify_checksums=false  | verify_checksums = false  |
// ReadOptions.verify_checksums = false (default true) | | paranoid checks    |
// false                   | false                     | paranoid_checks = false
// (default true)              |
//
// Left at RocksDB's defaults, and so different: write stalls (RocksDB slows
// writers to a rate, LevelDB sleeps 1 ms per write), the memtable's concurrent
// inserts, and the block cache's shard count.

#include "rocksdb/db.h"

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "benchmarks/db_bench_engine.h"
#include "rocksdb/cache.h"
#include "rocksdb/env.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/iterator.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/version.h"
#include "rocksdb/write_batch.h"

namespace kvs::bench {
namespace {

rocksdb::Slice ToSlice(std::string_view s) {
  return rocksdb::Slice(s.data(), s.size());
}
std::string_view ToView(const rocksdb::Slice& s) {
  return std::string_view(s.data(), s.size());
}

absl::Status FromRocksDb(const rocksdb::Status& s) {
  if (s.ok()) return absl::OkStatus();
  if (s.IsNotFound()) return absl::NotFoundError(s.ToString());
  return absl::InternalError(s.ToString());
}

rocksdb::ReadOptions BenchReadOptions() {
  rocksdb::ReadOptions options;
  options.verify_checksums = false;
  return options;
}

class RocksDbBatch : public Batch {
 public:
  void Put(std::string_view key, std::string_view value) override {
    batch_.Put(ToSlice(key), ToSlice(value));
  }
  void Delete(std::string_view key) override { batch_.Delete(ToSlice(key)); }
  void Clear() override { batch_.Clear(); }
  rocksdb::WriteBatch* rep() { return &batch_; }

 private:
  rocksdb::WriteBatch batch_;
};

class RocksDbCursor : public Cursor {
 public:
  explicit RocksDbCursor(rocksdb::Iterator* it) : it_(it) {}
  bool Valid() const override { return it_->Valid(); }
  void SeekToFirst() override { it_->SeekToFirst(); }
  void SeekToLast() override { it_->SeekToLast(); }
  void Seek(std::string_view target) override { it_->Seek(ToSlice(target)); }
  void Next() override { it_->Next(); }
  void Prev() override { it_->Prev(); }
  std::string_view key() const override { return ToView(it_->key()); }
  std::string_view value() const override { return ToView(it_->value()); }
  absl::Status status() const override { return FromRocksDb(it_->status()); }

 private:
  std::unique_ptr<rocksdb::Iterator> it_;
};

class RocksDbEngine : public Engine {
 public:
  explicit RocksDbEngine(rocksdb::DB* db) : db_(db) {}

  absl::Status Put(std::string_view key, std::string_view value,
                   bool sync) override {
    rocksdb::WriteOptions options;
    options.sync = sync;
    return FromRocksDb(db_->Put(options, ToSlice(key), ToSlice(value)));
  }
  absl::Status Delete(std::string_view key, bool sync) override {
    rocksdb::WriteOptions options;
    options.sync = sync;
    return FromRocksDb(db_->Delete(options, ToSlice(key)));
  }
  std::unique_ptr<Batch> NewBatch() override {
    return std::make_unique<RocksDbBatch>();
  }
  absl::Status Write(Batch* batch, bool sync) override {
    rocksdb::WriteOptions options;
    options.sync = sync;
    return FromRocksDb(
        db_->Write(options, static_cast<RocksDbBatch*>(batch)->rep()));
  }
  absl::Status Get(std::string_view key, std::string* value) override {
    return FromRocksDb(db_->Get(BenchReadOptions(), ToSlice(key), value));
  }
  std::unique_ptr<Cursor> NewCursor() override {
    return std::make_unique<RocksDbCursor>(
        db_->NewIterator(BenchReadOptions()));
  }
  absl::Status CompactAll() override {
    return FromRocksDb(
        db_->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr));
  }
  std::string Stats() override {
    std::string stats;
    if (!db_->GetProperty("rocksdb.stats", &stats)) return "";
    return stats;
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
};

rocksdb::Options ToRocksDbOptions(const EngineOptions& options) {
  rocksdb::Options r;
  r.create_if_missing = true;
  r.paranoid_checks = false;
  r.write_buffer_size = options.write_buffer_size;
  r.max_write_buffer_number = 2;
  r.compression = options.compression ? rocksdb::kSnappyCompression
                                      : rocksdb::kNoCompression;
  r.max_open_files = options.max_open_files;
  r.compaction_style = rocksdb::kCompactionStyleLevel;
  r.num_levels = 7;
  r.target_file_size_base = options.max_file_size;
  r.target_file_size_multiplier = 1;
  r.max_bytes_for_level_base = 10 << 20;
  r.max_bytes_for_level_multiplier = 10;
  r.level_compaction_dynamic_level_bytes = false;
  r.level0_file_num_compaction_trigger = 4;
  r.level0_slowdown_writes_trigger = 8;
  r.level0_stop_writes_trigger = 12;
  r.max_background_jobs = 2;
  r.env->SetBackgroundThreads(1, rocksdb::Env::Priority::HIGH);
  r.env->SetBackgroundThreads(1, rocksdb::Env::Priority::LOW);

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.cache_size);
  table.block_size = options.block_size;
  if (options.bloom_bits > 0) {
    table.filter_policy.reset(
        rocksdb::NewBloomFilterPolicy(options.bloom_bits, false));
  }
  table.cache_index_and_filter_blocks = false;
  table.checksum = rocksdb::kCRC32c;
  r.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return r;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Engine>> OpenRocksDb(
    const EngineOptions& options, const std::string& path) {
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(ToRocksDbOptions(options), path, &db);
  if (!s.ok()) return FromRocksDb(s);
  return std::unique_ptr<Engine>(new RocksDbEngine(db));
}

absl::Status DestroyRocksDb(const std::string& path) {
  return FromRocksDb(rocksdb::DestroyDB(path, rocksdb::Options()));
}

std::string RocksDbVersion() {
  return absl::StrCat("RocksDB ", ROCKSDB_MAJOR, ".", ROCKSDB_MINOR, ".",
                      ROCKSDB_PATCH);
}

}  // namespace kvs::bench
