#include "sstable/merging_iterator.h"

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "lsm/comparator.h"
#include "lsm/iterator.h"
#include "util/random.h"

namespace kvs {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

// An iterator over a sorted vector (duplicate keys allowed) that can be told to
// fail: after fail_after successful moves, the next move leaves it invalid with
// a DataLoss status.
class VectorIterator final : public Iterator {
 public:
  VectorIterator(const Comparator* cmp, Entries entries, int* live = nullptr)
      : cmp_(cmp), entries_(std::move(entries)), live_(live) {
    if (live_ != nullptr) ++*live_;
  }
  ~VectorIterator() override {
    if (live_ != nullptr) --*live_;
  }

  void FailAfter(int moves, std::string message = "child failed") {
    fail_after_ = moves;
    message_ = std::move(message);
  }

  bool Valid() const override {
    return status_.ok() && pos_ >= 0 &&
           pos_ < static_cast<int>(entries_.size());
  }
  void SeekToFirst() override {
    if (Move()) pos_ = 0;
  }
  void SeekToLast() override {
    if (Move()) pos_ = static_cast<int>(entries_.size()) - 1;
  }
  void Seek(std::string_view target) override {
    if (!Move()) return;
    pos_ = 0;
    while (pos_ < static_cast<int>(entries_.size()) &&
           cmp_->Compare(entries_[pos_].first, target) < 0) {
      pos_++;
    }
  }
  void Next() override {
    EXPECT_TRUE(Valid());
    if (Move()) pos_++;
  }
  void Prev() override {
    EXPECT_TRUE(Valid());
    if (Move()) pos_--;
  }
  std::string_view key() const override {
    EXPECT_TRUE(Valid());
    return entries_[pos_].first;
  }
  std::string_view value() const override {
    EXPECT_TRUE(Valid());
    return entries_[pos_].second;
  }
  absl::Status status() const override { return status_; }

 private:
  // False (and failed) if this move is the one that fails.
  bool Move() {
    if (fail_after_ >= 0 && moves_++ >= fail_after_) {
      status_ = absl::DataLossError(message_);
      return false;
    }
    return true;
  }

  const Comparator* cmp_;
  Entries entries_;
  int* live_;
  int pos_ = -1;
  int fail_after_ = -1;
  int moves_ = 0;
  std::string message_;
  absl::Status status_;
};

std::string Key(int k) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "k%03d", k);
  return buf;
}

// Checks a merged iterator against a multimap that received the children's
// entries in child order, so equal keys sit in the order the merge must
// produce: lower child index first.
class ModelChecker {
 public:
  using Model = std::multimap<std::string, std::string>;

  ModelChecker(Iterator* iter, const Model* model)
      : iter_(iter), model_(model), pos_(model->end()) {}

  void SeekToFirst() {
    iter_->SeekToFirst();
    pos_ = model_->begin();
  }
  void SeekToLast() {
    iter_->SeekToLast();
    pos_ = model_->empty() ? model_->end() : std::prev(model_->end());
  }
  void Seek(const std::string& target) {
    iter_->Seek(target);
    pos_ = model_->lower_bound(target);
  }
  void Next() {
    iter_->Next();
    ++pos_;
  }
  void Prev() {
    iter_->Prev();
    pos_ = pos_ == model_->begin() ? model_->end() : std::prev(pos_);
  }

  // Whether the model is positioned; asserts the iterator agrees.
  bool Check(const std::string& context) {
    bool valid = pos_ != model_->end();
    EXPECT_EQ(valid, iter_->Valid()) << context;
    EXPECT_TRUE(iter_->status().ok()) << context;
    if (valid && iter_->Valid()) {
      EXPECT_EQ(pos_->first, iter_->key()) << context;
      EXPECT_EQ(pos_->second, iter_->value()) << context;
    }
    return valid && iter_->Valid() && !::testing::Test::HasFailure();
  }

 private:
  Iterator* iter_;
  const Model* model_;
  Model::const_iterator pos_;
};

