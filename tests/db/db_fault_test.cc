// Power loss and injected I/O errors through FaultInjectionFileSystem.
//
// Every write is a batch that also puts a marker key naming its position in the
// write order, so the recovered database tells which writes survived: the
// markers must be exactly 0..p-1 (a prefix: nothing later without everything
// earlier, and each batch whole or not at all), the data must be the model
// replayed up to p, and p must cover every acknowledged sync write (every
// acknowledged write, after a mere process crash).

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lsm/db.h"
#include "lsm/write_batch.h"
#include "tests/db/db_test_util.h"

namespace kvs::db_testing {
namespace {

constexpr FaultOp kMutatingOps =
    FaultOp::kNewWritableFile | FaultOp::kAppend | FaultOp::kFlush |
    FaultOp::kSync | FaultOp::kClose | FaultOp::kRemoveFile | FaultOp::kRename |
    FaultOp::kSyncDir | FaultOp::kCreateDir;

std::string Marker(size_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "mark%08zu", i);
  return buf;
}

struct Op {
  std::string key;
  std::optional<std::string> value;  // nullopt: delete.
};

// The writes made so far, in order, and what the DB acknowledged.
class WriteLog {
 public:
  // A random batch of 1-4 updates over key_space keys plus the marker.
  std::vector<Op> NewWrite(Random* rnd, int key_space, size_t max_value) {
    std::vector<Op> ops;
    const size_t index = writes_.size();
    int n = 1 + static_cast<int>(rnd->Uniform(4));
    for (int j = 0; j < n; j++) {
      uint64_t k = rnd->Uniform(key_space);
      if (rnd->OneIn(5)) {
        ops.push_back({Key(k), std::nullopt});
      } else {
        ops.push_back({Key(k), Value(k, index, rnd->Uniform(max_value))});
      }
    }
    ops.push_back({Marker(index), ""});
    writes_.push_back(ops);
    return ops;
  }

  static WriteBatch ToBatch(const std::vector<Op>& ops) {
    WriteBatch batch;
    for (const Op& op : ops) {
      if (op.value) {
        batch.Put(op.key, *op.value);
      } else {
        batch.Delete(op.key);
      }
    }
    return batch;
  }

  // The state after the first n writes.
  Model Replay(size_t n) const {
    Model m;
    for (size_t i = 0; i < n; i++) {
      for (const Op& op : writes_[i]) {
        if (op.value) {
          m[op.key] = *op.value;
        } else {
          m.erase(op.key);
        }
      }
    }
    return m;
  }

  // Keeps only the first n writes (after a recovery found exactly those).
  void Truncate(size_t n) { writes_.resize(n); }
  size_t size() const { return writes_.size(); }

  // Checks that got is the state after some prefix p of the writes with
  // min <= p <= max. Returns p, or an explanation of what is wrong.
  absl::StatusOr<size_t> CheckPrefix(const Model& got, size_t min,
                                     size_t max) const {
    size_t p = 0;
    for (auto it = got.lower_bound("mark"); it != got.end(); ++it) {
      if (!it->first.starts_with("mark")) break;
      if (it->first != Marker(p)) {
        return absl::InternalError(
            absl::StrCat("markers are not a prefix: found ", it->first,
                         " expected ", Marker(p)));
      }
      p++;
    }
    if (p < min || p > max) {
      return absl::InternalError(absl::StrCat(
          "recovered ", p, " writes, expected between ", min, " and ", max));
    }
    Model want = Replay(p);
    if (want != got) {
      std::string diff;
      for (const auto& [k, v] : want) {
        auto g = got.find(k);
        if (g == got.end()) {
          diff += " missing " + k;
        } else if (g->second != v) {
          diff += " wrong " + k;
        }
        if (diff.size() > 300) break;
      }
      for (const auto& [k, v] : got) {
        if (!want.contains(k)) diff += " extra " + k;
        if (diff.size() > 300) break;
      }
      return absl::InternalError(absl::StrCat(
          "state after ", p, " writes differs (batch not atomic?):", diff));
    }
    return p;
  }

