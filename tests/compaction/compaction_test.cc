// Leveled compaction through the public DB API: bounded level 0, level
// invariants, correct reads while compactions run, snapshots, CompactRange
// reclaiming space, trivial moves, and crashes or I/O errors in the middle of a
// compaction.

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "lsm/db.h"
#include "lsm/db_impl.h"
#include "util/fault_injection_file_system.h"
#include "util/mem_file_system.h"
#include "util/random.h"

#define ASSERT_OK(expr)                   \
  do {                                    \
    absl::Status _status = (expr);        \
    ASSERT_TRUE(_status.ok()) << _status; \
  } while (0)

namespace kvs {
namespace {

#if defined(KVS_ASAN) || defined(KVS_TSAN)
constexpr int kScale = 4;  // Sanitizers are slow: do a quarter of the work.
#else
constexpr int kScale = 1;
#endif

std::string Key(uint64_t i) { return absl::StrFormat("key%012d", i); }

std::string Value(Random* rnd, size_t len) {
  // Half random, half repeated: compresses about 2:1 like db_bench's values.
  std::string v = rnd->RandomBytes(len / 2);
  v.append(len - v.size(), 'x');
  return v;
}

class CompactionTest : public ::testing::Test {
 protected:
  CompactionTest() : base_fs_(NewMemFileSystem()), fs_(base_fs_.get()) {}

  Options SmallOptions() {
    Options o;
    o.create_if_missing = true;
    o.file_system = &fs_;
    o.write_buffer_size = 64 << 10;
    o.max_file_size = 64 << 10;
    o.max_bytes_for_level_base = 256 << 10;
    o.block_size = 1024;
    return o;
  }

  void Open(const Options& options) {
    db_.reset();
    auto db = DB::Open(options, "/db");
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
  }

  DBImpl* impl() { return static_cast<DBImpl*>(db_.get()); }

  int FilesAtLevel(int level) {
    std::string v;
    EXPECT_TRUE(db_->GetProperty(
        absl::StrFormat("kvs.num-files-at-level%d", level), &v));
    return std::stoi(v);
  }

  void CheckModel(const std::map<std::string, std::string>& model,
                  const ReadOptions& ro = ReadOptions()) {
    for (const auto& [k, v] : model) {
      auto got = db_->Get(ro, k);
      ASSERT_TRUE(got.ok()) << k << ": " << got.status();
      ASSERT_EQ(*got, v) << k;
    }
    auto it = db_->NewIterator(ro);
    auto m = model.begin();
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++m) {
      ASSERT_NE(m, model.end());
      ASSERT_EQ(it->key(), m->first);
      ASSERT_EQ(it->value(), m->second);
    }
    ASSERT_TRUE(it->status().ok()) << it->status();
    ASSERT_EQ(m, model.end());
    // And backwards.
    auto r = model.rbegin();
    for (it->SeekToLast(); it->Valid(); it->Prev(), ++r) {
      ASSERT_NE(r, model.rend());
      ASSERT_EQ(it->key(), r->first);
    }
    ASSERT_EQ(r, model.rend());
  }

  uint64_t DirectoryBytes() {
    uint64_t total = 0;
    auto children = fs_.GetChildren("/db");
    EXPECT_TRUE(children.ok());
    for (const auto& name : *children) {
      auto size = fs_.GetFileSize("/db/" + name);
      if (size.ok()) total += *size;
    }
    return total;
  }

