// DB iterators and snapshots against a std::map model, with the data spread
// over the memtable, the immutable memtable and several level-0 files.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lsm/db.h"
#include "lsm/write_batch.h"
#include "tests/db/db_test_util.h"

namespace kvs::db_testing {
namespace {

// What a DB iterator over model restricted to [lower, upper) must do.
class ModelIterator {
 public:
  ModelIterator(const Model* model, std::optional<std::string> lower,
                std::optional<std::string> upper)
      : model_(model), lower_(std::move(lower)), upper_(std::move(upper)) {}

  bool Valid() const { return it_ != model_->end(); }
  const std::string& key() const { return it_->first; }
  const std::string& value() const { return it_->second; }

  void SeekToFirst() {
    it_ = lower_ ? model_->lower_bound(*lower_) : model_->begin();
    CheckUpper();
  }
  void SeekToLast() {
    it_ = upper_ ? model_->lower_bound(*upper_) : model_->end();
    if (it_ == model_->begin()) {
      it_ = model_->end();
      return;
    }
    --it_;
    CheckLower();
  }
  void Seek(const std::string& target) {
    it_ = model_->lower_bound(lower_ && target < *lower_ ? *lower_ : target);
    CheckUpper();
  }
  void Next() {
    ++it_;
    CheckUpper();
  }
  void Prev() {
    if (it_ == model_->begin()) {
      it_ = model_->end();
      return;
    }
    --it_;
    CheckLower();
  }

 private:
  void CheckUpper() {
    if (it_ != model_->end() && upper_ && it_->first >= *upper_) {
      it_ = model_->end();
    }
  }
  void CheckLower() {
    if (it_ != model_->end() && lower_ && it_->first < *lower_) {
      it_ = model_->end();
    }
  }