 private:
  std::vector<std::vector<Op>> writes_;
};

class DBFaultTest : public DBTest {
 public:
  // Runs up to n random writes (and an occasional Flush) until one fails.
  // Updates *durable to the number of writes a power loss must keep and
  // *acked to the number acknowledged. Returns the first error, if any, after
  // checking that later writes fail with it too.
  absl::Status Workload(WriteLog* log, Random* rnd, int n, int sync_one_in,
                        size_t* acked, size_t* durable,
                        std::atomic<bool>* cut = nullptr, int cut_at = -1) {
    for (int i = 0; i < n; i++) {
      if (i == cut_at && cut != nullptr) {
        fs_->SetFilesystemActive(false);
        cut->store(true);
      }
      std::vector<Op> ops = log->NewWrite(rnd, 400, 600);
      WriteBatch batch = WriteLog::ToBatch(ops);
      WriteOptions options;
      options.sync = sync_one_in > 0 && rnd->OneIn(sync_one_in);
      absl::Status s = db_->Write(options, &batch);
      if (!s.ok()) {
        ExpectWritesKeepFailing(s);
        return s;
      }
      *acked = log->size();
      if (options.sync) *durable = log->size();
      if (rnd->OneIn(150)) {
        s = db_->Flush();
        if (!s.ok()) {
          ExpectWritesKeepFailing(s);
          return s;
        }
        *durable = log->size();
      }
    }
    return absl::OkStatus();
  }

  // After a write or flush failed with first: later writes fail with it too.
  // When several errors are injected at once (a dead machine), the background
  // error may be another one that raced with first; later writes then all
  // fail with that one.
  void ExpectWritesKeepFailing(const absl::Status& first) {
    EXPECT_TRUE(IsInjectedError(first)) << first;
    absl::Status again = Put("after-error", "x");
    EXPECT_TRUE(IsInjectedError(again)) << again;
    if (single_error_) EXPECT_EQ(again, first);
    WriteBatch empty;
    EXPECT_EQ(db_->Write(WriteOptions(), &empty), again);
    EXPECT_EQ(Delete("after-error"), again);
    EXPECT_EQ(db_->Flush(), again);
    EXPECT_EQ(Put("after-error", "y", /*sync=*/true), again);
  }

  // False while the file system may fail more than one operation.
  bool single_error_ = true;

  // Recovers (power loss or not), checks the recovered state against the log
  // and trims the log to what survived.
  void RecoverAndCheck(WriteLog* log, bool power_loss, size_t min, size_t max) {
    if (power_loss) {
      PowerLoss();
    } else {
      Close();
      fs_->ClearErrors();
      fs_->SetFilesystemActive(true);
    }
    absl::Status s = TryOpen();
    ASSERT_TRUE(s.ok()) << s << "\n" << ReadFile("/db/LOG");
    absl::StatusOr<size_t> p = log->CheckPrefix(Contents(), min, max);
    ASSERT_TRUE(p.ok()) << p.status();
    log->Truncate(*p);
  }
};

// --- Power loss at random points ------------------------------------------

TEST_F(DBFaultTest, PowerLossAtRandomPointsKeepsSyncedWritesAndAPrefix) {
  const int kSeeds = 12 / kScale;
  for (int seed = 1; seed <= kSeeds; seed++) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    Random rnd(seed * 7919);
    Close();
    DB_ASSERT_OK(DestroyDB(kDBName, DefaultOptions()));
    Options options = DefaultOptions();
    options.paranoid_checks = rnd.OneIn(2);  // A power loss is not damage.
    Open(options);
    WriteLog log;
    size_t acked = 0;
    size_t durable = 0;
    single_error_ = false;
    // Two crashes in a row: the second one hits a recovered database.
    for (int crash = 0; crash < 2; crash++) {
      // All sync, none, or a mix.
      const int sync_one_in = static_cast<int>(rnd.Uniform(3)) * 4;
      const int n = 300 + static_cast<int>(rnd.Uniform(400));
      std::atomic<bool> cut{false};
      int cut_at = -1;
      if (rnd.OneIn(2)) {
        // The machine dies after a given number of file operations: in a
        // WAL write, a table, a MANIFEST or CURRENT update, a deletion...
        FaultRule rule;
        rule.ops = kMutatingOps;
        rule.skip = rnd.Uniform(3000);
        rule.failures = -1;
        fs_->InjectError(rule);
      } else {
        // Or at a random moment, whatever the background threads are doing.
        cut_at = static_cast<int>(rnd.Uniform(n));
      }
      absl::Status s =
          Workload(&log, &rnd, n, sync_one_in, &acked, &durable, &cut, cut_at);
      if (HasFailure()) return;
      RecoverAndCheck(&log, /*power_loss=*/true, durable, log.size());
      if (HasFatalFailure()) return;
      acked = durable = log.size();
      db_->ReleaseSnapshot(db_->GetSnapshot());
    }
  }
}