  std::unique_ptr<FileSystem> base_fs_;
  FaultInjectionFileSystem fs_;
  std::unique_ptr<DB> db_;
};

TEST_F(CompactionTest, SustainedRandomWritesKeepLevel0BoundedAndLevelsSorted) {
  Options options = SmallOptions();
  Open(options);
  Random rnd(301);
  std::map<std::string, std::string> model;
  const int kWrites = 60000 / kScale;
  int max_level0 = 0;
  for (int i = 0; i < kWrites; i++) {
    std::string k = Key(rnd.Uniform(20000));
    std::string v = Value(&rnd, 100);
    ASSERT_OK(db_->Put(WriteOptions(), k, v));
    model[k] = v;
    if (i % 1000 == 0) {
      max_level0 = std::max(max_level0, FilesAtLevel(0));
      ASSERT_OK(impl()->CheckInvariants());
    }
  }
  ASSERT_OK(impl()->WaitForBackgroundWork());
  ASSERT_OK(impl()->CheckInvariants());
  EXPECT_LE(max_level0, options.level0_stop_writes_trigger);
  EXPECT_LT(FilesAtLevel(0), options.level0_file_num_compaction_trigger);
  int deeper = 0;
  for (int level = 1; level < options.num_levels; level++)
    deeper += FilesAtLevel(level);
  EXPECT_GT(deeper, 0) << "nothing was compacted";
  CheckModel(model);

  std::string stats;
  ASSERT_TRUE(db_->GetProperty("kvs.stats", &stats));
  EXPECT_NE(stats.find("write amplification"), std::string::npos);

  // Everything survives a reopen.
  Open(options);
  ASSERT_OK(impl()->CheckInvariants());
  CheckModel(model);
}

TEST_F(CompactionTest, ReadsAreCorrectWhileCompactionsRun) {
  Options options = SmallOptions();
  Open(options);
  // Readers check keys whose final value is written before they start; a writer
  // keeps overwriting other keys to drive flushes and compactions.
  Random rnd(7);
  std::map<std::string, std::string> stable;
  for (int i = 0; i < 2000; i++) {
    std::string k = "stable" + Key(i);
    stable[k] = Value(&rnd, 100);
    ASSERT_OK(db_->Put(WriteOptions(), k, stable[k]));
  }
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::thread writer([&] {
    Random wrnd(8);
    for (int i = 0; i < 30000 / kScale; i++) {
      if (!db_->Put(WriteOptions(), Key(wrnd.Uniform(5000)), Value(&wrnd, 100))
               .ok()) {
        errors++;
      }
    }
    stop = true;
  });
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; t++) {
    readers.emplace_back([&, t] {
      Random rrnd(100 + t);
      while (!stop) {
        std::string k = "stable" + Key(rrnd.Uniform(2000));
        auto got = db_->Get(ReadOptions(), k);
        if (!got.ok() || *got != stable[k]) errors++;
        auto it = db_->NewIterator(ReadOptions());
        it->Seek("stable");
        int n = 0;
        for (; it->Valid() && n < 20; it->Next(), n++) {
          auto m = stable.find(std::string(it->key()));
          if (m == stable.end() || m->second != it->value()) errors++;
        }
        if (!it->status().ok()) errors++;
      }
    });
  }
  writer.join();
  for (auto& r : readers) r.join();
  EXPECT_EQ(errors.load(), 0);
  ASSERT_OK(impl()->WaitForBackgroundWork());
  ASSERT_OK(impl()->CheckInvariants());
}

TEST_F(CompactionTest, SnapshotsKeepTheirVersionsThroughCompactions) {
  Options options = SmallOptions();
  Open(options);
  Random rnd(11);
  std::map<std::string, std::string> model;
  for (int i = 0; i < 3000; i++) {
    model[Key(i)] = Value(&rnd, 100);
    ASSERT_OK(db_->Put(WriteOptions(), Key(i), model[Key(i)]));
  }
  const Snapshot* snap = db_->GetSnapshot();
  std::map<std::string, std::string> at_snapshot = model;
  // Overwrite and delete everything, several times, forcing compactions all the
  // way down.
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < 3000; i++) {
      if (i % 3 == 0) {
        ASSERT_OK(db_->Delete(WriteOptions(), Key(i)));
        model.erase(Key(i));
      } else {
        model[Key(i)] = Value(&rnd, 100);
        ASSERT_OK(db_->Put(WriteOptions(), Key(i), model[Key(i)]));
      }
    }
  }
  ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  ReadOptions at;
  at.snapshot = snap;
  CheckModel(at_snapshot, at);
  CheckModel(model);

  // After release, a full compaction drops what only the snapshot needed.
  uint64_t before = DirectoryBytes();
  db_->ReleaseSnapshot(snap);
  ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  uint64_t after = DirectoryBytes();
  EXPECT_LT(after, before);
  CheckModel(model);
}

