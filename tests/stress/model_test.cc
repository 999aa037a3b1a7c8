// Model-based randomized test: seeded sequences of puts, deletes, batches,
// point reads, bounded scans in both directions, iterators held across writes,
// snapshots (held, read through, released), reopens with varied options,
// simulated process crashes, flushes and manual compactions of random ranges,
// run against the database on the in-memory file system and against a std::map
// (with a copy per snapshot and per held iterator). Any divergence fails with
// the seed and the operations that led to it.
//
// Longer runs: KVS_MODEL_OPS (operations per seed), KVS_MODEL_SEEDS (how many
// seeds), KVS_MODEL_SEED (the first seed), e.g.
//   bazel test //tests/stress:model_test --test_env=KVS_MODEL_OPS=200000 \
//     --test_env=KVS_MODEL_SEEDS=20 --test_output=streamed

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lsm/db.h"
#include "lsm/db_impl.h"
#include "lsm/iterator.h"
#include "lsm/options.h"
#include "lsm/write_batch.h"
#include "util/fault_injection_file_system.h"
#include "util/mem_file_system.h"
#include "util/random.h"

namespace kvs {
namespace {

#if defined(KVS_ASAN) || defined(KVS_TSAN)
constexpr int kDefaultOps = 1500;
#else
constexpr int kDefaultOps = 6000;
#endif
constexpr int kDefaultSeeds = 4;
constexpr int kNumKeys = 400;
constexpr size_t kHistory = 40;  // Operations shown on a divergence.
constexpr char kDBName[] = "/model_db";

using Model = std::map<std::string, std::string>;

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::strtoull(v, nullptr, 10);
}

std::string Show(std::string_view s) {
  std::string out = absl::CEscape(absl::string_view(s.data(), s.size()));
  if (out.size() > 40)
    out = out.substr(0, 40) + "...(" + std::to_string(s.size()) + " bytes)";
  return "\"" + out + "\"";
}

// Keys of many shapes: the empty key, one byte, binary bytes (0x00, 0xff),
// shared prefixes of different lengths, and a few long ones, so that ordering
// and prefix compression are exercised.
std::vector<std::string> MakeKeys() {
  std::vector<std::string> keys;
  keys.push_back("");
  keys.push_back(std::string(1, '\0'));
  keys.push_back(std::string(1, '\xff'));
  keys.push_back(std::string("\xff\xff\x00", 3));
  Random rnd(12345);
  while (keys.size() < kNumKeys) {
    const uint64_t shape = rnd.Uniform(10);
    std::string k;
    if (shape < 5) {
      k = "key" + std::to_string(rnd.Uniform(100000));
    } else if (shape < 7) {
      k = "key" + std::to_string(rnd.Uniform(100)) + std::string(1, '\0') +
          rnd.RandomBytes(rnd.Uniform(4));
    } else if (shape < 9) {
      k = rnd.RandomBytes(1 + rnd.Uniform(12));
    } else {
      k = std::string(100 + rnd.Uniform(300), 'p') +
          std::to_string(keys.size());
    }
    keys.push_back(k);
  }
  return keys;
}

// A cursor over a model map, with the semantics of a DB iterator.
struct ModelCursor {
  const Model* view = nullptr;
  Model::const_iterator pos;

  bool Valid() const { return pos != view->end(); }
  void SeekToFirst() { pos = view->begin(); }
  void SeekToLast() {
    pos = view->end();
    if (!view->empty()) --pos;
  }
  void Seek(const std::string& t) { pos = view->lower_bound(t); }
  void Next() { ++pos; }
  void Prev() {
    if (pos == view->begin()) {
      pos = view->end();
    } else {
      --pos;
    }
  }
};

// The part of m in [lower, upper).
Model Bounded(const Model& m, const std::optional<std::string>& lower,
              const std::optional<std::string>& upper) {
  auto b = lower ? m.lower_bound(*lower) : m.begin();
  auto e = upper ? m.lower_bound(*upper) : m.end();
  if (lower && upper && *upper <= *lower) return Model();
  return Model(b, e);
}

class ModelRunner {
 public:
  ModelRunner(uint64_t seed, uint64_t num_ops)
      : seed_(seed), num_ops_(num_ops), rnd_(seed), keys_(MakeKeys()) {}