TEST_F(DBFaultTest, ProcessCrashAtRandomPointsKeepsEveryAcknowledgedWrite) {
  const int kSeeds = 12 / kScale;
  for (int seed = 1; seed <= kSeeds; seed++) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    Random rnd(seed * 31);
    Close();
    DB_ASSERT_OK(DestroyDB(kDBName, DefaultOptions()));
    Open();
    WriteLog log;
    size_t acked = 0;
    size_t durable = 0;
    std::atomic<bool> cut{false};
    single_error_ = false;
    const int n = 300 + static_cast<int>(rnd.Uniform(400));
    absl::Status s = Workload(&log, &rnd, n, 0, &acked, &durable, &cut,
                              static_cast<int>(rnd.Uniform(n)));
    if (HasFailure()) return;
    // The process dies; nothing is lost but the writes that failed.
    RecoverAndCheck(&log, /*power_loss=*/false, acked, log.size());
    if (HasFatalFailure()) return;
  }
}

// --- Injected I/O errors ----------------------------------------------------

struct ErrorCase {
  const char* name;
  FaultOp ops;
  const char* path;
};

// Where a write or a flush can fail. Each is tried at several points.
const ErrorCase kErrorCases[] = {
    {"WAL append", FaultOp::kAppend | FaultOp::kFlush, ".log"},
    {"WAL sync", FaultOp::kSync, ".log"},
    {"WAL create", FaultOp::kNewWritableFile, ".log"},
    {"table create", FaultOp::kNewWritableFile, ".sst"},
    {"table append", FaultOp::kAppend, ".sst"},
    {"table sync", FaultOp::kSync, ".sst"},
    {"table close", FaultOp::kClose, ".sst"},
    {"MANIFEST create", FaultOp::kNewWritableFile, "MANIFEST"},
    {"MANIFEST append", FaultOp::kAppend | FaultOp::kFlush, "MANIFEST"},
    {"MANIFEST sync", FaultOp::kSync, "MANIFEST"},
    {"CURRENT write", FaultOp::kAppend | FaultOp::kSync, "dbtmp"},
    {"CURRENT rename", FaultOp::kRename, "CURRENT"},
    {"directory sync", FaultOp::kSyncDir, ""},
    {"any", kMutatingOps, ""},
};