TEST_F(CompactionTest, CompactRangeRemovesDeletedDataFromDisk) {
  Options options = SmallOptions();
  Open(options);
  Random rnd(3);
  for (int i = 0; i < 5000; i++) {
    ASSERT_OK(db_->Put(WriteOptions(), Key(i), Value(&rnd, 200)));
  }
  ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  uint64_t full = DirectoryBytes();
  for (int i = 0; i < 5000; i++) {
    ASSERT_OK(db_->Delete(WriteOptions(), Key(i)));
  }
  ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  uint64_t empty = DirectoryBytes();
  EXPECT_LT(empty, full / 10) << "deleted data still on disk";
  // No table is left at all: the deletion markers went too.
  for (int level = 0; level < options.num_levels; level++) {
    EXPECT_EQ(FilesAtLevel(level), 0) << "level " << level;
  }
  auto it = db_->NewIterator(ReadOptions());
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
}

TEST_F(CompactionTest, OverwritesAreReclaimed) {
  Options options = SmallOptions();
  Open(options);
  Random rnd(5);
  for (int round = 0; round < 10; round++) {
    for (int i = 0; i < 1000; i++) {
      ASSERT_OK(db_->Put(WriteOptions(), Key(i), Value(&rnd, 200)));
    }
  }
  ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  // 1000 live entries of ~216 bytes, compressed about 2:1; generous slack for
  // metadata.
  EXPECT_LT(DirectoryBytes(), 1000u * 216);
}

TEST_F(CompactionTest, CompactRangeOfPartOfTheKeySpace) {
  Options options = SmallOptions();
  Open(options);
  Random rnd(9);
  std::map<std::string, std::string> model;
  for (int i = 0; i < 4000; i++) {
    model[Key(i)] = Value(&rnd, 100);
    ASSERT_OK(db_->Put(WriteOptions(), Key(i), model[Key(i)]));
  }
  for (int i = 1000; i < 2000; i++) {
    ASSERT_OK(db_->Delete(WriteOptions(), Key(i)));
    model.erase(Key(i));
  }
  std::string begin = Key(1000);
  std::string end = Key(1999);
  std::string_view b = begin;
  std::string_view e = end;
  ASSERT_OK(db_->CompactRange(&b, &e));
  ASSERT_OK(impl()->CheckInvariants());
  CheckModel(model);
}

TEST_F(CompactionTest, SequentialFillMovesFilesTrivially) {
  Options options = SmallOptions();
  Open(options);
  Random rnd(13);
  for (int i = 0; i < 20000 / kScale; i++) {
    ASSERT_OK(db_->Put(WriteOptions(), Key(i), Value(&rnd, 100)));
  }
  ASSERT_OK(impl()->WaitForBackgroundWork());
  std::string stats;
  ASSERT_TRUE(db_->GetProperty("kvs.stats", &stats));
  size_t pos = stats.find("trivial moves ");
  ASSERT_NE(pos, std::string::npos) << stats;
  int moves = std::stoi(stats.substr(pos + 14));
  EXPECT_GT(moves, 0) << stats;
}

TEST_F(CompactionTest, ReadsThatPassThroughAFilePushItDown) {
  Options options = SmallOptions();
  Open(options);
  Random rnd(17);
  std::map<std::string, std::string> model;
  const int n = 20000 / kScale;
  for (int i = 0; i < n; i += 2) {
    std::string v = Value(&rnd, 100);
    ASSERT_OK(db_->Put(WriteOptions(), Key(i), v));
    model[Key(i)] = v;
  }
  ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  ASSERT_EQ(FilesAtLevel(0), 0);
  // One small level-0 table spanning the whole key space, far below the
  // level-0 trigger: only reads can make a compaction take it.
  for (int i = 1; i < n; i += n / 8) {
    ASSERT_OK(db_->Put(WriteOptions(), Key(i), "odd"));
    model[Key(i)] = "odd";
  }
  ASSERT_OK(db_->Flush());
  ASSERT_OK(impl()->WaitForBackgroundWork());
  ASSERT_EQ(FilesAtLevel(0), 1);

  // Every lookup of an even key searches that table first and finds nothing.
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < n; i += 2 * 17) {
      auto got = db_->Get(ReadOptions(), Key(i));
      ASSERT_TRUE(got.ok()) << got.status();
    }
  }
  ASSERT_OK(impl()->WaitForBackgroundWork());
  EXPECT_EQ(FilesAtLevel(0), 0);
  ASSERT_OK(impl()->CheckInvariants());
  CheckModel(model);
}

