#include "benchmarks/db_bench_engine.h"

#include <memory>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"

namespace kvs::bench {

absl::StatusOr<EngineKind> ParseEngineKind(std::string_view name) {
  if (name == "kvs") return EngineKind::kKvs;
  if (name == "leveldb") return EngineKind::kLevelDb;
  if (name == "rocksdb") return EngineKind::kRocksDb;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown engine '", std::string(name),
                   "' (expected kvs, leveldb or rocksdb)"));
}

const char* EngineName(EngineKind kind) {
  switch (kind) {
    case EngineKind::kKvs:
      return "kvs";
    case EngineKind::kLevelDb:
      return "leveldb";
    case EngineKind::kRocksDb:
      return "rocksdb";
  }
  return "?";
}

std::string EngineDescription(EngineKind kind) {
  switch (kind) {
    case EngineKind::kKvs:
      return "kvs (this tree)";
    case EngineKind::kLevelDb:
      return LevelDbVersion();
    case EngineKind::kRocksDb:
      return RocksDbVersion();
  }
  return "?";
}

absl::StatusOr<std::unique_ptr<Engine>> OpenEngine(EngineKind kind,
                                                   const EngineOptions& options,
                                                   const std::string& path) {
  switch (kind) {
    case EngineKind::kKvs:
      return OpenKvs(options, path);
    case EngineKind::kLevelDb:
      return OpenLevelDb(options, path);
    case EngineKind::kRocksDb:
      return OpenRocksDb(options, path);
  }
  return absl::InvalidArgumentError("unknown engine");
}

absl::Status DestroyEngine(EngineKind kind, const std::string& path) {
  switch (kind) {
    case EngineKind::kKvs:
      return DestroyKvs(path);
    case EngineKind::kLevelDb:
      return DestroyLevelDb(path);
    case EngineKind::kRocksDb:
      return DestroyRocksDb(path);
  }
  return absl::InvalidArgumentError("unknown engine");
}

}  // namespace kvs::bench
