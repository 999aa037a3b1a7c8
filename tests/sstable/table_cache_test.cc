#include "sstable/table_cache.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "lsm/file_system.h"
#include "lsm/options.h"
#include "sstable/table_builder.h"
#include "sstable/table_options.h"
#include "util/mutex.h"
#include "util/random.h"

namespace kvs {
namespace {

// A minimal in-memory file system that counts table opens and the
// RandomAccessFiles alive, which is how many tables are open. Only what the
// table cache and builder use is implemented.
class CountingFileSystem final : public FileSystem {
 public:
  // Called at the start of every NewRandomAccessFile, before the file is looked
  // up.
  void SetOpenHook(std::function<void()> hook) { open_hook_ = std::move(hook); }

  int opens() const { return opens_.load(); }
  int live_files() const { return live_files_.load(); }
  int max_live_files() const { return max_live_files_.load(); }

  void WriteFile(const std::string& path, std::string contents) {
    MutexLock lock(&mu_);
    files_[path] = std::make_shared<const std::string>(std::move(contents));
  }

  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override {
    if (open_hook_) open_hook_();
    opens_++;
    std::shared_ptr<const std::string> data;
    {
      MutexLock lock(&mu_);
      auto it = files_.find(path);
      if (it == files_.end()) return absl::NotFoundError(path);
      data = it->second;
    }
    return std::unique_ptr<RandomAccessFile>(new File(this, std::move(data)));
  }

  absl::StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(
      const std::string&) override {
    return absl::UnimplementedError("test");
  }
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string&) override {
    return absl::UnimplementedError("test");
  }
  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string&) override {
    return absl::UnimplementedError("test");
  }
  bool FileExists(const std::string&) override { return false; }
  absl::StatusOr<std::vector<std::string>> GetChildren(
      const std::string&) override {
    return absl::UnimplementedError("test");
  }
  absl::Status RemoveFile(const std::string&) override {
    return absl::UnimplementedError("test");
  }
  absl::Status CreateDir(const std::string&) override {
    return absl::UnimplementedError("test");
  }
  absl::Status RemoveDir(const std::string&) override {
    return absl::UnimplementedError("test");
  }
  absl::StatusOr<uint64_t> GetFileSize(const std::string&) override {
    return absl::UnimplementedError("test");
  }
  absl::Status RenameFile(const std::string&, const std::string&) override {
    return absl::UnimplementedError("test");
  }
  absl::Status SyncDir(const std::string&) override {
    return absl::UnimplementedError("test");
  }
  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      const std::string&) override {
    return absl::UnimplementedError("test");
  }
  absl::Status UnlockFile(std::unique_ptr<FileLock>) override {
    return absl::UnimplementedError("test");
  }
  absl::StatusOr<std::unique_ptr<Logger>> NewLogger(
      const std::string&) override {
    return absl::UnimplementedError("test");
  }
  void Schedule(std::function<void()> work, Priority) override { work(); }
  uint64_t NowMicros() override { return 0; }
  void SleepForMicros(uint64_t micros) override {
    std::this_thread::sleep_for(std::chrono::microseconds(micros));
  }

 private:
  class File final : public RandomAccessFile {
   public:
    File(CountingFileSystem* fs, std::shared_ptr<const std::string> data)
        : fs_(fs), data_(std::move(data)) {
      int live = ++fs_->live_files_;
      int max = fs_->max_live_files_.load();
      while (live > max &&
             !fs_->max_live_files_.compare_exchange_weak(max, live)) {
      }
    }
    ~File() override { fs_->live_files_--; }

    absl::Status Read(uint64_t offset, size_t n, std::string_view* result,
                      char*) const override {
      if (offset >= data_->size()) {
        *result = {};
      } else {
        *result = std::string_view(*data_).substr(offset, n);
      }
      return absl::OkStatus();
    }

   private:
    CountingFileSystem* fs_;
    std::shared_ptr<const std::string> data_;
  };

  std::function<void()> open_hook_;
  std::atomic<int> opens_{0};
  std::atomic<int> live_files_{0};
  std::atomic<int> max_live_files_{0};
  Mutex mu_;
  std::map<std::string, std::shared_ptr<const std::string>> files_
      KVS_GUARDED_BY(mu_);
};

// Collects a table's bytes for the builder.
class StringFile final : public WritableFile {
 public:
  absl::Status Append(std::string_view data) override {
    contents.append(data);
    return absl::OkStatus();
  }
  absl::Status Flush() override { return absl::OkStatus(); }
  absl::Status Sync() override { return absl::OkStatus(); }
  absl::Status Close() override { return absl::OkStatus(); }
  std::string contents;
};

std::string TableName(uint64_t number) {
  return "/db/" + std::to_string(number) + ".sst";
}

std::string KeyOf(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "key%06d", i);
  return buf;
}