TEST(MergingIteratorTest, NoChildren) {
  std::unique_ptr<Iterator> it(NewMergingIterator(BytewiseComparator(), {}));
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  it->SeekToLast();
  EXPECT_FALSE(it->Valid());
  it->Seek("a");
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

TEST(MergingIteratorTest, OneChildIsReturnedItself) {
  Iterator* child =
      new VectorIterator(BytewiseComparator(), {{"a", "1"}, {"b", "2"}});
  std::unique_ptr<Iterator> it(
      NewMergingIterator(BytewiseComparator(), {child}));
  EXPECT_EQ(child, it.get());
}

TEST(MergingIteratorTest, DeletesChildren) {
  int live = 0;
  {
    std::vector<Iterator*> children;
    for (int i = 0; i < 5; i++) {
      children.push_back(
          new VectorIterator(BytewiseComparator(), {{Key(i), "v"}}, &live));
    }
    std::unique_ptr<Iterator> it(
        NewMergingIterator(BytewiseComparator(), children));
    EXPECT_EQ(5, live);
    it->SeekToFirst();
  }
  EXPECT_EQ(0, live);
}

TEST(MergingIteratorTest, EqualKeysLowerChildFirst) {
  const Comparator* cmp = BytewiseComparator();
  std::unique_ptr<Iterator> it(NewMergingIterator(
      cmp, {new VectorIterator(cmp, {{"a", "0a"}, {"b", "0b"}}),
            new VectorIterator(cmp, {{"b", "1b"}, {"c", "1c"}}),
            new VectorIterator(cmp, {{"a", "2a"}, {"b", "2b"}})}));
  std::vector<std::string> forward, backward;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    forward.emplace_back(it->value());
  }
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    backward.emplace_back(it->value());
  }
  EXPECT_EQ((std::vector<std::string>{"0a", "2a", "0b", "1b", "2b", "1c"}),
            forward);
  EXPECT_EQ((std::vector<std::string>{"1c", "2b", "1b", "0b", "2a", "0a"}),
            backward);

  // Turning around in the middle of a run of equal keys.
  it->Seek("b");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ("0b", it->value());
  it->Next();
  EXPECT_EQ("1b", it->value());
  it->Prev();
  EXPECT_EQ("0b", it->value());
  it->Prev();
  EXPECT_EQ("2a", it->value());
  it->Next();
  EXPECT_EQ("0b", it->value());
  it->Next();
  it->Next();
  EXPECT_EQ("2b", it->value());
  it->Prev();
  EXPECT_EQ("1b", it->value());
}

// A comparator ordering keys backwards, to show the merge orders by the
// comparator, not bytes.
class ReverseComparator final : public Comparator {
 public:
  int Compare(std::string_view a, std::string_view b) const override {
    return b.compare(a);
  }
  const char* Name() const override { return "test.Reverse"; }
  void FindShortestSeparator(std::string*, std::string_view) const override {}
  void FindShortSuccessor(std::string*) const override {}
};

TEST(MergingIteratorTest, UsesTheComparator) {
  ReverseComparator cmp;
  std::unique_ptr<Iterator> it(NewMergingIterator(
      &cmp, {new VectorIterator(&cmp, {{"c", ""}, {"a", ""}}),
             new VectorIterator(&cmp, {{"d", ""}, {"b", ""}})}));
  std::string keys;
  for (it->SeekToFirst(); it->Valid(); it->Next()) keys += it->key();
  EXPECT_EQ("dcba", keys);
  it->Seek("c");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ("c", it->key());
  it->Prev();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ("d", it->key());
}

// Random children (some empty, with keys repeated across and within children)
// checked against the model under random seeks, steps and turns.
void RunRandomTest(uint64_t seed) {
  Random rnd(seed);
  const Comparator* cmp = BytewiseComparator();
  const int num_children = static_cast<int>(rnd.Uniform(7));
  const int key_space = 1 + static_cast<int>(rnd.Skewed(7));
  ModelChecker::Model model;
  std::vector<Iterator*> children;
  for (int c = 0; c < num_children; c++) {
    std::multimap<std::string, std::string> child_entries;
    int n = rnd.OneIn(4) ? 0 : static_cast<int>(rnd.Skewed(6));
    for (int i = 0; i < n; i++) {
      std::string key = Key(static_cast<int>(rnd.Uniform(key_space)));
      child_entries.emplace(key, "c" + std::to_string(c) + "#" +
                                     std::to_string(child_entries.size()));
    }
    Entries entries(child_entries.begin(), child_entries.end());
    for (const auto& e : entries) model.insert(e);
    children.push_back(new VectorIterator(cmp, std::move(entries)));
  }
  std::unique_ptr<Iterator> it(NewMergingIterator(cmp, std::move(children)));
  ModelChecker check(it.get(), &model);

  bool valid = false;
  std::string trace = "seed " + std::to_string(seed) + ":";
  for (int op = 0; op < 300; op++) {
    int choice = static_cast<int>(rnd.Uniform(10));
    if (!valid && choice < 6) choice = 6 + choice % 4;
    switch (choice) {
      case 0:
      case 1:
      case 2:
        check.Next();
        trace += " N";
        break;
      case 3:
      case 4:
      case 5:
        check.Prev();
        trace += " P";
        break;
      case 6:
      case 7: {
        // Targets between, on and beyond the stored keys.
        std::string target = Key(static_cast<int>(rnd.Uniform(key_space + 2)));
        if (rnd.OneIn(2)) target.push_back('\0');
        check.Seek(target);
        trace += " S" + target;
        break;
      }
      case 8:
        check.SeekToFirst();
        trace += " F";
        break;
      case 9:
        check.SeekToLast();
        trace += " L";
        break;
    }
    valid = check.Check(trace);
    if (::testing::Test::HasFailure()) return;
  }

  // Full scans both ways.
  size_t n = 0;
  for (check.SeekToFirst(); check.Check(trace + " scan"); check.Next()) n++;
  EXPECT_EQ(model.size(), n);
  n = 0;
  for (check.SeekToLast(); check.Check(trace + " rscan"); check.Prev()) n++;
  EXPECT_EQ(model.size(), n);
}