  const Model* model_;
  std::optional<std::string> lower_;
  std::optional<std::string> upper_;
  Model::const_iterator it_ = model_->end();
};

// Runs random moves on a DB iterator and the model side by side, comparing
// after each.
void CompareRandomWalk(DB* db, const Model& model, const Snapshot* snapshot,
                       std::optional<std::string> lower,
                       std::optional<std::string> upper, Random* rnd, int steps,
                       int key_space) {
  std::string_view lower_view;
  std::string_view upper_view;
  ReadOptions options;
  options.snapshot = snapshot;
  if (lower) {
    lower_view = *lower;
    options.iterate_lower_bound = &lower_view;
  }
  if (upper) {
    upper_view = *upper;
    options.iterate_upper_bound = &upper_view;
  }
  std::unique_ptr<Iterator> it = db->NewIterator(options);
  ModelIterator expect(&model, lower, upper);
  std::string trace;
  for (int step = 0; step < steps; step++) {
    int op = static_cast<int>(rnd->Uniform(10));
    if (!it->Valid() && op >= 5) op = static_cast<int>(rnd->Uniform(5));
    switch (op) {
      case 0:
        it->SeekToFirst();
        expect.SeekToFirst();
        trace += " SeekToFirst";
        break;
      case 1:
        it->SeekToLast();
        expect.SeekToLast();
        trace += " SeekToLast";
        break;
      case 2:
      case 3: {
        // Present keys, absent keys between them, and keys outside the data.
        std::string target = Key(rnd->Uniform(key_space + 2));
        if (rnd->OneIn(3)) target += "+";
        if (rnd->OneIn(20)) target = "";
        if (rnd->OneIn(20)) target = "zzz";
        it->Seek(target);
        expect.Seek(target);
        trace += " Seek(" + target + ")";
        break;
      }
      case 4:
        trace += " (stay)";
        break;
      case 5:
      case 6:
      case 7:
        it->Next();
        expect.Next();
        trace += " Next";
        break;
      default:
        it->Prev();
        expect.Prev();
        trace += " Prev";
        break;
    }
    ASSERT_EQ(it->Valid(), expect.Valid()) << trace;
    ASSERT_TRUE(it->status().ok()) << it->status() << trace;
    if (expect.Valid()) {
      ASSERT_EQ(it->key(), expect.key()) << trace;
      ASSERT_EQ(it->value(), expect.value()) << trace;
    }
    if (trace.size() > 2000) trace = "..." + trace.substr(trace.size() - 1000);
  }
}

// Random bounds: unset, inside the data, outside it, or an empty range.
std::optional<std::string> RandomBound(Random* rnd, int key_space) {
  switch (rnd->Uniform(6)) {
    case 0:
    case 1:
      return std::nullopt;
    case 2:
      return "";
    case 3:
      return "zzzz";
    default: {
      std::string k = Key(rnd->Uniform(key_space + 1));
      if (rnd->OneIn(2)) k += "+";
      return k;
    }
  }
}

// Applies n random updates to db and model over key_space keys, with flushes
// between them so the data ends up in several level-0 files, the memtable and
// (when a background flush is still running) the immutable memtable.
void RandomUpdates(DB* db, Model* model, Random* rnd, int n, int key_space,
                   int version) {
  for (int i = 0; i < n; i++) {
    uint64_t k = rnd->Uniform(key_space);
    if (rnd->OneIn(4)) {
      ASSERT_TRUE(db->Delete(WriteOptions(), Key(k)).ok());
      model->erase(Key(k));
    } else if (rnd->OneIn(10)) {
      WriteBatch batch;
      for (int j = 0; j < 5; j++) {
        uint64_t bk = rnd->Uniform(key_space);
        if (rnd->OneIn(3)) {
          batch.Delete(Key(bk));
          model->erase(Key(bk));
        } else {
          std::string v = Value(bk, version * 100000 + i * 10 + j, 50);
          batch.Put(Key(bk), v);
          (*model)[Key(bk)] = v;
        }
      }
      ASSERT_TRUE(db->Write(WriteOptions(), &batch).ok());
    } else {
      std::string v = Value(k, version * 100000 + i * 10, rnd->Uniform(300));
      ASSERT_TRUE(db->Put(WriteOptions(), Key(k), v).ok());
      (*model)[Key(k)] = v;
    }
    if (rnd->OneIn(n / 4 + 1)) ASSERT_TRUE(db->Flush().ok());
  }
}

TEST_F(DBTest, IteratorMatchesModelWithRandomMovesAndBounds) {
  const int kKeySpace = 300;
  for (uint64_t seed = 1; seed <= 4 / kScale + 1; seed++) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Close();
    DB_ASSERT_OK(DestroyDB(kDBName, DefaultOptions()));
    // Odd seeds keep every flush in level 0; even ones let compactions run.
    const bool compact = seed % 2 == 0;
    Open(compact ? DefaultOptions() : NoCompactionOptions());
    Random rnd(seed);
    Model model;
    RandomUpdates(db_.get(), &model, &rnd, 2000 / kScale, kKeySpace, 0);
    // One more level-0 file, which no compaction has taken yet (one file is
    // below the trigger): however far compactions got, at least two tables
    // hold data.
    ASSERT_TRUE(db_->Put(WriteOptions(), Key(0), "last").ok());
    model[Key(0)] = "last";
    ASSERT_TRUE(db_->Flush().ok());
    ASSERT_GT(compact ? NumTableFiles() : NumLevel0Files(), 1)
        << Property("kvs.stats");
    ASSERT_TRUE(Contents() == model);
    for (int walk = 0; walk < 8; walk++) {
      std::optional<std::string> lower = RandomBound(&rnd, kKeySpace);
      std::optional<std::string> upper = RandomBound(&rnd, kKeySpace);
      if (lower && upper && *lower > *upper) std::swap(lower, upper);
      SCOPED_TRACE("bounds [" + lower.value_or("-") + ", " +
                   upper.value_or("-") + ")");
      CompareRandomWalk(db_.get(), model, nullptr, lower, upper, &rnd,
                        400 / kScale, kKeySpace);
      if (HasFatalFailure()) return;
    }
  }
}

TEST_F(DBTest, IteratorBoundsEdgeCases) {
  Open();
  for (int i = 10; i < 20; i++) DB_ASSERT_OK(Put(Key(i), Value(i, 0, 10)));
  DB_ASSERT_OK(db_->Flush());
  for (int i = 15; i < 25; i++) DB_ASSERT_OK(Put(Key(i), Value(i, 1, 10)));
  DB_ASSERT_OK(Delete(Key(12)));

  auto scan = [&](std::optional<std::string> lower,
                  std::optional<std::string> upper) {
    std::string_view lv, uv;
    ReadOptions options;
    if (lower) {
      lv = *lower;
      options.iterate_lower_bound = &lv;
    }
    if (upper) {
      uv = *upper;
      options.iterate_upper_bound = &uv;
    }
    std::unique_ptr<Iterator> it = db_->NewIterator(options);
    Model forward = ScanForward(it.get());
    Model backward = ScanBackward(it.get());
    EXPECT_TRUE(forward == backward);
    std::vector<std::string> keys;
    for (const auto& [k, v] : forward) keys.push_back(k);
    return keys;
  };
  auto keys = [](int from, int to) {
    std::vector<std::string> out;
    for (int i = from; i < to; i++) {
      if (i != 12) out.push_back(Key(i));
    }
    return out;
  };
  EXPECT_EQ(scan(std::nullopt, std::nullopt), keys(10, 25));
  EXPECT_EQ(scan(Key(0), Key(100)), keys(10, 25));  // Bounds outside the data.
  EXPECT_EQ(scan("", "zzz"), keys(10, 25));
  EXPECT_EQ(scan(Key(14), Key(17)), keys(14, 17));
  EXPECT_TRUE(scan(Key(12), Key(13)).empty());  // Only a deleted key.
  EXPECT_TRUE(scan(Key(15), Key(15)).empty());  // Empty range.
  EXPECT_TRUE(scan(Key(17), Key(14)).empty());  // Lower above upper.
  EXPECT_TRUE(scan(Key(30), Key(40)).empty());  // After the data.
  EXPECT_TRUE(scan("a", "b").empty());          // Before the data.
  EXPECT_TRUE(scan(std::nullopt, Key(10)).empty());
  EXPECT_TRUE(scan(Key(25), std::nullopt).empty());
  EXPECT_EQ(scan(Key(24), std::nullopt), keys(24, 25));
  EXPECT_EQ(scan(std::nullopt, Key(11)), keys(10, 11));
  EXPECT_EQ(scan(Key(15) + "+", Key(18) + "+"), keys(16, 19));

  // Seek outside the bounds clamps to them (below) or ends (above).
  const std::string lower_key = Key(14);
  const std::string upper_key = Key(17);
  std::string_view lower = lower_key;
  std::string_view upper = upper_key;
  ReadOptions options;
  options.iterate_lower_bound = &lower;
  options.iterate_upper_bound = &upper;
  std::unique_ptr<Iterator> it = db_->NewIterator(options);
  it->Seek(Key(0));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), Key(14));
  it->Prev();
  EXPECT_FALSE(it->Valid());
  it->Seek(Key(17));
  EXPECT_FALSE(it->Valid());
  it->Seek(Key(16));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), Value(16, 1, 10));
  it->Next();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok()) << it->status();
}

