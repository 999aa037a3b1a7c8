// db_bench's LevelDB engine (Debian's libleveldb, 1.23). The option mapping is
// documented in db_bench_rocksdb.cc.

#include "leveldb/db.h"

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "benchmarks/db_bench_engine.h"
#include "leveldb/cache.h"
#include "leveldb/filter_policy.h"
#include "leveldb/iterator.h"
#include "leveldb/options.h"
#include "leveldb/write_batch.h"

namespace kvs::bench {
namespace {

leveldb::Slice ToSlice(std::string_view s) {
  return leveldb::Slice(s.data(), s.size());
}
std::string_view ToView(const leveldb::Slice& s) {
  return std::string_view(s.data(), s.size());
}

absl::Status FromLevelDb(const leveldb::Status& s) {
  if (s.ok()) return absl::OkStatus();
  if (s.IsNotFound()) return absl::NotFoundError(s.ToString());
  return absl::InternalError(s.ToString());
}

class LevelDbBatch : public Batch {
 public:
  void Put(std::string_view key, std::string_view value) override {
    batch_.Put(ToSlice(key), ToSlice(value));
  }
  void Delete(std::string_view key) override { batch_.Delete(ToSlice(key)); }
  void Clear() override { batch_.Clear(); }
  leveldb::WriteBatch* rep() { return &batch_; }

 private:
  leveldb::WriteBatch batch_;
};

class LevelDbCursor : public Cursor {
 public:
  explicit LevelDbCursor(leveldb::Iterator* it) : it_(it) {}
  bool Valid() const override { return it_->Valid(); }
  void SeekToFirst() override { it_->SeekToFirst(); }
  void SeekToLast() override { it_->SeekToLast(); }
  void Seek(std::string_view target) override { it_->Seek(ToSlice(target)); }
  void Next() override { it_->Next(); }
  void Prev() override { it_->Prev(); }
  std::string_view key() const override { return ToView(it_->key()); }
  std::string_view value() const override { return ToView(it_->value()); }
  absl::Status status() const override { return FromLevelDb(it_->status()); }

 private:
  std::unique_ptr<leveldb::Iterator> it_;
};

class LevelDbEngine : public Engine {
 public:
  LevelDbEngine(std::unique_ptr<leveldb::Cache> cache,
                std::unique_ptr<const leveldb::FilterPolicy> filter,
                leveldb::DB* db)
      : cache_(std::move(cache)), filter_(std::move(filter)), db_(db) {}
  // The database goes first: it uses the cache and the filter policy.
  ~LevelDbEngine() override { db_.reset(); }

  absl::Status Put(std::string_view key, std::string_view value,
                   bool sync) override {
    leveldb::WriteOptions options;
    options.sync = sync;
    return FromLevelDb(db_->Put(options, ToSlice(key), ToSlice(value)));
  }
  absl::Status Delete(std::string_view key, bool sync) override {
    leveldb::WriteOptions options;
    options.sync = sync;
    return FromLevelDb(db_->Delete(options, ToSlice(key)));
  }
  std::unique_ptr<Batch> NewBatch() override {
    return std::make_unique<LevelDbBatch>();
  }
  absl::Status Write(Batch* batch, bool sync) override {
    leveldb::WriteOptions options;
    options.sync = sync;
    return FromLevelDb(
        db_->Write(options, static_cast<LevelDbBatch*>(batch)->rep()));
  }
  absl::Status Get(std::string_view key, std::string* value) override {
    return FromLevelDb(db_->Get(leveldb::ReadOptions(), ToSlice(key), value));
  }
  std::unique_ptr<Cursor> NewCursor() override {
    return std::make_unique<LevelDbCursor>(
        db_->NewIterator(leveldb::ReadOptions()));
  }
  absl::Status CompactAll() override {
    db_->CompactRange(nullptr, nullptr);
    return absl::OkStatus();
  }
  std::string Stats() override {
    std::string stats;
    if (!db_->GetProperty("leveldb.stats", &stats)) return "";
    return stats;
  }

 private:
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  std::unique_ptr<leveldb::DB> db_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Engine>> OpenLevelDb(
    const EngineOptions& options, const std::string& path) {
  std::unique_ptr<leveldb::Cache> cache(
      leveldb::NewLRUCache(options.cache_size));
  std::unique_ptr<const leveldb::FilterPolicy> filter;
  if (options.bloom_bits > 0) {
    filter.reset(leveldb::NewBloomFilterPolicy(options.bloom_bits));
  }
  leveldb::Options ldb_options;
  ldb_options.create_if_missing = true;
  ldb_options.write_buffer_size = options.write_buffer_size;
  ldb_options.block_cache = cache.get();
  ldb_options.block_size = options.block_size;
  ldb_options.filter_policy = filter.get();
  ldb_options.compression = options.compression ? leveldb::kSnappyCompression
                                                : leveldb::kNoCompression;
  ldb_options.max_open_files = options.max_open_files;
  ldb_options.max_file_size = options.max_file_size;
  leveldb::DB* db = nullptr;
  leveldb::Status s = leveldb::DB::Open(ldb_options, path, &db);
  if (!s.ok()) return FromLevelDb(s);
  return std::unique_ptr<Engine>(
      new LevelDbEngine(std::move(cache), std::move(filter), db));
}

absl::Status DestroyLevelDb(const std::string& path) {
  return FromLevelDb(leveldb::DestroyDB(path, leveldb::Options()));
}

std::string LevelDbVersion() {
  return absl::StrCat("LevelDB ", leveldb::kMajorVersion, ".",
                      leveldb::kMinorVersion);
}

}  // namespace kvs::bench