TEST(MergingIteratorTest, RandomAgainstModel) {
  for (uint64_t seed = 1; seed <= 2000; seed++) {
    RunRandomTest(seed);
    if (::testing::Test::HasFailure()) break;
  }
}

TEST(MergingIteratorTest, ChildErrorDuringScanStopsTheMerge) {
  const Comparator* cmp = BytewiseComparator();
  Entries a, b;
  for (int i = 0; i < 20; i += 2) a.emplace_back(Key(i), "a");
  for (int i = 1; i < 20; i += 2) b.emplace_back(Key(i), "b");
  auto* failing = new VectorIterator(cmp, b);
  failing->FailAfter(4);  // SeekToFirst and three Nexts succeed.
  std::unique_ptr<Iterator> it(
      NewMergingIterator(cmp, {new VectorIterator(cmp, a), failing}));
  int seen = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) seen++;
  EXPECT_LT(seen, 20);
  EXPECT_GE(seen, 7);
  EXPECT_TRUE(absl::IsDataLoss(it->status())) << it->status();
}

TEST(MergingIteratorTest, ChildErrorOnSeek) {
  const Comparator* cmp = BytewiseComparator();
  auto* failing = new VectorIterator(cmp, {{"b", "x"}});
  failing->FailAfter(0);
  std::unique_ptr<Iterator> it(NewMergingIterator(
      cmp, {new VectorIterator(cmp, {{"a", "1"}, {"c", "2"}}), failing,
            new VectorIterator(cmp, {{"d", "3"}})}));
  it->Seek("a");
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(absl::IsDataLoss(it->status()));
  it->SeekToLast();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(absl::IsDataLoss(it->status()));
}

TEST(MergingIteratorTest, StatusIsTheLowestIndexChildError) {
  const Comparator* cmp = BytewiseComparator();
  auto* first = new VectorIterator(cmp, {{"a", "1"}});
  auto* second = new VectorIterator(cmp, {{"b", "2"}});
  first->FailAfter(1, "first");
  second->FailAfter(0, "second");
  std::unique_ptr<Iterator> it(NewMergingIterator(cmp, {first, second}));
  it->SeekToFirst();  // second fails here, first on its next move.
  EXPECT_FALSE(it->Valid());
  EXPECT_EQ(absl::DataLossError("second"), it->status());
  it->SeekToFirst();  // Now both have failed.
  EXPECT_FALSE(it->Valid());
  EXPECT_EQ(absl::DataLossError("first"), it->status());
}

TEST(MergingIteratorTest, ChildErrorOnDirectionChange) {
  const Comparator* cmp = BytewiseComparator();
  auto* failing = new VectorIterator(cmp, {{"b", "x"}, {"d", "y"}});
  failing->FailAfter(1);  // Fails on the repositioning step.
  std::unique_ptr<Iterator> it(NewMergingIterator(
      cmp, {new VectorIterator(cmp, {{"a", "1"}, {"c", "2"}}), failing}));
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ("a", it->key());
  it->Next();
  // "b" is now current: the failing child moves when the direction turns.
  ASSERT_TRUE(it->Valid());
  it->Prev();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(absl::IsDataLoss(it->status()));
}

}  // namespace
}  // namespace kvs