// Table n holds keys KeyOf(0..kKeys-1) with values "t<n>-<i>", so every lookup
// says which table answered.
constexpr int kKeys = 200;

std::string ValueOf(uint64_t table, int i) {
  return "t" + std::to_string(table) + "-" + std::to_string(i);
}

class TableCacheTest : public ::testing::Test {
 protected:
  TableCacheTest() { options_.block_size = 256; }

  std::string BuildTable(uint64_t number) {
    StringFile file;
    TableBuilder builder(options_, &file);
    for (int i = 0; i < kKeys; i++) {
      EXPECT_TRUE(builder.Add(KeyOf(i), ValueOf(number, i)).ok());
    }
    EXPECT_TRUE(builder.Finish().ok());
    return file.contents;
  }

  // Stores table `number` and returns its size.
  uint64_t MakeTable(uint64_t number) {
    std::string contents = BuildTable(number);
    uint64_t size = contents.size();
    fs_.WriteFile(TableName(number), std::move(contents));
    sizes_[number] = size;
    return size;
  }

  void MakeCache(size_t max_open_tables) {
    cache_ = std::make_unique<TableCache>(&fs_, &TableName, options_,
                                          max_open_tables);
  }

  // The value Get finds for key i in table n, "NOT FOUND", or the error.
  std::string Get(uint64_t n, int i) {
    std::string result = "NOT FOUND";
    std::string key = KeyOf(i);
    absl::Status s = cache_->Get(ReadOptions(), n, sizes_[n], key,
                                 [&](std::string_view k, std::string_view v) {
                                   if (k == key) result = std::string(v);
                                 });
    if (!s.ok()) return s.ToString();
    return result;
  }

  TableOptions options_;
  CountingFileSystem fs_;
  std::map<uint64_t, uint64_t> sizes_;
  std::unique_ptr<TableCache> cache_;
};

TEST_F(TableCacheTest, TablesForMaxOpenFiles) {
  EXPECT_EQ(990u, TableCache::TablesForMaxOpenFiles(1000));
  EXPECT_EQ(10u, TableCache::TablesForMaxOpenFiles(20));
  EXPECT_EQ(1u, TableCache::TablesForMaxOpenFiles(5));
}

TEST_F(TableCacheTest, GetOpensEachTableOnce) {
  for (uint64_t n = 1; n <= 5; n++) MakeTable(n);
  MakeCache(10);
  for (int round = 0; round < 3; round++) {
    for (uint64_t n = 1; n <= 5; n++) {
      EXPECT_EQ(ValueOf(n, 17), Get(n, 17));
      EXPECT_EQ(ValueOf(n, 0), Get(n, 0));
      EXPECT_EQ(ValueOf(n, kKeys - 1), Get(n, kKeys - 1));
    }
  }
  EXPECT_EQ(5, fs_.opens());
  EXPECT_EQ(5, fs_.live_files());
  EXPECT_EQ(5u, cache_->cache().GetStats().inserts);
  cache_.reset();
  EXPECT_EQ(0, fs_.live_files());
}

TEST_F(TableCacheTest, AtMostMaxOpenTablesStayOpen) {
  for (uint64_t n = 1; n <= 20; n++) MakeTable(n);
  MakeCache(4);
  Random rnd(7);
  for (int i = 0; i < 500; i++) {
    uint64_t n = 1 + rnd.Uniform(20);
    int k = static_cast<int>(rnd.Uniform(kKeys));
    ASSERT_EQ(ValueOf(n, k), Get(n, k));
    ASSERT_LE(fs_.live_files(), 4);
  }
  // An open happens before the insert that evicts, so one more file is briefly
  // open.
  EXPECT_LE(fs_.max_live_files(), 4 + 1);
  EXPECT_GT(fs_.opens(), 20);  // Evicted tables were opened again.
}

TEST_F(TableCacheTest, EvictsLeastRecentlyUsedAndReopens) {
  for (uint64_t n = 1; n <= 4; n++) MakeTable(n);
  MakeCache(3);
  Get(1, 1);
  Get(2, 1);
  Get(3, 1);
  EXPECT_EQ(3, fs_.opens());
  Get(1, 2);  // Table 2 is now the least recently used.
  Get(4, 1);
  EXPECT_EQ(4, fs_.opens());
  EXPECT_EQ(3, fs_.live_files());
  EXPECT_EQ(ValueOf(1, 3), Get(1, 3));
  EXPECT_EQ(ValueOf(3, 3), Get(3, 3));
  EXPECT_EQ(4, fs_.opens());
  EXPECT_EQ(ValueOf(2, 3), Get(2, 3));  // Reopened.
  EXPECT_EQ(5, fs_.opens());
  EXPECT_EQ(3, fs_.live_files());
}