  ~ModelRunner() { CloseDB(); }

  // Runs every operation; the first divergence as an error naming the seed
  // and the recent operations.
  absl::Status Run() {
    base_fs_ = NewMemFileSystem();
    fs_ = std::make_unique<FaultInjectionFileSystem>(base_fs_.get());
    absl::Status s = OpenDB();
    for (op_index_ = 0; s.ok() && op_index_ < num_ops_; ++op_index_) {
      s = Step();
    }
    if (s.ok()) s = CheckAll("final");
    if (s.ok()) {
      Note("reopen (final)");
      CloseDB();
      s = OpenDB();
      if (s.ok()) s = CheckAll("after final reopen");
    }
    if (s.ok()) return s;
    std::string msg = absl::StrCat("seed ", seed_, ", operation #", op_index_,
                                   ": ", s.message(), "\nlast operations:");
    for (const std::string& h : history_) absl::StrAppend(&msg, "\n  ", h);
    return absl::Status(s.code(), msg);
  }

  uint64_t ops_done() const { return op_index_; }
  const std::map<std::string, uint64_t>& counts() const { return counts_; }

 private:
  struct HeldSnapshot {
    const Snapshot* snapshot;
    Model state;
  };
  struct HeldIterator {
    std::unique_ptr<Iterator> it;
    Model view;  // The model as of creation, within the bounds.
    ModelCursor cursor;
    std::string name;
    // The bound strings the iterator's ReadOptions point at.
    std::unique_ptr<std::string> lower, upper;
    std::string_view lower_view, upper_view;
  };

  void Note(std::string what) {
    counts_[what.substr(0, what.find_first_of("( "))]++;
    history_.push_back(absl::StrCat("#", op_index_, " ", what));
    if (history_.size() > kHistory) history_.pop_front();
  }

  const std::string& RandomKey() { return keys_[rnd_.Uniform(keys_.size())]; }

  // Sometimes a key that is not in the key set, to land between keys.
  std::string RandomTarget() {
    if (rnd_.OneIn(4)) return RandomKey() + std::string(1, '\0');
    if (rnd_.OneIn(8)) return rnd_.RandomBytes(rnd_.Uniform(3));
    return RandomKey();
  }

  std::string RandomValue() {
    if (rnd_.OneIn(300)) return rnd_.RandomBytes(50000 + rnd_.Uniform(100000));
    if (rnd_.OneIn(20)) return "";
    std::string v = absl::StrCat("v", op_index_, ":");
    v += rnd_.RandomBytes(rnd_.Skewed(11));
    return v;
  }

  absl::Status OpenDB() {
    Options o;
    o.create_if_missing = true;
    o.file_system = fs_.get();
    // Varied on every reopen: what was written with one setting is read with
    // another.
    const size_t buffers[] = {64 << 10, 128 << 10, 1 << 20};
    o.write_buffer_size = buffers[rnd_.Uniform(3)];
    const size_t blocks[] = {256, 1024, 4096};
    o.block_size = blocks[rnd_.Uniform(3)];
    o.block_restart_interval = 1 + static_cast<int>(rnd_.Uniform(16));
    o.compression =
        rnd_.OneIn(2) ? CompressionType::kSnappy : CompressionType::kNone;
    o.bloom_bits_per_key = rnd_.OneIn(3) ? 0 : 10;
    o.max_file_size = 64 << 10;
    o.max_bytes_for_level_base = 128 << 10;
    o.max_bytes_for_level_multiplier = 4;
    o.level0_file_num_compaction_trigger =
        2 + static_cast<int>(rnd_.Uniform(3));
    o.num_levels = 4 + static_cast<int>(rnd_.Uniform(4));
    o.compaction_priority = rnd_.OneIn(2)
                                ? CompactionPriority::kMinOverlappingRatio
                                : CompactionPriority::kRoundRobin;
    o.block_cache_size = rnd_.OneIn(2) ? (8 << 20) : (32 << 10);
    absl::StatusOr<std::unique_ptr<DB>> db = DB::Open(o, kDBName);
    if (!db.ok()) return db.status();
    db_ = std::move(*db);
    return absl::OkStatus();
  }

