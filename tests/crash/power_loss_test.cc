// Power loss at random points: the database runs on a FaultInjectionFileSystem
// over the in-memory file system; a PowerCutFileSystem on top kills the
// "machine" at a chosen operation (the n-th WAL append, table write, MANIFEST
// write, CURRENT switch, directory sync, file removal...), or a timer thread
// does, or the writer does between two writes. Then the database is closed,
// everything not synced is dropped, and the reopened database must hold
//  - with synced writes: every acknowledged write;
//  - without: the state after some prefix of the writes in the order they
//    were issued (writes carry a global counter, so a later write visible
//    while an earlier one is missing is caught), never less than up to the
//    last acknowledged synced write or successful Flush().
// Each test runs many trials on one file system, so damage would carry over.
//
// Longer runs: KVS_POWER_LOSS_TRIALS (trials per test) and KVS_POWER_LOSS_SEED
// (added to each test's seed), e.g.
//   bazel test //tests/crash:power_loss_test \
//     --test_env=KVS_POWER_LOSS_TRIALS=2000 --test_output=streamed

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lsm/db.h"
#include "lsm/db_impl.h"
#include "lsm/iterator.h"
#include "lsm/options.h"
#include "lsm/write_batch.h"
#include "tests/crash/power_cut_file_system.h"
#include "tests/crash/test_value.h"
#include "util/fault_injection_file_system.h"
#include "util/mem_file_system.h"
#include "util/random.h"

namespace kvs::crash_testing {
namespace {

#if defined(KVS_ASAN) || defined(KVS_TSAN)
constexpr int kTrials = 25;
constexpr int kMaxWritesPerTrial = 1200;
#else
constexpr int kTrials = 60;
constexpr int kMaxWritesPerTrial = 3000;
#endif
constexpr int kNumKeys = 1500;

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::strtoull(v, nullptr, 10);
}
constexpr char kDBName[] = "/db";

using KeyStates = std::vector<std::optional<uint64_t>>;

struct Entry {
  uint32_t key;
  uint64_t version;  // The global write counter; deletes consume one too.
  bool is_delete;
  uint32_t padding;
};

struct Op {
  bool sync = false;
  bool batch = false;
  std::vector<Entry> entries;
};

enum class SyncMode { kAll, kNone, kMixed };

// Where the power goes out.
struct Target {
  const char* name;
  FaultOp ops;
  const char* filter;
  uint64_t max_after;  // The cut comes at a uniform operation in [0, this].
};

constexpr FaultOp kAnyWrite =
    FaultOp::kNewWritableFile | FaultOp::kAppend | FaultOp::kFlush |
    FaultOp::kSync | FaultOp::kClose | FaultOp::kRemoveFile | FaultOp::kRename |
    FaultOp::kSyncDir | FaultOp::kCreateDir;

const Target kTargets[] = {
    {"WAL append", FaultOp::kAppend, ".log", 2000},
    {"WAL sync", FaultOp::kSync, ".log", 200},
    {"table create/append", FaultOp::kNewWritableFile | FaultOp::kAppend,
     ".sst", 150},
    {"table sync/close", FaultOp::kSync | FaultOp::kClose, ".sst", 15},
    {"MANIFEST write",
     FaultOp::kNewWritableFile | FaultOp::kAppend | FaultOp::kSync |
         FaultOp::kClose,
     "MANIFEST", 25},
    {"CURRENT switch", kAnyWrite, "dbtmp", 5},
    {"directory sync", FaultOp::kSyncDir, "", 15},
    {"file removal", FaultOp::kRemoveFile, "", 15},
    {"any write", kAnyWrite, "", 6000},
};
constexpr int kNumTargets = sizeof(kTargets) / sizeof(kTargets[0]);

std::string StateString(const std::optional<uint64_t>& v) {
  return v ? absl::StrCat("version ", *v) : "absent";
}

void Apply(const Op& op, KeyStates* states) {
  for (const Entry& e : op.entries) {
    (*states)[e.key] =
        e.is_delete ? std::nullopt : std::optional<uint64_t>(e.version);
  }
}

struct Stats {
  int trials = 0;
  int cuts[kNumTargets] = {};   // Armed cuts that fired, per target.
  int armed[kNumTargets] = {};  // Trials armed at each target.
  int cuts_during_open = 0;     // ... of which during DB::Open.
  int timer_cuts = 0;           // Cut by another thread after a delay.
  int cuts_between_writes = 0;  // The writer cut it after its last write.
  uint64_t writes_acknowledged = 0;
  uint64_t sync_writes_acknowledged = 0;
  uint64_t unsynced_writes_lost = 0;  // Acknowledged, unsynced, gone.
  uint64_t in_flight_survived = 0;    // Failed write found applied.

