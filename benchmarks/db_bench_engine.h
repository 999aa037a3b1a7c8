#ifndef KVS_BENCHMARKS_DB_BENCH_ENGINE_H_
#define KVS_BENCHMARKS_DB_BENCH_ENGINE_H_

// The storage engines db_bench can drive (kvs, LevelDB, RocksDB) behind one
// small interface, so every workload runs the same code against each of them.
// The engine-specific files translate EngineOptions into each engine's own
// options; the table of how every setting maps is in db_bench_rocksdb.cc,
// next to the most involved translation.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kvs::bench {

// Settings shared by every engine. Zero or negative bloom_bits means no
// filter.
struct EngineOptions {
  size_t write_buffer_size = 4 << 20;
  size_t cache_size = 8 << 20;
  size_t block_size = 4096;
  int bloom_bits = 10;
  bool compression = true;  // Snappy.
  int max_open_files = 1000;
  size_t max_file_size = 2 << 20;
  // kvs only: CompactionPriority::kRoundRobin instead of kMinOverlappingRatio.
  bool kvs_round_robin = false;
};

// A group of updates applied atomically by Engine::Write. Not thread-safe.
class Batch {
 public:
  virtual ~Batch() = default;
  virtual void Put(std::string_view key, std::string_view value) = 0;
  virtual void Delete(std::string_view key) = 0;
  virtual void Clear() = 0;
};

// A cursor over the whole key space. Used by one thread at a time; key() and
// value() are valid until the next move.
class Cursor {
 public:
  virtual ~Cursor() = default;
  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  virtual void Seek(std::string_view target) = 0;
  virtual void Next() = 0;
  virtual void Prev() = 0;
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual absl::Status status() const = 0;
};

// An open database. Every method may be called from several threads at once
// (all three engines are internally synchronised). Errors from the engines are
// turned into absl::Status: NotFound stays NotFound, everything else becomes
// Internal with the engine's message.
class Engine {
 public:
  virtual ~Engine() = default;

  virtual absl::Status Put(std::string_view key, std::string_view value,
                           bool sync) = 0;
  virtual absl::Status Delete(std::string_view key, bool sync) = 0;
  virtual std::unique_ptr<Batch> NewBatch() = 0;
  // REQUIRES: batch came from this engine's NewBatch.
  virtual absl::Status Write(Batch* batch, bool sync) = 0;
  // Fills *value and returns OK, or returns NotFound or an error.
  virtual absl::Status Get(std::string_view key, std::string* value) = 0;
  virtual std::unique_ptr<Cursor> NewCursor() = 0;
  // Compacts the whole key space and waits. Unimplemented (which db_bench
  // reports as a skipped workload) where an engine cannot.
  virtual absl::Status CompactAll() = 0;
  // The engine's multi-line statistics, or an empty string.
  virtual std::string Stats() = 0;
};

enum class EngineKind { kKvs, kLevelDb, kRocksDb };

// "kvs", "leveldb" or "rocksdb" (the --engine flag values).
absl::StatusOr<EngineKind> ParseEngineKind(std::string_view name);
const char* EngineName(EngineKind kind);
// Name and version, e.g. "RocksDB 7.8.3".
std::string EngineDescription(EngineKind kind);

// Opens (creating if missing) the database in path.
absl::StatusOr<std::unique_ptr<Engine>> OpenEngine(EngineKind kind,
                                                   const EngineOptions& options,
                                                   const std::string& path);
// Removes the database in path (nothing if absent). The engine must be closed.
absl::Status DestroyEngine(EngineKind kind, const std::string& path);

// Per-engine factories behind OpenEngine/DestroyEngine (one file each).
absl::StatusOr<std::unique_ptr<Engine>> OpenKvs(const EngineOptions& options,
                                                const std::string& path);
absl::Status DestroyKvs(const std::string& path);
absl::StatusOr<std::unique_ptr<Engine>> OpenLevelDb(
    const EngineOptions& options, const std::string& path);
absl::Status DestroyLevelDb(const std::string& path);
std::string LevelDbVersion();
absl::StatusOr<std::unique_ptr<Engine>> OpenRocksDb(
    const EngineOptions& options, const std::string& path);
absl::Status DestroyRocksDb(const std::string& path);
std::string RocksDbVersion();

}  // namespace kvs::bench

#endif  // KVS_BENCHMARKS_DB_BENCH_ENGINE_H_