  void CloseDB() {
    iterators_.clear();
    for (HeldSnapshot& s : snapshots_) db_->ReleaseSnapshot(s.snapshot);
    snapshots_.clear();
    db_.reset();
  }

  absl::Status Diverged(std::string what) {
    return absl::InternalError(std::move(what));
  }

  absl::Status CompareCursor(Iterator* it, const ModelCursor& c,
                             const std::string& where) {
    if (!it->status().ok()) {
      return Diverged(
          absl::StrCat(where, ": iterator error ", it->status().ToString()));
    }
    if (it->Valid() != c.Valid()) {
      return Diverged(absl::StrCat(
          where, ": iterator ",
          it->Valid() ? "at " + Show(it->key()) : "invalid", ", model ",
          c.Valid() ? "at " + Show(c.pos->first) : "invalid"));
    }
    if (!c.Valid()) return absl::OkStatus();
    if (it->key() != c.pos->first || it->value() != c.pos->second) {
      return Diverged(absl::StrCat(
          where, ": iterator at ", Show(it->key()), " = ", Show(it->value()),
          ", model at ", Show(c.pos->first), " = ", Show(c.pos->second)));
    }
    return absl::OkStatus();
  }

  // One random move of both, then a comparison.
  absl::Status MoveAndCompare(Iterator* it, ModelCursor* c, std::string* log) {
    const uint64_t r = rnd_.Uniform(20);
    std::string what;
    if (r == 0 || (!c->Valid() && r < 8)) {
      it->SeekToFirst();
      c->SeekToFirst();
      what = "first";
    } else if (r == 1 || (!c->Valid() && r < 14)) {
      it->SeekToLast();
      c->SeekToLast();
      what = "last";
    } else if (r <= 3 || !c->Valid()) {
      std::string t = RandomTarget();
      it->Seek(t);
      c->Seek(t);
      what = "seek " + Show(t);
    } else if (r <= 11) {
      it->Next();
      c->Next();
      what = "next";
    } else {
      it->Prev();
      c->Prev();
      what = "prev";
    }
    absl::StrAppend(log, " ", what);
    return CompareCursor(it, *c, absl::StrCat("after", *log));
  }

  const Snapshot* PickSnapshot(const Model** state, std::string* name) {
    *state = &model_;
    *name = "latest";
    if (snapshots_.empty() || rnd_.OneIn(2)) return nullptr;
    const size_t i = rnd_.Uniform(snapshots_.size());
    *state = &snapshots_[i].state;
    *name = absl::StrCat("snapshot ", i);
    return snapshots_[i].snapshot;
  }

  void PickBounds(std::optional<std::string>* lower,
                  std::optional<std::string>* upper) {
    if (rnd_.OneIn(2)) *lower = RandomTarget();
    if (rnd_.OneIn(2)) *upper = RandomTarget();
  }

  absl::Status Step() {
    const uint64_t r = rnd_.Uniform(1000);
    if (r < 250) return DoPut();
    if (r < 330) return DoDelete();
    if (r < 410) return DoBatch();
    if (r < 570) return DoGet();
    if (r < 690) return DoScan();
    if (r < 730) return DoNewHeldIterator();
    if (r < 820) return DoStepHeldIterator();
    if (r < 850) return DoTakeSnapshot();
    if (r < 875) return DoReleaseSnapshot();
    if (r < 890) return DoFlush();
    if (r < 905) return DoCompactRange();
    if (r < 908) return DoReopen();
    if (r < 910) return DoCrashReopen();
    if (r < 915) return DoCheckInvariants();
    if (r < 920) {
      Note("full_check");
      return CheckAll("full check");
    }
    return DoPut();
  }