TEST_F(DBFaultTest, IoErrorStopsWritesKeepsReadsAndRecovers) {
  int cases_with_error = 0;
  int cases = 0;
  for (const ErrorCase& c : kErrorCases) {
    for (int attempt = 0; attempt < (kScale > 1 ? 2 : 3); attempt++) {
      SCOPED_TRACE(absl::StrCat(c.name, " attempt ", attempt));
      cases++;
      Random rnd(attempt * 101 + 7);
      Close();
      fs_->ClearErrors();
      DB_ASSERT_OK(DestroyDB(kDBName, DefaultOptions()));
      Open();
      WriteLog log;
      size_t acked = 0;
      size_t durable = 0;
      // Some healthy writes first.
      DB_ASSERT_OK(Workload(&log, &rnd, 50, 4, &acked, &durable));
      FaultRule rule;
      rule.ops = c.ops;
      rule.path_filter = c.path;
      // Most of these operations happen a handful of times per memtable.
      rule.skip = rnd.Uniform(attempt < 1 ? 2 : 6);
      rule.failures = 1;
      fs_->InjectError(rule);
      const int sync_one_in = static_cast<int>(rnd.Uniform(2)) * 3;
      absl::Status s = Workload(&log, &rnd, 500, sync_one_in, &acked, &durable);
      if (HasFailure()) return;
      if (!s.ok()) {
        cases_with_error++;
        // Reads still work and see exactly the acknowledged writes.
        Model want = log.Replay(acked);
        EXPECT_TRUE(Contents() == want);
        for (int k = 0; k < 400; k += 37) {
          auto it = want.find(Key(k));
          EXPECT_EQ(Get(Key(k)), it == want.end() ? "NOT_FOUND" : it->second);
        }
      }
      // The error is gone (a replaced disk, a freed one): the database opens
      // with everything acknowledged, or after a power loss everything synced.
      const bool power_loss = rnd.OneIn(2);
      RecoverAndCheck(&log, power_loss, power_loss ? durable : acked,
                      log.size());
      if (HasFatalFailure()) return;
      // And takes writes again.
      acked = durable = log.size();
      DB_ASSERT_OK(Workload(&log, &rnd, 50, 4, &acked, &durable));
      RecoverAndCheck(&log, false, log.size(), log.size());
      if (HasFatalFailure()) return;
    }
  }
  // The rules did hit: most cases stopped writes (CURRENT and new MANIFESTs
  // are written only at open or after an error).
  EXPECT_GT(cases_with_error * 2, cases) << cases_with_error << "/" << cases;
}

TEST_F(DBFaultTest, FailedFlushFailsFlushAndTheNextWrites) {
  for (const char* path : {".sst", "MANIFEST"}) {
    SCOPED_TRACE(path);
    Close();
    fs_->ClearErrors();
    DB_ASSERT_OK(DestroyDB(kDBName, DefaultOptions()));
    Open(NoCompactionOptions());
    Model model;
    for (int i = 0; i < 100; i++) {
      DB_ASSERT_OK(Put(Key(i), Value(i, 0)));
      model[Key(i)] = Value(i, 0);
    }
    FaultRule rule;
    rule.ops = FaultOp::kAppend | FaultOp::kSync;
    rule.path_filter = path;
    rule.failures = -1;
    int id = fs_->InjectError(rule);
    absl::Status s = db_->Flush();
    EXPECT_TRUE(IsInjectedError(s)) << s;
    ExpectWritesKeepFailing(s);
    EXPECT_TRUE(Contents() == model);
    EXPECT_EQ(Get(Key(5)), Value(5, 0));
    fs_->RemoveError(id);
    // Still failing: the error sticks until the DB is reopened.
    EXPECT_EQ(Put("x", "y"), s);
    Close();
    Open(NoCompactionOptions());
    EXPECT_TRUE(Contents() == model);
  }
}

TEST_F(DBFaultTest, BackgroundFlushErrorFailsALaterWrite) {
  Open(NoCompactionOptions());
  FaultRule rule;
  rule.ops = FaultOp::kAppend;
  rule.path_filter = ".sst";
  rule.failures = -1;
  fs_->InjectError(rule);
  Model model;
  absl::Status first;
  int i = 0;
  // Fill memtables until the background flush has failed and a write sees it.
  for (; i < 100000 && first.ok(); i++) {
    absl::Status s = Put(Key(i), Value(i, 0, 200));
    if (s.ok()) {
      model[Key(i)] = Value(i, 0, 200);
    } else {
      first = s;
    }
  }
  ASSERT_FALSE(first.ok());
  ExpectWritesKeepFailing(first);
  EXPECT_TRUE(Contents() == model);
  fs_->ClearErrors();
  Close();
  Open();
  EXPECT_TRUE(Contents() == model);
}

