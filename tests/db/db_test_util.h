#ifndef KVS_TESTS_DB_DB_TEST_UTIL_H_
#define KVS_TESTS_DB_DB_TEST_UTIL_H_

// A fixture for database tests: a DB on a FaultInjectionFileSystem over the
// in-memory file system (so every test can also simulate a power loss), small
// memtables so that flushes happen after a few dozen KiB, and helpers that turn
// reads into strings that compare well in assertions.

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "lsm/db.h"
#include "lsm/file_system.h"
#include "lsm/iterator.h"
#include "lsm/options.h"
#include "util/fault_injection_file_system.h"
#include "util/mem_file_system.h"
#include "util/random.h"

#define DB_ASSERT_OK(expr)                      \
  do {                                          \
    const absl::Status db_status_ = (expr);     \
    ASSERT_TRUE(db_status_.ok()) << db_status_; \
  } while (0)
#define DB_EXPECT_OK(expr)                      \
  do {                                          \
    const absl::Status db_status_ = (expr);     \
    EXPECT_TRUE(db_status_.ok()) << db_status_; \
  } while (0)

namespace kvs::db_testing {

// Sanitizers make everything 5-20x slower; randomized tests scale their
// iteration counts by this so they stay well under a minute.
#if defined(KVS_TSAN) || defined(KVS_ASAN)
inline constexpr int kScale = 4;
#else
inline constexpr int kScale = 1;
#endif

// "key000042": fixed width, so the numeric and the byte order agree.
inline std::string Key(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%06llu",
                static_cast<unsigned long long>(i));
  return buf;
}

// A value that names its key and a version, padded to about size bytes.
inline std::string Value(uint64_t key, uint64_t version, size_t size = 100) {
  std::string v = Key(key) + "@" + std::to_string(version) + ":";
  while (v.size() < size) v.push_back(static_cast<char>('a' + v.size() % 26));
  return v;
}

using Model = std::map<std::string, std::string>;

// Everything an iterator yields going forward, as a map. Records a failure if
// keys are not strictly increasing or the iterator ends with an error.
inline Model ScanForward(Iterator* it) {
  Model out;
  std::string last;
  bool first = true;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string key(it->key());
    EXPECT_TRUE(first || last < key)
        << "keys out of order: " << last << " then " << key;
    first = false;
    last = key;
    out[key] = std::string(it->value());
  }
  EXPECT_TRUE(it->status().ok()) << it->status();
  return out;
}

// The same going backward.
inline Model ScanBackward(Iterator* it) {
  Model out;
  std::string last;
  bool first = true;
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    std::string key(it->key());
    EXPECT_TRUE(first || key < last)
        << "keys out of order going back: " << last << " then " << key;
    first = false;
    last = key;
    out[key] = std::string(it->value());
  }
  EXPECT_TRUE(it->status().ok()) << it->status();
  return out;
}

// Members are public so that helper functions of the tests can use them.
class DBTest : public ::testing::Test {
 public:
  static constexpr char kDBName[] = "/db";

  DBTest()
      : base_(NewMemFileSystem()),
        fs_(std::make_unique<FaultInjectionFileSystem>(base_.get())) {}

  ~DBTest() override {
    // The DB's files and background work belong to the file systems.
    db_.reset();
    fs_.reset();
    base_.reset();
  }

  // Defaults for these tests: created on demand, 64 KiB memtables (the
  // smallest allowed) so a few hundred writes reach level 0.
  Options DefaultOptions() {
    Options options;
    options.create_if_missing = true;
    options.file_system = fs_.get();
    options.write_buffer_size = 64 << 10;
    return options;
  }

  absl::Status TryOpen(const Options& options) {
    db_.reset();
    absl::StatusOr<std::unique_ptr<DB>> db = DB::Open(options, kDBName);
    if (!db.ok()) return db.status();
    db_ = std::move(*db);
    return absl::OkStatus();
  }
  absl::Status TryOpen() { return TryOpen(DefaultOptions()); }

  void Open(const Options& options) { DB_ASSERT_OK(TryOpen(options)); }
  void Open() { Open(DefaultOptions()); }
  void Reopen() { Open(); }
  void Close() { db_.reset(); }