  absl::Status DoPut() {
    const std::string& key = RandomKey();
    std::string value = RandomValue();
    WriteOptions wo;
    wo.sync = rnd_.OneIn(50);
    Note(absl::StrCat("put ", Show(key), " = ", Show(value)));
    absl::Status s = db_->Put(wo, key, value);
    if (!s.ok()) return s;
    model_[key] = std::move(value);
    return absl::OkStatus();
  }

  absl::Status DoDelete() {
    const std::string& key = RandomKey();
    Note(absl::StrCat("delete ", Show(key)));
    absl::Status s = db_->Delete(WriteOptions(), key);
    if (!s.ok()) return s;
    model_.erase(key);
    return absl::OkStatus();
  }

  absl::Status DoBatch() {
    WriteBatch batch;
    Model after = model_;
    std::string desc = "batch {";
    const int n = static_cast<int>(rnd_.Uniform(rnd_.OneIn(10) ? 200 : 12));
    for (int i = 0; i < n; ++i) {
      const std::string& key = RandomKey();
      if (rnd_.OneIn(3)) {
        batch.Delete(key);
        after.erase(key);
        absl::StrAppend(&desc, " del ", Show(key));
      } else {
        std::string value = RandomValue();
        batch.Put(key, value);
        absl::StrAppend(&desc, " put ", Show(key), "=", Show(value));
        after[key] = std::move(value);
      }
    }
    Note(desc + " }");
    absl::Status s = db_->Write(WriteOptions(), &batch);
    if (!s.ok()) return s;
    model_ = std::move(after);
    return absl::OkStatus();
  }

  absl::Status DoGet() {
    const Model* state;
    std::string name;
    ReadOptions ro;
    ro.snapshot = PickSnapshot(&state, &name);
    ro.verify_checksums = rnd_.OneIn(2);
    ro.fill_cache = !rnd_.OneIn(4);
    // Mostly keys that exist (or existed), sometimes ones between keys.
    const std::string key = rnd_.OneIn(5) ? RandomTarget() : RandomKey();
    Note(absl::StrCat("get ", Show(key), " @", name));
    absl::StatusOr<std::string> got = db_->Get(ro, key);
    auto want = state->find(key);
    if (want == state->end()) {
      if (absl::IsNotFound(got.status())) return absl::OkStatus();
      return Diverged(
          absl::StrCat("get ", Show(key), ": model has nothing, db has ",
                       got.ok() ? Show(*got) : got.status().ToString()));
    }
    if (!got.ok()) {
      return Diverged(absl::StrCat("get ", Show(key), ": model has ",
                                   Show(want->second), ", db says ",
                                   got.status().ToString()));
    }
    if (*got != want->second) {
      return Diverged(absl::StrCat("get ", Show(key), ": model has ",
                                   Show(want->second), ", db has ",
                                   Show(*got)));
    }
    return absl::OkStatus();
  }