  std::string ToString() const {
    std::string s = absl::StrCat(
        trials, " trials, ", writes_acknowledged, " writes acknowledged (",
        sync_writes_acknowledged, " synced), ", unsynced_writes_lost,
        " unsynced writes lost, ", in_flight_survived,
        " failed writes found applied; cuts: ", timer_cuts, " by timer, ",
        cuts_between_writes, " between writes, ", cuts_during_open,
        " during open");
    for (int t = 0; t < kNumTargets; ++t) {
      absl::StrAppend(&s, ", ", kTargets[t].name, " ", cuts[t], "/", armed[t]);
    }
    return s;
  }
};

class PowerLossTest : public ::testing::Test {
 protected:
  PowerLossTest()
      : base_(NewMemFileSystem()),
        fault_(std::make_unique<FaultInjectionFileSystem>(base_.get())),
        cut_(std::make_unique<PowerCutFileSystem>(fault_.get())),
        model_(kNumKeys) {}

  Options DBOptions() {
    Options o;
    o.create_if_missing = true;
    o.file_system = cut_.get();
    o.write_buffer_size = 64 << 10;
    o.max_file_size = 64 << 10;
    o.max_bytes_for_level_base = 128 << 10;
    o.max_bytes_for_level_multiplier = 4;
    o.level0_file_num_compaction_trigger = 2;
    o.level0_slowdown_writes_trigger = 6;
    o.level0_stop_writes_trigger = 10;
    o.block_size = 1024;
    o.num_levels = 5;
    return o;
  }

  Op NewOp(SyncMode mode) {
    Op op;
    op.sync =
        mode == SyncMode::kAll || (mode == SyncMode::kMixed && rnd_.OneIn(10));
    const uint64_t r = rnd_.Uniform(100);
    int n = 1;
    if (r >= 80) {
      op.batch = true;
      n = 2 + static_cast<int>(rnd_.Uniform(7));
    }
    for (int i = 0; i < n; ++i) {
      Entry e;
      e.key = static_cast<uint32_t>(rnd_.Uniform(kNumKeys));
      e.version = next_version_++;
      e.is_delete = op.batch ? rnd_.OneIn(4) : (r >= 70);
      // Now and then a value large enough for its WAL record to span blocks.
      e.padding = rnd_.OneIn(100)
                      ? static_cast<uint32_t>(2000 + rnd_.Uniform(40000))
                      : static_cast<uint32_t>(rnd_.Skewed(9));
      op.entries.push_back(e);
    }
    return op;
  }

  static absl::Status Write(DB* db, const Op& op) {
    WriteOptions wo;
    wo.sync = op.sync;
    if (!op.batch) {
      const Entry& e = op.entries[0];
      std::string key = KeyName(e.key);
      if (e.is_delete) return db->Delete(wo, key);
      return db->Put(wo, key, MakeValue(key, e.version, e.padding));
    }
    WriteBatch batch;
    for (const Entry& e : op.entries) {
      std::string key = KeyName(e.key);
      if (e.is_delete) {
        batch.Delete(key);
      } else {
        batch.Put(key, MakeValue(key, e.version, e.padding));
      }
    }
    return db->Write(wo, &batch);
  }

  // The whole database by point reads, checked against forward and backward
  // scans.
  void ReadState(DB* db, KeyStates* out) {
    KeyStates observed(kNumKeys);
    for (int k = 0; k < kNumKeys; ++k) {
      const std::string key = KeyName(k);
      absl::StatusOr<std::string> value = db->Get(ReadOptions(), key);
      if (absl::IsNotFound(value.status())) continue;
      ASSERT_TRUE(value.ok()) << key << ": " << value.status();
      absl::StatusOr<uint64_t> version = CheckValue(key, *value);
      ASSERT_TRUE(version.ok()) << version.status();
      observed[k] = *version;
    }
    for (bool forward : {true, false}) {
      KeyStates scanned(kNumKeys);
      std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
      if (forward) {
        it->SeekToFirst();
      } else {
        it->SeekToLast();
      }
      for (; it->Valid(); forward ? it->Next() : it->Prev()) {
        uint64_t k;
        ASSERT_TRUE(ParseKeyName(it->key(), &k) && k < kNumKeys)
            << "unknown key " << it->key();
        absl::StatusOr<uint64_t> version = CheckValue(it->key(), it->value());
        ASSERT_TRUE(version.ok()) << version.status();
        ASSERT_FALSE(scanned[k].has_value()) << "key seen twice: " << k;
        scanned[k] = *version;
      }
      ASSERT_TRUE(it->status().ok()) << it->status();
      ASSERT_TRUE(scanned == observed) << (forward ? "forward" : "backward")
                                       << " scan disagrees with point reads";
    }
    *out = std::move(observed);
  }