TEST_F(TableCacheTest, EvictClosesAnUnusedTable) {
  MakeTable(1);
  MakeCache(10);
  EXPECT_EQ(ValueOf(1, 5), Get(1, 5));
  EXPECT_EQ(1, fs_.live_files());
  cache_->Evict(1);
  EXPECT_EQ(0, fs_.live_files());
  cache_->Evict(99);  // Never opened: nothing happens.
  EXPECT_EQ(ValueOf(1, 5), Get(1, 5));
  EXPECT_EQ(2, fs_.opens());
}

TEST_F(TableCacheTest, IteratorKeepsItsTableOpenAfterEvict) {
  MakeTable(1);
  MakeCache(10);
  const Table* table = nullptr;
  std::unique_ptr<Iterator> it(
      cache_->NewIterator(ReadOptions(), 1, sizes_[1], &table));
  ASSERT_NE(nullptr, table);
  EXPECT_EQ(static_cast<uint64_t>(kKeys), table->properties().num_entries);
  cache_->Evict(1);
  EXPECT_EQ(1, fs_.live_files());
  int i = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), i++) {
    ASSERT_EQ(KeyOf(i), it->key());
    ASSERT_EQ(ValueOf(1, i), it->value());
  }
  EXPECT_EQ(kKeys, i);
  EXPECT_TRUE(it->status().ok());
  // A new reader opens the file again, independently of the evicted table.
  EXPECT_EQ(ValueOf(1, 9), Get(1, 9));
  EXPECT_EQ(2, fs_.live_files());
  it.reset();
  EXPECT_EQ(1, fs_.live_files());
}

TEST_F(TableCacheTest, PinnedTablesMayExceedTheLimitUntilReleased) {
  for (uint64_t n = 1; n <= 3; n++) MakeTable(n);
  MakeCache(1);
  std::vector<std::unique_ptr<Iterator>> iters;
  for (uint64_t n = 1; n <= 3; n++) {
    iters.emplace_back(cache_->NewIterator(ReadOptions(), n, sizes_[n]));
  }
  EXPECT_EQ(3, fs_.live_files());
  for (uint64_t n = 1; n <= 3; n++) {
    Iterator* it = iters[n - 1].get();
    it->Seek(KeyOf(100));
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(ValueOf(n, 100), it->value());
  }
  iters.clear();
  EXPECT_EQ(1, fs_.live_files());
}

TEST_F(TableCacheTest, FindTablePins) {
  MakeTable(1);
  MakeTable(2);
  MakeCache(1);
  absl::StatusOr<TableCache::TableRef> ref = cache_->FindTable(1, sizes_[1]);
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(static_cast<uint64_t>(kKeys), (*ref)->properties().num_entries);
  // The pinned table fills the one slot, so table 2 is closed as soon as Get is
  // done with it.
  EXPECT_EQ(ValueOf(2, 1), Get(2, 1));
  EXPECT_EQ(1, fs_.live_files());
  EXPECT_EQ(2, fs_.max_live_files());
  EXPECT_EQ(ValueOf(1, 1), Get(1, 1));
  EXPECT_EQ(2, fs_.opens());

  TableCache::TableRef moved = *std::move(ref);
  EXPECT_GT(moved->ApproximateOffsetOf(KeyOf(kKeys - 1)), 0u);
  moved = TableCache::TableRef();
  EXPECT_EQ(nullptr, moved.get());
  // Unpinned, table 1 stays cached.
  EXPECT_EQ(1, fs_.live_files());
  EXPECT_EQ(ValueOf(1, 2), Get(1, 2));
  EXPECT_EQ(2, fs_.opens());
}

TEST_F(TableCacheTest, MissingFileIsAnError) {
  MakeCache(10);
  sizes_[42] = 1000;
  std::string result = Get(42, 1);
  EXPECT_NE(std::string::npos, result.find("NOT_FOUND")) << result;

  const Table* table = reinterpret_cast<const Table*>(1);
  std::unique_ptr<Iterator> it(
      cache_->NewIterator(ReadOptions(), 42, 1000, &table));
  EXPECT_EQ(nullptr, table);
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(absl::IsNotFound(it->status())) << it->status();

  EXPECT_TRUE(absl::IsNotFound(cache_->FindTable(42, 1000).status()));
  EXPECT_EQ(0, fs_.live_files());

  // Failures are not cached: once the file exists it opens.
  MakeTable(42);
  EXPECT_EQ(ValueOf(42, 1), Get(42, 1));
}

