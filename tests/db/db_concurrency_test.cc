// Many threads on one DB: writers (sync and not, single puts and batches,
// deletes), readers (Get, short scans, snapshots), and threads flushing,
// compacting and asking for properties. The final state must equal the model
// of every write; readers check what they can without knowing the global
// order. Meant to run under TSan as well.

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lsm/db.h"
#include "lsm/write_batch.h"
#include "tests/db/db_test_util.h"

namespace kvs::db_testing {
namespace {

constexpr int kWriters = 4;
constexpr int kReaders = 3;
constexpr int kOwnKeys = 200;    // Keys each writer alone writes.
constexpr int kSharedKeys = 50;  // Keys every writer writes.

std::string OwnKey(int writer, int k) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "own%d-%04d", writer, k);
  return buf;
}
std::string SharedKey(int k) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "shared-%04d", k);
  return buf;
}
// "<key>|<writer>|<seq>|padding": readers can check a value belongs to its key
// and order the writes of one writer.
std::string MakeValue(const std::string& key, int writer, int seq, size_t pad) {
  std::string v = absl::StrCat(key, "|", writer, "|", seq, "|");
  v.append(pad, 'p');
  return v;
}
struct Parsed {
  std::string key;
  int writer = -1;
  int seq = -1;
};
bool ParseValue(std::string_view v, Parsed* out) {
  size_t a = v.find('|');
  if (a == std::string_view::npos) return false;
  size_t b = v.find('|', a + 1);
  if (b == std::string_view::npos) return false;
  size_t c = v.find('|', b + 1);
  if (c == std::string_view::npos) return false;
  out->key = std::string(v.substr(0, a));
  out->writer = std::stoi(std::string(v.substr(a + 1, b - a - 1)));
  out->seq = std::stoi(std::string(v.substr(b + 1, c - b - 1)));
  for (char ch : v.substr(c + 1)) {
    if (ch != 'p') return false;
  }
  return true;
}