TEST_F(DBTest, IteratorHidesDeletionsAndShowsNewestAcrossLayers) {
  Open();
  // Layer 1 (oldest table): a..e = 1.
  for (char c = 'a'; c <= 'e'; c++) DB_ASSERT_OK(Put(std::string(1, c), "1"));
  DB_ASSERT_OK(db_->Flush());
  // Layer 2: delete b, d; overwrite c.
  DB_ASSERT_OK(Delete("b"));
  DB_ASSERT_OK(Delete("d"));
  DB_ASSERT_OK(Put("c", "2"));
  DB_ASSERT_OK(db_->Flush());
  // Memtable: bring d back, delete a, e; new key f deleted again.
  DB_ASSERT_OK(Put("d", "3"));
  DB_ASSERT_OK(Delete("a"));
  DB_ASSERT_OK(Delete("e"));
  DB_ASSERT_OK(Put("f", "3"));
  DB_ASSERT_OK(Delete("f"));
  const Model want = {{"c", "2"}, {"d", "3"}};
  EXPECT_TRUE(Contents() == want);
  // Every position and direction change.
  std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
  it->Seek("a");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "c");
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "d");
  EXPECT_EQ(it->value(), "3");
  it->Prev();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "c");
  EXPECT_EQ(it->value(), "2");
  it->Prev();
  EXPECT_FALSE(it->Valid());
  it->Seek("e");
  EXPECT_FALSE(it->Valid());
  it->SeekToLast();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "d");
  it->Next();
  EXPECT_FALSE(it->Valid());
  it.reset();
  Reopen();
  EXPECT_TRUE(Contents() == want);
}