TEST_F(DBFaultTest, ReadErrorsAreReportedNotMistakenForMissingKeys) {
  for (FaultOp op : {FaultOp::kRead, FaultOp::kOpenForRead}) {
    SCOPED_TRACE(op == FaultOp::kRead ? "read" : "open");
    Close();
    fs_->ClearErrors();
    DB_ASSERT_OK(DestroyDB(kDBName, DefaultOptions()));
    Options options = NoCompactionOptions();
    options.block_cache_size = 0;  // Every read goes to the file.
    Open(options);
    Model model;
    for (int i = 0; i < 500; i++) {
      DB_ASSERT_OK(Put(Key(i), Value(i, 0)));
      model[Key(i)] = Value(i, 0);
    }
    DB_ASSERT_OK(db_->Flush());
    Close();  // Forget every open table.
    Open(options);
    FaultRule rule;
    rule.ops = op;
    rule.path_filter = ".sst";
    rule.failures = -1;
    int id = fs_->InjectError(rule);
    int errors = 0;
    for (int i = 0; i < 500; i += 7) {
      absl::StatusOr<std::string> v = db_->Get(ReadOptions(), Key(i));
      EXPECT_FALSE(absl::IsNotFound(v.status()))
          << Key(i) << " reported missing";
      if (v.ok()) {
        EXPECT_EQ(*v, Value(i, 0));
      } else {
        EXPECT_TRUE(IsInjectedError(v.status())) << v.status();
        errors++;
      }
    }
    EXPECT_GT(errors, 0);
    std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
    int n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) n++;
    EXPECT_FALSE(it->status().ok());
    EXPECT_LT(n, 500);
    it.reset();
    // Writes are unaffected by read errors.
    DB_EXPECT_OK(Put("new", "1"));
    model["new"] = "1";
    // Once the disk reads again, so does the database: no error was cached.
    fs_->RemoveError(id);
    for (int i = 0; i < 500; i += 7) EXPECT_EQ(Get(Key(i)), Value(i, 0));
    EXPECT_TRUE(Contents() == model);
  }
}

TEST_F(DBFaultTest, ErrorsDuringOpenLeaveTheDatabaseOpenable) {
  // A database with WALs to replay (so open writes tables too).
  Open();
  WriteLog log;
  Random rnd(99);
  size_t acked = 0;
  size_t durable = 0;
  // Sync writes: the rounds that also lose power must keep them.
  DB_ASSERT_OK(Workload(&log, &rnd, 300, 1, &acked, &durable));
  Close();
  int failed_opens = 0;
  // Every operation in turn (every third under the slow sanitizers).
  int round = 0;
  for (uint64_t skip = 0;; skip += kScale > 1 ? 3 : 1, round++) {
    SCOPED_TRACE(absl::StrCat("failing mutating operation #", skip));
    ASSERT_LT(skip, 1000u) << "open never ran out of operations";
    FaultRule rule;
    rule.ops = kMutatingOps;
    rule.skip = skip;
    rule.failures = 1;
    fs_->InjectError(rule);
    fs_->ResetCounters();
    absl::Status s = TryOpen();
    const bool injected = fs_->GetCounters().injected_errors > 0;
    fs_->ClearErrors();
    if (!s.ok()) {
      EXPECT_TRUE(injected) << s;
      failed_opens++;
    }
    // With the error gone, the database opens and has every write, whether or
    // not the machine also lost power.
    RecoverAndCheck(&log, /*power_loss=*/round % 2 == 1, log.size(),
                    log.size());
    if (HasFatalFailure()) return;
    // Leave WALs to replay for the next round.
    DB_ASSERT_OK(Workload(&log, &rnd, 20, 1, &acked, &durable));
    Close();
    if (!injected) break;
  }
  EXPECT_GT(failed_opens, 3);
}