  // One power loss. The model holds the state before the trial and is left
  // holding the state recovered after it.
  void RunTrial(SyncMode mode, Stats* stats) {
    const int choice = static_cast<int>(rnd_.Uniform(kNumTargets + 2));
    std::string where;
    int target = -1;
    std::thread timer;
    std::atomic<bool> timer_fired{false};
    if (choice < kNumTargets) {
      target = choice;
      const Target& t = kTargets[target];
      cut_->Arm(t.ops, t.filter, rnd_.Uniform(t.max_after + 1));
      stats->armed[target]++;
      where = t.name;
    } else if (choice == kNumTargets) {
      const uint64_t delay = rnd_.Uniform(30000);
      where = absl::StrCat("timer after ", delay, " us");
      timer = std::thread([this, delay, &timer_fired] {
        std::this_thread::sleep_for(std::chrono::microseconds(delay));
        fault_->SetFilesystemActive(false);
        timer_fired = true;
      });
    } else {
      where = "between writes";
    }

    std::vector<Op> history;  // Every write tried, in order.
    size_t acked = 0;
    // Writes up to the last acknowledged sync or successful Flush.
    size_t synced_prefix = 0;
    bool open_failed = false;
    {
      absl::StatusOr<std::unique_ptr<DB>> db = DB::Open(DBOptions(), kDBName);
      if (!db.ok()) {
        open_failed = true;
        // Only the power cut may make the open fail.
        ASSERT_TRUE(cut_->Tripped() || timer_fired)
            << where << ": " << db.status();
      } else {
        const uint64_t n = 1 + rnd_.Uniform(kMaxWritesPerTrial);
        for (uint64_t i = 0; i < n; ++i) {
          if (rnd_.OneIn(600)) {
            // Forced flushes and manual compactions write the MANIFEST more.
            absl::Status s;
            if (rnd_.OneIn(2)) {
              s = (*db)->Flush();
              // Flush returns once the memtable is durable: every write
              // before it survives, synced or not.
              if (s.ok()) synced_prefix = acked;
            } else {
              std::string b = KeyName(rnd_.Uniform(kNumKeys));
              std::string e = KeyName(rnd_.Uniform(kNumKeys));
              if (e < b) std::swap(b, e);
              std::string_view bv = b, ev = e;
              s = (*db)->CompactRange(&bv, &ev);
            }
            if (!s.ok()) break;
          }
          history.push_back(NewOp(mode));
          if (!Write(db->get(), history.back()).ok()) break;
          acked++;
          if (history.back().sync) synced_prefix = acked;
        }
        if (acked == history.size()) {
          // Nothing failed: the writer pulls the plug itself.
          fault_->SetFilesystemActive(false);
        }
      }
    }  // The DB closes on the dead file system.
    if (timer.joinable()) timer.join();

    const bool armed_cut = cut_->Tripped();
    ASSERT_TRUE(!armed_cut || target >= 0);
    if (armed_cut) {
      where = absl::StrCat(where, " at ", cut_->TripDescription());
      stats->cuts[target]++;
      if (open_failed) stats->cuts_during_open++;
    } else if (timer_fired) {
      stats->timer_cuts++;
    } else {
      stats->cuts_between_writes++;
    }
    cut_->Disarm();
    fault_->SetFilesystemActive(true);
    fault_->ClearErrors();
    absl::Status s = fault_->DropUnsyncedData();
    ASSERT_TRUE(s.ok()) << s;

    // A power loss leaves torn tails and missing unsynced files, which are
    // not damage: even the strict recovery must accept them.
    Options options = DBOptions();
    options.paranoid_checks = rnd_.OneIn(2);
    absl::StatusOr<std::unique_ptr<DB>> db = DB::Open(options, kDBName);
    ASSERT_TRUE(db.ok()) << "reopen after power loss (" << where
                         << (options.paranoid_checks ? ", paranoid" : "")
                         << "): " << db.status();
    KeyStates recovered;
    ReadState(db->get(), &recovered);
    if (HasFatalFailure()) return;

    // Which prefixes of history give the recovered state? The mismatch count
    // is kept up to date incrementally as writes are applied one by one.
    KeyStates state = model_;
    size_t mismatches = 0;
    for (int k = 0; k < kNumKeys; ++k) mismatches += state[k] != recovered[k];
    std::vector<size_t> matching;
    for (size_t p = 0;; ++p) {
      if (mismatches == 0) matching.push_back(p);
      if (p == history.size()) break;
      for (const Entry& e : history[p].entries) {
        mismatches -= state[e.key] != recovered[e.key];
        state[e.key] =
            e.is_delete ? std::nullopt : std::optional<uint64_t>(e.version);
        mismatches += state[e.key] != recovered[e.key];
      }
    }
    auto ok = std::find_if(matching.begin(), matching.end(),
                           [&](size_t p) { return p >= synced_prefix; });
    if (ok == matching.end()) {
      // Show how the recovered state differs from "everything acknowledged".
      KeyStates expected = model_;
      for (size_t p = 0; p < acked; ++p) Apply(history[p], &expected);
      std::string diff;
      int shown = 0;
      for (int k = 0; k < kNumKeys && shown < 10; ++k) {
        if (expected[k] != recovered[k]) {
          absl::StrAppend(&diff, "\n  ", KeyName(k), ": acknowledged ",
                          StateString(expected[k]), ", recovered ",
                          StateString(recovered[k]));
          shown++;
        }
      }
      FAIL() << "power loss (" << where << ", trial " << stats->trials
             << "): the recovered state is not a prefix of the writes that "
             << "keeps every synced one; " << history.size() << " tried, "
             << acked << " acknowledged, first " << synced_prefix
             << " covered by a sync, " << matching.size()
             << " matching prefixes" << (matching.empty() ? "" : " (max ")
             << (matching.empty() ? "" : std::to_string(matching.back()))
             << (matching.empty() ? "" : ")") << diff;
    }
    const size_t p = matching.back();
    if (p < acked) stats->unsynced_writes_lost += acked - p;
    if (p > acked) stats->in_flight_survived++;
    stats->writes_acknowledged += acked;
    for (size_t i = 0; i < acked; ++i) {
      stats->sync_writes_acknowledged += history[i].sync;
    }
    if (mode == SyncMode::kAll) ASSERT_GE(p, acked);

    auto* impl = static_cast<DBImpl*>(db->get());
    s = impl->CheckInvariants();
    ASSERT_TRUE(s.ok()) << s;
    model_ = std::move(recovered);
    stats->trials++;
  }