TEST_F(DBTest, ManyVersionsOfOneKey) {
  Open();
  DB_ASSERT_OK(Put("a", "first"));
  DB_ASSERT_OK(Put("c", "last"));
  const Snapshot* early = nullptr;
  const int kVersions = 6000 / kScale;
  for (int i = 0; i < kVersions; i++) {
    DB_ASSERT_OK(Put("b", std::to_string(i)));
    if (i == kVersions / 3) early = db_->GetSnapshot();
    if (i % 1000 == 999) DB_ASSERT_OK(db_->Flush());
  }
  // Going backward must pass every version of "b" to find its newest.
  std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
  it->SeekToLast();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "c");
  it->Prev();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "b");
  EXPECT_EQ(it->value(), std::to_string(kVersions - 1));
  it->Prev();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "a");
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), std::to_string(kVersions - 1));
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "c");
  it.reset();
  EXPECT_EQ(Get("b", early), std::to_string(kVersions / 3));
  EXPECT_TRUE(Contents(early) == (Model{{"a", "first"},
                                        {"b", std::to_string(kVersions / 3)},
                                        {"c", "last"}}));
  DB_ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  EXPECT_EQ(Get("b", early), std::to_string(kVersions / 3));
  db_->ReleaseSnapshot(early);
  DB_ASSERT_OK(Delete("b"));
  DB_ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  EXPECT_TRUE(Contents() == (Model{{"a", "first"}, {"c", "last"}}));
}

TEST_F(DBTest, IteratorIsAnImplicitSnapshot) {
  Open();
  Model model;
  Random rnd(5);
  RandomUpdates(db_.get(), &model, &rnd, 500, 100, 0);
  std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
  // Later writes and flushes are invisible to it.
  Model later = model;
  RandomUpdates(db_.get(), &later, &rnd, 1500, 100, 1);
  DB_ASSERT_OK(db_->Flush());
  EXPECT_TRUE(ScanForward(it.get()) == model);
  EXPECT_TRUE(ScanBackward(it.get()) == model);
  it.reset();
  EXPECT_TRUE(Contents() == later);
}

// --- 5. Snapshots -----------------------------------------------------------

TEST_F(DBTest, SnapshotsSeeExactlyTheirState) {
  Open();
  Random rnd(11);
  const int kKeySpace = 200;
  Model model;
  std::vector<std::pair<const Snapshot*, Model>> snapshots;
  for (int round = 0; round < 6; round++) {
    RandomUpdates(db_.get(), &model, &rnd, 400 / kScale, kKeySpace, round);
    snapshots.emplace_back(db_->GetSnapshot(), model);
  }
  // Overwrite and delete everything after the last snapshot, and flush.
  for (int k = 0; k < kKeySpace; k++) {
    if (k % 2 == 0) {
      DB_ASSERT_OK(Delete(Key(k)));
    } else {
      DB_ASSERT_OK(Put(Key(k), "final"));
    }
  }
  DB_ASSERT_OK(db_->Flush());
  Model final_state;
  for (int k = 1; k < kKeySpace; k += 2) final_state[Key(k)] = "final";

  auto check = [&](const Snapshot* snap, const Model& want) {
    for (int k = 0; k < kKeySpace; k++) {
      auto found = want.find(Key(k));
      ASSERT_EQ(Get(Key(k), snap),
                found == want.end() ? "NOT_FOUND" : found->second)
          << Key(k);
    }
    ASSERT_TRUE(Contents(snap) == want);
  };
  for (const auto& [snap, want] : snapshots) check(snap, want);
  check(nullptr, final_state);
  // Compacting everything must keep what the snapshots see.
  DB_ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  for (const auto& [snap, want] : snapshots) check(snap, want);
  check(nullptr, final_state);

  // Releasing some leaves the others intact, also through compactions that
  // may now drop what only the released ones saw.
  db_->ReleaseSnapshot(snapshots[1].first);
  db_->ReleaseSnapshot(snapshots[4].first);
  for (size_t i : {0, 2, 3, 5}) check(snapshots[i].first, snapshots[i].second);
  const std::string begin_key = Key(40);
  const std::string end_key = Key(160);
  std::string_view begin = begin_key;
  std::string_view end = end_key;
  DB_ASSERT_OK(db_->CompactRange(&begin, &end));
  for (size_t i : {0, 2, 3, 5}) check(snapshots[i].first, snapshots[i].second);
  // A snapshot's iterator also honours bounds and random moves.
  CompareRandomWalk(db_.get(), snapshots[2].second, snapshots[2].first, Key(50),
                    Key(150), &rnd, 500, kKeySpace);
  for (size_t i : {0, 2, 3, 5}) db_->ReleaseSnapshot(snapshots[i].first);
  check(nullptr, final_state);
  DB_ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  check(nullptr, final_state);
}