  // Simulates a power loss: the machine dies (no further writes reach the
  // disk), the process goes away (the DB is closed, its last writes failing),
  // and whatever was not synced is lost. The file system is usable again
  // afterwards.
  void PowerLoss() {
    fs_->SetFilesystemActive(false);
    db_.reset();
    fs_->SetFilesystemActive(true);
    fs_->ClearErrors();
    DB_ASSERT_OK(fs_->DropUnsyncedData());
  }

  absl::Status Put(std::string_view key, std::string_view value,
                   bool sync = false) {
    WriteOptions options;
    options.sync = sync;
    return db_->Put(options, key, value);
  }
  absl::Status Delete(std::string_view key, bool sync = false) {
    WriteOptions options;
    options.sync = sync;
    return db_->Delete(options, key);
  }

  // The value, "NOT_FOUND", or "ERROR: <status>".
  std::string Get(std::string_view key, const Snapshot* snapshot = nullptr) {
    ReadOptions options;
    options.snapshot = snapshot;
    absl::StatusOr<std::string> value = db_->Get(options, key);
    if (value.ok()) return *value;
    if (absl::IsNotFound(value.status())) return "NOT_FOUND";
    return "ERROR: " + value.status().ToString();
  }

  // The whole database read forward, checked against the backward read.
  Model Contents(const Snapshot* snapshot = nullptr) {
    ReadOptions options;
    options.snapshot = snapshot;
    std::unique_ptr<Iterator> it = db_->NewIterator(options);
    Model forward = ScanForward(it.get());
    Model backward = ScanBackward(it.get());
    EXPECT_EQ(forward.size(), backward.size());
    EXPECT_TRUE(forward == backward) << "forward and backward scans differ";
    return forward;
  }

  std::string Property(std::string_view name) {
    std::string value;
    EXPECT_TRUE(db_->GetProperty(name, &value)) << name;
    return value;
  }
  int NumLevel0Files() {
    return std::stoi(Property("kvs.num-files-at-level0"));
  }

  // Tables at every level.
  int NumTableFiles() {
    int n = 0;
    std::string value;
    for (int level = 0; db_->GetProperty(
             "kvs.num-files-at-level" + std::to_string(level), &value);
         level++) {
      n += std::stoi(value);
    }
    return n;
  }

  // Options under which level 0 is never compacted, so that data stays spread
  // over many overlapping level-0 files.
  Options NoCompactionOptions() {
    Options options = DefaultOptions();
    options.level0_file_num_compaction_trigger = 1000;
    options.level0_slowdown_writes_trigger = 1000;
    options.level0_stop_writes_trigger = 1000;
    return options;
  }

  std::vector<std::string> Files() {
    absl::StatusOr<std::vector<std::string>> children =
        fs_->GetChildren(kDBName);
    EXPECT_TRUE(children.ok()) << children.status();
    return children.ok() ? *children : std::vector<std::string>();
  }
  // Number of files whose name ends with suffix (".log", ".sst", ...).
  int CountFiles(std::string_view suffix) {
    int n = 0;
    for (const std::string& name : Files()) {
      if (std::string_view(name).ends_with(suffix)) n++;
    }
    return n;
  }

  std::string ReadFile(const std::string& path) {
    absl::StatusOr<std::unique_ptr<SequentialFile>> file =
        base_->NewSequentialFile(path);
    if (!file.ok()) return "<" + file.status().ToString() + ">";
    std::string out;
    std::string scratch(4096, '\0');
    while (true) {
      std::string_view piece;
      absl::Status s = (*file)->Read(scratch.size(), &piece, scratch.data());
      if (!s.ok()) return "<" + s.ToString() + ">";
      if (piece.empty()) return out;
      out.append(piece);
    }
  }

  std::unique_ptr<FileSystem> base_;
  std::unique_ptr<FaultInjectionFileSystem> fs_;
  std::unique_ptr<DB> db_;
};

}  // namespace kvs::db_testing

#endif  // KVS_TESTS_DB_DB_TEST_UTIL_H_