  void RunTrials(SyncMode mode, uint64_t seed) {
    seed += EnvOr("KVS_POWER_LOSS_SEED", 0);
    const int trials =
        static_cast<int>(EnvOr("KVS_POWER_LOSS_TRIALS", kTrials));
    rnd_ = Random(seed);
    Stats stats;
    for (int t = 0; t < trials; ++t) {
      RunTrial(mode, &stats);
      if (HasFatalFailure()) {
        ADD_FAILURE() << "seed " << seed << ", " << stats.ToString();
        return;
      }
    }
    std::printf("%s\n", stats.ToString().c_str());
    EXPECT_EQ(stats.trials, trials);
    EXPECT_GT(stats.writes_acknowledged, 0u);
    int armed_cuts = 0;
    for (int c : stats.cuts) armed_cuts += c;
    // Enough armed cuts must land inside the trials, or the test tests little.
    // How many land depends on timing (a cut armed past the trial's last
    // operation never fires): 8 of 25 was seen under sanitizers on a loaded
    // machine, so the bar is set below that.
    EXPECT_GE(armed_cuts, trials / 5) << stats.ToString();
  }

  std::unique_ptr<FileSystem> base_;
  std::unique_ptr<FaultInjectionFileSystem> fault_;
  std::unique_ptr<PowerCutFileSystem> cut_;
  KeyStates model_;
  uint64_t next_version_ = 1;
  Random rnd_{0};
};

TEST_F(PowerLossTest, SyncedWritesAllSurvive) { RunTrials(SyncMode::kAll, 1); }

TEST_F(PowerLossTest, UnsyncedWritesLoseOnlyASuffix) {
  RunTrials(SyncMode::kNone, 2);
}

TEST_F(PowerLossTest, MixedWritesKeepEverySyncedPrefix) {
  RunTrials(SyncMode::kMixed, 3);
}

}  // namespace
}  // namespace kvs::crash_testing
