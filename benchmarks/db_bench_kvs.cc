// db_bench's kvs engine: a thin pass-through to kvs::DB. The option mapping is
// documented in db_bench_rocksdb.cc.

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "benchmarks/db_bench_engine.h"
#include "lsm/db.h"
#include "lsm/options.h"
#include "lsm/write_batch.h"

namespace kvs::bench {
namespace {

class KvsBatch : public Batch {
 public:
  void Put(std::string_view key, std::string_view value) override {
    batch_.Put(key, value);
  }
  void Delete(std::string_view key) override { batch_.Delete(key); }
  void Clear() override { batch_.Clear(); }
  WriteBatch* rep() { return &batch_; }

 private:
  WriteBatch batch_;
};

class KvsCursor : public Cursor {
 public:
  explicit KvsCursor(std::unique_ptr<Iterator> it) : it_(std::move(it)) {}
  bool Valid() const override { return it_->Valid(); }
  void SeekToFirst() override { it_->SeekToFirst(); }
  void SeekToLast() override { it_->SeekToLast(); }
  void Seek(std::string_view target) override { it_->Seek(target); }
  void Next() override { it_->Next(); }
  void Prev() override { it_->Prev(); }
  std::string_view key() const override { return it_->key(); }
  std::string_view value() const override { return it_->value(); }
  absl::Status status() const override { return it_->status(); }

 private:
  std::unique_ptr<Iterator> it_;
};

class KvsEngine : public Engine {
 public:
  explicit KvsEngine(std::unique_ptr<DB> db) : db_(std::move(db)) {}

  absl::Status Put(std::string_view key, std::string_view value,
                   bool sync) override {
    WriteOptions options;
    options.sync = sync;
    return db_->Put(options, key, value);
  }
  absl::Status Delete(std::string_view key, bool sync) override {
    WriteOptions options;
    options.sync = sync;
    return db_->Delete(options, key);
  }
  std::unique_ptr<Batch> NewBatch() override {
    return std::make_unique<KvsBatch>();
  }
  absl::Status Write(Batch* batch, bool sync) override {
    WriteOptions options;
    options.sync = sync;
    return db_->Write(options, static_cast<KvsBatch*>(batch)->rep());
  }
  absl::Status Get(std::string_view key, std::string* value) override {
    absl::StatusOr<std::string> result = db_->Get(ReadOptions(), key);
    if (!result.ok()) return result.status();
    *value = *std::move(result);
    return absl::OkStatus();
  }
  std::unique_ptr<Cursor> NewCursor() override {
    return std::make_unique<KvsCursor>(db_->NewIterator(ReadOptions()));
  }
  absl::Status CompactAll() override {
    return db_->CompactRange(nullptr, nullptr);
  }
  std::string Stats() override {
    std::string stats;
    if (!db_->GetProperty("kvs.stats", &stats)) return "";
    return stats;
  }

 private:
  std::unique_ptr<DB> db_;
};

Options ToKvsOptions(const EngineOptions& options) {
  Options kvs_options;
  kvs_options.create_if_missing = true;
  kvs_options.write_buffer_size = options.write_buffer_size;
  kvs_options.block_cache_size = options.cache_size;
  kvs_options.block_size = options.block_size;
  kvs_options.bloom_bits_per_key =
      options.bloom_bits > 0 ? options.bloom_bits : 0;
  kvs_options.compression =
      options.compression ? CompressionType::kSnappy : CompressionType::kNone;
  kvs_options.max_open_files = options.max_open_files;
  kvs_options.max_file_size = options.max_file_size;
  if (options.kvs_round_robin) {
    kvs_options.compaction_priority = CompactionPriority::kRoundRobin;
  }
  return kvs_options;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Engine>> OpenKvs(const EngineOptions& options,
                                                const std::string& path) {
  absl::StatusOr<std::unique_ptr<DB>> db =
      DB::Open(ToKvsOptions(options), path);
  if (!db.ok()) return db.status();
  return std::unique_ptr<Engine>(new KvsEngine(*std::move(db)));
}

absl::Status DestroyKvs(const std::string& path) {
  return DestroyDB(path, Options());
}

}  // namespace kvs::bench