  // A fresh iterator, with or without snapshot and bounds, moved around.
  absl::Status DoScan() {
    const Model* state;
    std::string name;
    ReadOptions ro;
    ro.snapshot = PickSnapshot(&state, &name);
    std::optional<std::string> lower, upper;
    PickBounds(&lower, &upper);
    std::string_view lv, uv;
    if (lower) {
      lv = *lower;
      ro.iterate_lower_bound = &lv;
    }
    if (upper) {
      uv = *upper;
      ro.iterate_upper_bound = &uv;
    }
    Model view = Bounded(*state, lower, upper);
    std::string desc =
        absl::StrCat("scan @", name, " [", lower ? Show(*lower) : "-", ", ",
                     upper ? Show(*upper) : "-", ")");
    Note(desc);
    std::unique_ptr<Iterator> it = db_->NewIterator(ro);
    ModelCursor c{&view, view.end()};
    // Either a whole pass in one direction, or a random walk.
    if (rnd_.OneIn(3)) {
      const bool forward = rnd_.OneIn(2);
      if (forward) {
        it->SeekToFirst();
        c.SeekToFirst();
      } else {
        it->SeekToLast();
        c.SeekToLast();
      }
      size_t n = 0;
      while (true) {
        absl::Status s =
            CompareCursor(it.get(), c,
                          absl::StrCat(desc, forward ? " forward" : " backward",
                                       " step ", n));
        if (!s.ok() || !c.Valid()) return s;
        if (forward) {
          it->Next();
          c.Next();
        } else {
          it->Prev();
          c.Prev();
        }
        n++;
      }
    }
    std::string log = desc + ":";
    const int moves = 1 + static_cast<int>(rnd_.Uniform(30));
    for (int i = 0; i < moves; ++i) {
      absl::Status s = MoveAndCompare(it.get(), &c, &log);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // An iterator kept across later writes, flushes and compactions: it must go
  // on showing the state it was created on.
  absl::Status DoNewHeldIterator() {
    if (iterators_.size() >= 3) iterators_.erase(iterators_.begin());
    auto h = std::make_unique<HeldIterator>();
    const Model* state;
    std::string name;
    ReadOptions ro;
    ro.snapshot = PickSnapshot(&state, &name);
    std::optional<std::string> lower, upper;
    PickBounds(&lower, &upper);
    if (lower) {
      h->lower = std::make_unique<std::string>(*lower);
      h->lower_view = *h->lower;
      ro.iterate_lower_bound = &h->lower_view;
    }
    if (upper) {
      h->upper = std::make_unique<std::string>(*upper);
      h->upper_view = *h->upper;
      ro.iterate_upper_bound = &h->upper_view;
    }
    h->view = Bounded(*state, lower, upper);
    h->cursor = ModelCursor{&h->view, h->view.end()};
    h->name =
        absl::StrCat("held iterator @", name, " [", lower ? Show(*lower) : "-",
                     ", ", upper ? Show(*upper) : "-", ")");
    Note("new " + h->name);
    h->it = db_->NewIterator(ro);
    iterators_.push_back(std::move(h));
    return absl::OkStatus();
  }

  absl::Status DoStepHeldIterator() {
    if (iterators_.empty()) return DoNewHeldIterator();
    HeldIterator* h = iterators_[rnd_.Uniform(iterators_.size())].get();
    std::string log = "step " + h->name + ":";
    const int moves = 1 + static_cast<int>(rnd_.Uniform(6));
    absl::Status s;
    for (int i = 0; i < moves && s.ok(); ++i) {
      s = MoveAndCompare(h->it.get(), &h->cursor, &log);
    }
    Note(log);
    return s;
  }

  absl::Status DoTakeSnapshot() {
    if (snapshots_.size() >= 6) return DoReleaseSnapshot();
    Note(absl::StrCat("snapshot ", snapshots_.size()));
    snapshots_.push_back({db_->GetSnapshot(), model_});
    return absl::OkStatus();
  }

  absl::Status DoReleaseSnapshot() {
    if (snapshots_.empty()) return absl::OkStatus();
    const size_t i = rnd_.Uniform(snapshots_.size());
    Note(absl::StrCat("release snapshot ", i));
    // Held iterators made on it stay valid: they pin their own state.
    db_->ReleaseSnapshot(snapshots_[i].snapshot);
    snapshots_.erase(snapshots_.begin() + static_cast<long>(i));
    return absl::OkStatus();
  }

  absl::Status DoFlush() {
    Note("flush");
    return db_->Flush();
  }

  absl::Status DoCompactRange() {
    std::optional<std::string> b, e;
    if (!rnd_.OneIn(4)) b = RandomTarget();
    if (!rnd_.OneIn(4)) e = RandomTarget();
    if (b && e && *e < *b) std::swap(b, e);
    Note(absl::StrCat("compact_range [", b ? Show(*b) : "-", ", ",
                      e ? Show(*e) : "-", "]"));
    std::string_view bv, ev;
    if (b) bv = *b;
    if (e) ev = *e;
    return db_->CompactRange(b ? &bv : nullptr, e ? &ev : nullptr);
  }

  absl::Status DoReopen() {
    Note("reopen");
    CloseDB();
    absl::Status s = OpenDB();
    if (!s.ok()) return s;
    return CheckAll("after reopen");
  }

  // The process dies: nothing more reaches the files (no final flush, no
  // MANIFEST update), but everything already written stays, as with a killed
  // process whose writes sit in the page cache. Nothing acknowledged may be
  // missing afterwards, synced or not.
  absl::Status DoCrashReopen() {
    Note("crash_reopen");
    fs_->SetFilesystemActive(false);
    CloseDB();
    fs_->SetFilesystemActive(true);
    absl::Status s = OpenDB();
    if (!s.ok()) return s;
    return CheckAll("after crash and reopen");
  }

  absl::Status DoCheckInvariants() {
    Note("check_invariants");
    auto* impl = static_cast<DBImpl*>(db_.get());
    absl::Status s = impl->WaitForBackgroundWork();
    if (s.ok()) s = impl->CheckInvariants();
    return s;
  }

  // The whole database (and each snapshot) against the model, both ways.
  absl::Status CheckAll(const std::string& why) {
    for (size_t i = 0; i <= snapshots_.size(); ++i) {
      ReadOptions ro;
      const Model* state = &model_;
      if (i < snapshots_.size()) {
        ro.snapshot = snapshots_[i].snapshot;
        state = &snapshots_[i].state;
      }
      std::unique_ptr<Iterator> it = db_->NewIterator(ro);
      ModelCursor c{state, state->end()};
      it->SeekToFirst();
      c.SeekToFirst();
      for (size_t n = 0;; ++n) {
        absl::Status s = CompareCursor(
            it.get(), c,
            absl::StrCat(why, ", forward step ", n, " of view ", i));
        if (!s.ok()) return s;
        if (!c.Valid()) break;
        it->Next();
        c.Next();
      }
      it->SeekToLast();
      c.SeekToLast();
      for (size_t n = 0;; ++n) {
        absl::Status s = CompareCursor(
            it.get(), c,
            absl::StrCat(why, ", backward step ", n, " of view ", i));
        if (!s.ok()) return s;
        if (!c.Valid()) break;
        it->Prev();
        c.Prev();
      }
    }
    return absl::OkStatus();
  }

  const uint64_t seed_;
  const uint64_t num_ops_;
  Random rnd_;
  const std::vector<std::string> keys_;
  std::unique_ptr<FileSystem> base_fs_;
  std::unique_ptr<FaultInjectionFileSystem> fs_;
  std::unique_ptr<DB> db_;
  Model model_;
  std::vector<HeldSnapshot> snapshots_;
  std::vector<std::unique_ptr<HeldIterator>> iterators_;
  std::deque<std::string> history_;
  std::map<std::string, uint64_t> counts_;
  uint64_t op_index_ = 0;
};

TEST(ModelTest, RandomOperationsMatchTheModel) {
  const uint64_t ops = EnvOr("KVS_MODEL_OPS", kDefaultOps);
  const uint64_t seeds = EnvOr("KVS_MODEL_SEEDS", kDefaultSeeds);
  const uint64_t first = EnvOr("KVS_MODEL_SEED", 301);
  for (uint64_t seed = first; seed < first + seeds; ++seed) {
    ModelRunner runner(seed, ops);
    absl::Status s = runner.Run();
    ASSERT_TRUE(s.ok()) << s.message();
    std::string counts;
    for (const auto& [name, n] : runner.counts()) {
      absl::StrAppend(&counts, " ", name, "=", n);
    }
    std::printf("seed %llu: %llu operations:%s\n",
                static_cast<unsigned long long>(seed),
                static_cast<unsigned long long>(runner.ops_done()),
                counts.c_str());
  }
}

}  // namespace
}  // namespace kvs