TEST_F(DBTest, ConcurrentWritersReadersAndFlushes) {
  Open();
  const int kOpsPerWriter = 2000 / kScale;
  std::atomic<int> writers_done{0};
  std::atomic<int> failures{0};

  // What each writer did: its own keys' final values, and its last value for
  // each shared key. Each is touched by its writer thread only until joined.
  std::vector<Model> own(kWriters);
  std::vector<std::map<int, std::optional<std::string>>> last_shared(kWriters);

  auto writer = [&](int w) {
    Random rnd(1000 + w);
    for (int seq = 0; seq < kOpsPerWriter; seq++) {
      WriteOptions options;
      options.sync = rnd.OneIn(20);
      absl::Status s;
      int choice = static_cast<int>(rnd.Uniform(10));
      if (choice < 5) {
        std::string k = OwnKey(w, static_cast<int>(rnd.Uniform(kOwnKeys)));
        std::string v = MakeValue(k, w, seq, rnd.Uniform(200));
        s = db_->Put(options, k, v);
        own[w][k] = v;
      } else if (choice < 6) {
        std::string k = OwnKey(w, static_cast<int>(rnd.Uniform(kOwnKeys)));
        s = db_->Delete(options, k);
        own[w].erase(k);
      } else if (choice < 8) {
        int sk = static_cast<int>(rnd.Uniform(kSharedKeys));
        std::string k = SharedKey(sk);
        if (rnd.OneIn(5)) {
          s = db_->Delete(options, k);
          last_shared[w][sk] = std::nullopt;
        } else {
          std::string v = MakeValue(k, w, seq, rnd.Uniform(100));
          s = db_->Put(options, k, v);
          last_shared[w][sk] = v;
        }
      } else {
        // A batch over own keys: readers must never see half of it, which the
        // final check and the model cover; here it just has to apply.
        WriteBatch batch;
        for (int j = 0; j < 4; j++) {
          std::string k = OwnKey(w, static_cast<int>(rnd.Uniform(kOwnKeys)));
          if (rnd.OneIn(4)) {
            batch.Delete(k);
            own[w].erase(k);
          } else {
            std::string v = MakeValue(k, w, seq, rnd.Uniform(100));
            batch.Put(k, v);
            own[w][k] = v;
          }
        }
        s = db_->Write(options, &batch);
      }
      if (!s.ok()) {
        ADD_FAILURE() << "writer " << w << ": " << s;
        failures++;
        break;
      }
    }
    writers_done++;
  };

  auto reader = [&](int r) {
    Random rnd(2000 + r);
    // The newest seq this reader has seen for each own key: a later read of
    // the same key can only see the same write or a later one.
    std::map<std::string, int> seen;
    while (writers_done.load() < kWriters && failures.load() == 0) {
      int w = static_cast<int>(rnd.Uniform(kWriters));
      int choice = static_cast<int>(rnd.Uniform(4));
      if (choice == 0) {
        std::string k = OwnKey(w, static_cast<int>(rnd.Uniform(kOwnKeys)));
        absl::StatusOr<std::string> v = db_->Get(ReadOptions(), k);
        if (!v.ok()) {
          if (!absl::IsNotFound(v.status())) {
            ADD_FAILURE() << v.status();
            failures++;
          }
          continue;
        }
        Parsed p;
        if (!ParseValue(*v, &p) || p.key != k || p.writer != w) {
          ADD_FAILURE() << "bad value for " << k << ": " << v->substr(0, 40);
          failures++;
          continue;
        }
        auto it = seen.find(k);
        if (it != seen.end() && p.seq < it->second) {
          ADD_FAILURE() << k << " went back from seq " << it->second << " to "
                        << p.seq;
          failures++;
        }
        seen[k] = p.seq;
      } else if (choice == 1) {
        // A short scan: ordered keys, values that belong to them.
        std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
        std::string start = rnd.OneIn(2) ? OwnKey(w, rnd.Uniform(kOwnKeys))
                                         : SharedKey(rnd.Uniform(kSharedKeys));
        std::string last;
        int n = 0;
        for (it->Seek(start); it->Valid() && n < 20; it->Next(), n++) {
          std::string key(it->key());
          Parsed p;
          if (key < start || (n > 0 && key <= last) ||
              !ParseValue(it->value(), &p) || p.key != key) {
            ADD_FAILURE() << "scan from " << start << " gave " << key;
            failures++;
            break;
          }
          last = key;
        }
        if (!it->status().ok()) {
          ADD_FAILURE() << it->status();
          failures++;
        }
      } else if (choice == 2) {
        // Backward too.
        std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
        std::string last;
        int n = 0;
        for (it->SeekToLast(); it->Valid() && n < 10; it->Prev(), n++) {
          std::string key(it->key());
          if (n > 0 && key >= last) {
            ADD_FAILURE() << "backward scan out of order at " << key;
            failures++;
            break;
          }
          last = key;
        }
      } else {
        // A snapshot reads the same thing twice, whatever writers do between.
        const Snapshot* snap = db_->GetSnapshot();
        ReadOptions options;
        options.snapshot = snap;
        std::string k = rnd.OneIn(2) ? SharedKey(rnd.Uniform(kSharedKeys))
                                     : OwnKey(w, rnd.Uniform(kOwnKeys));
        absl::StatusOr<std::string> a = db_->Get(options, k);
        std::this_thread::yield();
        absl::StatusOr<std::string> b = db_->Get(options, k);
        if (a.ok() != b.ok() || (a.ok() && *a != *b)) {
          ADD_FAILURE() << "snapshot read of " << k << " changed";
          failures++;
        }
        db_->ReleaseSnapshot(snap);
      }
    }
  };

  // Flushes, the occasional manual compaction and introspection, all racing
  // the writers.
  auto maintenance = [&] {
    Random rnd(3000);
    int rounds = 0;
    while (writers_done.load() < kWriters && failures.load() == 0) {
      absl::Status s = db_->Flush();
      if (!s.ok()) {
        ADD_FAILURE() << "Flush: " << s;
        failures++;
        break;
      }
      if (rounds % 5 == 4) {
        std::string begin = OwnKey(rnd.Uniform(kWriters), 0);
        std::string end = OwnKey(rnd.Uniform(kWriters), kOwnKeys);
        std::string_view b = begin;
        std::string_view e = end;
        s = db_->CompactRange(&b, &e);
        if (!s.ok()) {
          ADD_FAILURE() << "CompactRange: " << s;
          failures++;
          break;
        }
      }
      std::string value;
      EXPECT_TRUE(db_->GetProperty("kvs.stats", &value));
      EXPECT_TRUE(db_->GetProperty("kvs.sstables", &value));
      EXPECT_TRUE(db_->GetProperty("kvs.approximate-memory-usage", &value));
      db_->GetApproximateSizes({Range{"own", "shared"}});
      rounds++;
      std::this_thread::yield();
    }
  };

  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; w++) threads.emplace_back(writer, w);
  for (int r = 0; r < kReaders; r++) threads.emplace_back(reader, r);
  threads.emplace_back(maintenance);
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(failures.load(), 0);

  // The final state: every writer's own keys exactly, and for each shared key
  // the last write of one of the writers that wrote it.
  auto check = [&] {
    Model got = Contents();
    Model own_got;
    for (const auto& [k, v] : got) {
      if (k.starts_with("own")) own_got[k] = v;
    }
    Model own_want;
    for (const Model& m : own) own_want.insert(m.begin(), m.end());
    EXPECT_EQ(own_got.size(), own_want.size());
    EXPECT_TRUE(own_got == own_want);
    for (int sk = 0; sk < kSharedKeys; sk++) {
      auto found = got.find(SharedKey(sk));
      bool ok = false;
      bool written = false;
      for (int w = 0; w < kWriters; w++) {
        auto last = last_shared[w].find(sk);
        if (last == last_shared[w].end()) continue;
        written = true;
        if (last->second
                ? (found != got.end() && found->second == *last->second)
                : found == got.end()) {
          ok = true;
        }
      }
      if (!written) ok = found == got.end();
      EXPECT_TRUE(ok) << SharedKey(sk) << " = "
                      << (found == got.end() ? "(absent)" : found->second)
                      << " is no writer's last write";
    }
  };
  check();
  Reopen();
  check();
}