TEST_F(DBFaultTest, PowerLossDuringCompactionKeepsEverythingFlushed) {
  // The machine dies at some file operation of a manual compaction (writing
  // its tables, the MANIFEST edit, deleting its inputs): everything flushed
  // before must survive, whichever side of the edit the loss fell on.
  for (uint64_t skip = 0; skip < 60; skip += 3 * kScale + skip / 4) {
    SCOPED_TRACE(absl::StrCat("dies at mutating operation #", skip));
    Close();
    fs_->ClearErrors();
    DB_ASSERT_OK(DestroyDB(kDBName, DefaultOptions()));
    Open(NoCompactionOptions());
    Model model;
    Random rnd(skip);
    for (int round = 0; round < 5; round++) {
      for (int i = 0; i < 300; i++) {
        std::string k = Key(rnd.Uniform(1000));
        if (rnd.OneIn(4)) {
          DB_ASSERT_OK(Delete(k));
          model.erase(k);
        } else {
          std::string v = Value(i, round, 200);
          DB_ASSERT_OK(Put(k, v));
          model[k] = v;
        }
      }
      DB_ASSERT_OK(db_->Flush());
    }
    FaultRule rule;
    rule.ops = kMutatingOps;
    rule.skip = skip;
    rule.failures = -1;
    fs_->InjectError(rule);
    absl::Status s = db_->CompactRange(nullptr, nullptr);
    EXPECT_TRUE(s.ok() || IsInjectedError(s)) << s;
    PowerLoss();
    Open(NoCompactionOptions());
    ASSERT_TRUE(Contents() == model);
    // And the database goes on working: compact again, reopen.
    DB_ASSERT_OK(db_->CompactRange(nullptr, nullptr));
    ASSERT_TRUE(Contents() == model);
    Reopen();
    ASSERT_TRUE(Contents() == model);
  }
}

TEST_F(DBFaultTest, CompactRangeWhileWritesFail) {
  // A manual compaction is running when a write fails and stops writes:
  // CompactRange must return (an error, or OK if it finished first), and
  // nothing may touch its state afterwards (ASan checks that).
  int overlapped = 0;
  const int kAttempts = 4;
  for (int attempt = 0; attempt < kAttempts; attempt++) {
    SCOPED_TRACE(attempt);
    Close();
    fs_->ClearErrors();
    DB_ASSERT_OK(DestroyDB(kDBName, DefaultOptions()));
    Open(NoCompactionOptions());
    Model model;
    for (int i = 0; i < 4000 / kScale; i++) {
      DB_ASSERT_OK(Put(Key(i % 2000), Value(i, 0, 300)));
      model[Key(i % 2000)] = Value(i, 0, 300);
    }
    absl::Status compact_status;
    std::atomic<bool> done{false};
    std::thread compactor([&] {
      compact_status = db_->CompactRange(nullptr, nullptr);
      done.store(true);
    });
    // Wait until the background thread has started the manual compaction
    // (it logs "(manual)"), or it is already over.
    while (!done.load() &&
           !absl::StrContains(ReadFile("/db/LOG"), "(manual)")) {
      std::this_thread::yield();
    }
    if (!done.load()) overlapped++;
    FaultRule rule;
    rule.ops = FaultOp::kAppend;
    rule.path_filter = ".log";
    rule.failures = -1;
    fs_->InjectError(rule);
    absl::Status s = Put("fails", "x");
    EXPECT_FALSE(s.ok());
    compactor.join();
    EXPECT_TRUE(compact_status.ok() || compact_status == s) << compact_status;
    EXPECT_TRUE(Contents() == model);
    fs_->ClearErrors();
    Close();
    Open();
    EXPECT_TRUE(Contents() == model);
  }
  // Not a timing assertion: just report how often the race was set up.
  std::printf("CompactRange still running at the failed write: %d of %d\n",
              overlapped, kAttempts);
}

}  // namespace
}  // namespace kvs::db_testing