TEST_F(CompactionTest, RoundRobinPriorityAlsoWorks) {
  Options options = SmallOptions();
  options.compaction_priority = CompactionPriority::kRoundRobin;
  Open(options);
  Random rnd(17);
  std::map<std::string, std::string> model;
  for (int i = 0; i < 30000 / kScale; i++) {
    std::string k = Key(rnd.Uniform(10000));
    model[k] = Value(&rnd, 100);
    ASSERT_OK(db_->Put(WriteOptions(), k, model[k]));
  }
  ASSERT_OK(impl()->WaitForBackgroundWork());
  ASSERT_OK(impl()->CheckInvariants());
  CheckModel(model);
}

TEST_F(CompactionTest, PowerLossDuringCompactionsLosesNoSyncedWrite) {
  Options options = SmallOptions();
  // One database through every trial: each power loss hits a database with
  // history.
  std::map<std::string, std::string> model;
  for (int trial = 0; trial < 6; trial++) {
    Open(options);
    Random rnd(1000 + trial);
    WriteOptions sync;
    sync.sync = true;
    // Enough to keep compactions busy; stop the "machine" at a random point.
    const int stop_at = 2000 + static_cast<int>(rnd.Uniform(4000 / kScale));
    for (int i = 0; i < stop_at; i++) {
      std::string k = Key(rnd.Uniform(3000));
      std::string v = Value(&rnd, 100);
      ASSERT_OK(db_->Put(i % 10 == 0 ? sync : WriteOptions(), k, v));
      model[k] = v;
    }
    // A last sync write makes everything before it durable too (one WAL,
    // written in order).
    ASSERT_OK(db_->Put(sync, "last", "value"));
    model["last"] = "value";
    fs_.SetFilesystemActive(false);
    db_.reset();
    ASSERT_TRUE(fs_.DropUnsyncedData().ok());
    fs_.SetFilesystemActive(true);
    Open(options);
    ASSERT_OK(impl()->CheckInvariants());
    CheckModel(model);
  }
}

TEST_F(CompactionTest, IoErrorInCompactionStopsWritesAndReopenRecovers) {
  Options options = SmallOptions();
  Open(options);
  Random rnd(23);
  std::map<std::string, std::string> model;
  WriteOptions sync;
  sync.sync = true;
  // Fail table writes from now on: flushes and compactions hit the error.
  FaultRule rule;
  rule.ops = FaultOp::kAppend | FaultOp::kSync;
  rule.path_filter = ".sst";
  rule.failures = 1000000;
  int rule_id = fs_.InjectError(rule);
  absl::Status write_status;
  for (int i = 0; i < 20000 && write_status.ok(); i++) {
    std::string k = Key(rnd.Uniform(3000));
    std::string v = Value(&rnd, 100);
    write_status = db_->Put(sync, k, v);
    if (write_status.ok()) model[k] = v;
  }
  ASSERT_FALSE(write_status.ok())
      << "writes kept succeeding after table writes failed";
  // The error sticks, and reads still work.
  EXPECT_FALSE(db_->Put(WriteOptions(), "after", "error").ok());
  CheckModel(model);
  fs_.RemoveError(rule_id);
  Open(options);
  CheckModel(model);
  ASSERT_OK(db_->Put(WriteOptions(), "after", "reopen"));
}

}  // namespace
}  // namespace kvs