// kvs.stats counts every write, whether it led its group or joined one.
TEST_F(DBTest, StatsCountEveryWriteOfEveryGroup) {
  Open();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 300;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kPerThread; i++) {
        EXPECT_TRUE(
            Put(Key(t * kPerThread + i), "v", /*sync=*/i % 2 == 0).ok());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const std::string stats = Property("kvs.stats");
  int writes = 0;
  int groups = 0;
  const size_t at = stats.find("writes: ");
  ASSERT_NE(at, std::string::npos) << stats;
  ASSERT_EQ(std::sscanf(stats.c_str() + at, "writes: %d in %d groups", &writes,
                        &groups),
            2)
      << stats;
  EXPECT_EQ(writes, kThreads * kPerThread) << stats;
  EXPECT_GE(groups, 1);
  EXPECT_LE(groups, writes);
}

TEST_F(DBTest, ConcurrentSyncWritersAllSurvivePowerLoss) {
  Open();
  const int kPerThread = 300 / kScale;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 6; t++) {
    threads.emplace_back([&, t] {
      WriteOptions options;
      options.sync = t % 2 == 0;  // Non-sync writes ride along with sync ones.
      for (int i = 0; i < kPerThread; i++) {
        std::string k = OwnKey(t, i);
        if (!db_->Put(options, k, MakeValue(k, t, i, 300)).ok()) failures++;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  ASSERT_EQ(failures.load(), 0);
  // A final sync write makes every earlier write durable too.
  DB_ASSERT_OK(Put("last", "x", /*sync=*/true));
  PowerLoss();
  Open();
  Model got = Contents();
  EXPECT_EQ(got.size(), 6u * kPerThread + 1);
  for (int t = 0; t < 6; t++) {
    for (int i = 0; i < kPerThread; i++) {
      std::string k = OwnKey(t, i);
      EXPECT_EQ(got[k], MakeValue(k, t, i, 300));
    }
  }
}

TEST_F(DBTest, ConcurrentWritersPowerLoss) {
  // Threads write their own keys 0, 1, 2, ... in order, some with sync, while
  // the machine dies at a random moment. Afterwards each thread's keys must be
  // a prefix of what it wrote, and every write acknowledged before some
  // acknowledged sync write started (in any thread) must be there: the WAL
  // holds writes in acknowledgement order and a sync covers everything before.
  constexpr int kThreads = 4;
  for (int trial = 0; trial < 8 / kScale; trial++) {
    SCOPED_TRACE(trial);
    Close();
    DB_ASSERT_OK(DestroyDB(kDBName, DefaultOptions()));
    Open();
    std::atomic<uint64_t> clock{0};
    struct Record {
      uint64_t start;
      uint64_t end;  // 0: not acknowledged.
      bool sync;
    };
    std::vector<std::vector<Record>> records(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; t++) {
      threads.emplace_back([&, t] {
        Random rnd(trial * 100 + t);
        for (int i = 0; i < 5000; i++) {
          WriteOptions options;
          options.sync = rnd.OneIn(8);
          std::string k = OwnKey(t, i);
          Record r{clock.fetch_add(1) + 1, 0, options.sync};
          absl::Status s = db_->Put(options, k, MakeValue(k, t, i, 300));
          if (s.ok()) r.end = clock.fetch_add(1) + 1;
          records[t].push_back(r);
          if (!s.ok()) return;
        }
      });
    }
    Random rnd(trial);
    const uint64_t cut_at = 200 + rnd.Uniform(3000);
    while (clock.load() < cut_at) std::this_thread::yield();
    fs_->SetFilesystemActive(false);
    for (std::thread& th : threads) th.join();
    PowerLoss();
    Open();
    Model got = Contents();

    uint64_t covered = 0;  // Writes acknowledged before this tick must survive.
    for (const auto& rs : records) {
      for (const Record& r : rs) {
        if (r.sync && r.end != 0) covered = std::max(covered, r.start);
      }
    }
    size_t total = 0;
    for (int t = 0; t < kThreads; t++) {
      size_t p = 0;
      while (got.contains(OwnKey(t, p))) p++;
      total += p;
      ASSERT_LE(p, records[t].size());
      for (size_t i = 0; i < records[t].size(); i++) {
        const Record& r = records[t][i];
        if (r.end != 0 && r.end < covered) {
          ASSERT_LT(i, p) << "thread " << t << " lost write " << i
                          << " acknowledged before a synced write";
        }
      }
      for (size_t i = 0; i < p; i++) {
        ASSERT_EQ(got[OwnKey(t, i)], MakeValue(OwnKey(t, i), t, i, 300));
      }
    }
    // Nothing else: every present key is in some thread's prefix.
    ASSERT_EQ(got.size(), total);
  }
}

TEST_F(DBTest, ConcurrentIteratorsOutliveFlushesAndCompactions) {
  Open();
  for (int i = 0; i < 2000; i++) DB_ASSERT_OK(Put(Key(i), Value(i, 0)));
  // Each reader pins a view, then checks it after writers have moved on.
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; r++) {
    readers.emplace_back([&, r] {
      while (!stop.load()) {
        std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
        // Every key 0..1999 exists in every version of the data (writers only
        // overwrite them), with a value naming the key.
        int n = 0;
        for (it->SeekToFirst(); it->Valid(); it->Next(), n++) {
          if (!std::string(it->value()).starts_with(std::string(it->key()))) {
            failures++;
            break;
          }
        }
        if (!it->status().ok() || n < 2000) {
          ADD_FAILURE() << "reader " << r << " saw " << n << " keys, "
                        << it->status();
          failures++;
          return;
        }
      }
    });
  }
  for (int round = 1; round <= 4; round++) {
    for (int i = 0; i < 2000; i += 1 + round % 3) {
      DB_ASSERT_OK(Put(Key(i), Value(i, round)));
    }
    DB_ASSERT_OK(Put(Key(10000 + round), Value(10000 + round, round)));
    DB_ASSERT_OK(db_->Flush());
    if (round % 2 == 0) DB_ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  }
  stop.store(true);
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(DBTest, TightLevel0LimitsStallWritersWithoutDeadlock) {
  Options options = DefaultOptions();
  options.level0_file_num_compaction_trigger = 2;
  options.level0_slowdown_writes_trigger = 3;
  options.level0_stop_writes_trigger = 4;
  Open(options);
  const int kPerThread = 1500 / kScale;
  const int kKeys = 300;  // Fewer than kPerThread: keys are overwritten.
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; i++) {
        std::string k = OwnKey(t, i % kKeys);
        if (!db_->Put(WriteOptions(), k, MakeValue(k, t, i, 200)).ok()) {
          failures++;
        }
        if (t == 0 && i % 300 == 299 && !db_->Flush().ok()) failures++;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  ASSERT_EQ(failures.load(), 0);
  EXPECT_LE(NumLevel0Files(), 4);
  Model got = Contents();
  EXPECT_EQ(got.size(), 4u * kKeys);
  for (int t = 0; t < 4; t++) {
    for (int k = 0; k < kKeys; k++) {
      // The last i with i % kKeys == k.
      int last = ((kPerThread - 1 - k) / kKeys) * kKeys + k;
      std::string key = OwnKey(t, k);
      EXPECT_EQ(got[key], MakeValue(key, t, last, 200));
    }
  }
}

TEST_F(DBTest, CloseWhileCompactingThenReopen) {
  Options options = DefaultOptions();
  options.level0_file_num_compaction_trigger = 2;
  Model model;
  for (int round = 0; round < 4 / kScale + 2; round++) {
    SCOPED_TRACE(round);
    Open(options);
    ASSERT_TRUE(Contents() == model);
    for (int i = 0; i < 1500; i++) {
      std::string k = Key((i * 7 + round * 13) % 2000);
      std::string v = Value(i, round, 150);
      DB_ASSERT_OK(Put(k, v));
      model[k] = v;
    }
    // Close at once: a compaction is probably running and must stop cleanly.
    Close();
  }
  Open(NoCompactionOptions());
  EXPECT_TRUE(Contents() == model);
  // No table left behind by an interrupted compaction.
  std::string sstables = Property("kvs.sstables");
  for (const std::string& f : Files()) {
    if (!f.ends_with(".sst")) continue;
    std::string number = std::to_string(std::stoull(f.substr(0, f.size() - 4)));
    EXPECT_NE(sstables.find(" " + number + ":"), std::string::npos)
        << f << " is on disk but in no level:\n"
        << sstables;
  }
}

}  // namespace
}  // namespace kvs::db_testing