TEST_F(TableCacheTest, CorruptFileIsAnError) {
  MakeCache(10);
  fs_.WriteFile(TableName(1), std::string(5000, 'x'));
  sizes_[1] = 5000;
  absl::Status s = cache_->FindTable(1, 5000).status();
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;

  // A truncated table.
  std::string table = BuildTable(2);
  table.resize(table.size() - 10);
  fs_.WriteFile(TableName(2), table);
  s = cache_->FindTable(2, table.size()).status();
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;

  // An empty file, and a recorded size that does not match the file.
  fs_.WriteFile(TableName(3), "");
  EXPECT_FALSE(cache_->FindTable(3, 0).ok());
  MakeTable(4);
  EXPECT_FALSE(cache_->FindTable(4, sizes_[4] + 100).ok());

  std::unique_ptr<Iterator> it(cache_->NewIterator(ReadOptions(), 1, 5000));
  it->SeekToLast();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(absl::IsDataLoss(it->status()));
  EXPECT_EQ(0, fs_.live_files());
}

// Counts threads arriving; lets one thread wait for all of them.
class StartGate {
 public:
  explicit StartGate(int expected) : expected_(expected), cv_(&mu_) {}

  void Arrive() {
    MutexLock lock(&mu_);
    arrived_++;
    cv_.SignalAll();
  }

  // Waits until every expected thread arrived, then for micros more. The
  // analysis is off because CondVar::Wait names its own pointer to the mutex,
  // which it cannot match with mu_.
  void WaitForAllThenLinger(uint64_t micros) KVS_NO_THREAD_SAFETY_ANALYSIS {
    MutexLock lock(&mu_);
    while (arrived_ < expected_) cv_.Wait();
    cv_.WaitForMicros(micros);
  }

 private:
  const int expected_;
  Mutex mu_;
  CondVar cv_;
  int arrived_ KVS_GUARDED_BY(mu_) = 0;
};

// Many threads ask for the same unopened table at once: exactly one of them
// opens it.
TEST_F(TableCacheTest, ConcurrentFirstUseOpensOnce) {
  constexpr int kThreads = 8;
  for (int round = 0; round < 5; round++) {
    const uint64_t n = 100 + round;
    MakeTable(n);
    MakeCache(10);
    const int opens_before = fs_.opens();

    // Hold the first open until every thread has started its Get, then a little
    // longer, so the others arrive while the open is in progress.
    StartGate gate(kThreads);
    fs_.SetOpenHook([&] { gate.WaitForAllThenLinger(20000); });

    std::vector<std::string> results(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; t++) {
      threads.emplace_back([&, t] {
        gate.Arrive();
        results[t] = Get(n, t);
      });
    }
    for (auto& th : threads) th.join();
    fs_.SetOpenHook(nullptr);
    for (int t = 0; t < kThreads; t++) EXPECT_EQ(ValueOf(n, t), results[t]);
    EXPECT_EQ(opens_before + 1, fs_.opens());
    EXPECT_EQ(1, fs_.live_files());
    cache_.reset();
  }
}

// Concurrent failures are shared: every waiter sees the error; nothing crashes
// or leaks.
TEST_F(TableCacheTest, ConcurrentOpenOfMissingFile) {
  MakeCache(10);
  sizes_[7] = 100;
  constexpr int kThreads = 6;
  std::vector<std::string> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] { results[t] = Get(7, 1); });
  }
  for (auto& th : threads) th.join();
  for (const auto& r : results) {
    EXPECT_NE(std::string::npos, r.find("NOT_FOUND")) << r;
  }
  EXPECT_LE(fs_.opens(), kThreads);
}

// Random reads, iterators and evictions from many threads over more tables than
// fit.
TEST_F(TableCacheTest, ConcurrentMixedUse) {
  constexpr int kTables = 12, kThreads = 4, kOps = 400;
  for (uint64_t n = 1; n <= kTables; n++) MakeTable(n);
  MakeCache(5);
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      Random rnd(t + 1);
      for (int i = 0; i < kOps; i++) {
        uint64_t n = 1 + rnd.Uniform(kTables);
        int k = static_cast<int>(rnd.Uniform(kKeys));
        switch (rnd.Uniform(4)) {
          case 0:
          case 1:
            if (Get(n, k) != ValueOf(n, k)) errors++;
            break;
          case 2: {
            std::unique_ptr<Iterator> it(
                cache_->NewIterator(ReadOptions(), n, sizes_[n]));
            it->Seek(KeyOf(k));
            if (!it->Valid() || it->value() != ValueOf(n, k)) errors++;
            if (rnd.OneIn(2)) cache_->Evict(n);
            it->Next();
            if (k + 1 < kKeys &&
                (!it->Valid() || it->value() != ValueOf(n, k + 1))) {
              errors++;
            }
            break;
          }
          case 3:
            cache_->Evict(n);
            break;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(0, errors.load());
  EXPECT_LE(fs_.live_files(), 5);
  EXPECT_LE(fs_.max_live_files(), 5 + kThreads);
  cache_.reset();
  EXPECT_EQ(0, fs_.live_files());
}

}  // namespace
}  // namespace kvs