TEST_F(DBTest, SnapshotKeepsOverwrittenValuesThroughCompaction) {
  Open();
  DB_ASSERT_OK(Put("k", "v1"));
  DB_ASSERT_OK(Put("gone", "here"));
  DB_ASSERT_OK(db_->Flush());
  const Snapshot* s1 = db_->GetSnapshot();
  DB_ASSERT_OK(Put("k", "v2"));
  DB_ASSERT_OK(Delete("gone"));
  DB_ASSERT_OK(db_->Flush());
  const Snapshot* s2 = db_->GetSnapshot();
  DB_ASSERT_OK(Put("k", "v3"));
  DB_ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  EXPECT_EQ(Get("k", s1), "v1");
  EXPECT_EQ(Get("gone", s1), "here");
  EXPECT_EQ(Get("k", s2), "v2");
  EXPECT_EQ(Get("gone", s2), "NOT_FOUND");
  EXPECT_EQ(Get("k"), "v3");
  db_->ReleaseSnapshot(s1);
  DB_ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  EXPECT_EQ(Get("k", s2), "v2");
  EXPECT_EQ(Get("gone", s2), "NOT_FOUND");
  EXPECT_TRUE(Contents(s2) == (Model{{"k", "v2"}}));
  db_->ReleaseSnapshot(s2);
  DB_ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  EXPECT_TRUE(Contents() == (Model{{"k", "v3"}}));
}

TEST_F(DBTest, IteratorMatchesModelThroughCompactions) {
  Open();
  Random rnd(77);
  Model model;
  const int kKeySpace = 400;
  for (int round = 0; round < 4; round++) {
    RandomUpdates(db_.get(), &model, &rnd, 600 / kScale, kKeySpace, round);
    if (round % 2 == 1) {
      std::string b = Key(rnd.Uniform(kKeySpace));
      std::string e = Key(rnd.Uniform(kKeySpace));
      if (e < b) std::swap(b, e);
      std::string_view bv = b;
      std::string_view ev = e;
      DB_ASSERT_OK(db_->CompactRange(&bv, &ev));
    }
    ASSERT_TRUE(Contents() == model);
    CompareRandomWalk(db_.get(), model, nullptr, RandomBound(&rnd, kKeySpace),
                      std::nullopt, &rnd, 300, kKeySpace);
    if (HasFatalFailure()) return;
  }
  DB_ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  ASSERT_TRUE(Contents() == model);
  Reopen();
  ASSERT_TRUE(Contents() == model);
}

TEST_F(DBTest, SnapshotOfEmptyDatabaseAndOfDeletedKey) {
  Open();
  const Snapshot* empty = db_->GetSnapshot();
  DB_ASSERT_OK(Put("a", "1"));
  const Snapshot* one = db_->GetSnapshot();
  DB_ASSERT_OK(Delete("a"));
  DB_ASSERT_OK(db_->Flush());
  const Snapshot* deleted = db_->GetSnapshot();
  DB_ASSERT_OK(Put("a", "2"));
  EXPECT_EQ(Get("a", empty), "NOT_FOUND");
  EXPECT_EQ(Get("a", one), "1");
  EXPECT_EQ(Get("a", deleted), "NOT_FOUND");
  EXPECT_EQ(Get("a"), "2");
  EXPECT_TRUE(Contents(empty).empty());
  EXPECT_TRUE(Contents(one) == (Model{{"a", "1"}}));
  EXPECT_TRUE(Contents(deleted).empty());
  db_->ReleaseSnapshot(one);
  db_->ReleaseSnapshot(empty);
  db_->ReleaseSnapshot(deleted);
}

}  // namespace
}  // namespace kvs::db_testing
