#include "sstable/two_level_iterator.h"

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "lsm/comparator.h"
#include "sstable/empty_iterator.h"
#include "util/random.h"

namespace kvs {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

// An iterator over a sorted vector.
class VectorIterator final : public Iterator {
 public:
  explicit VectorIterator(Entries entries) : entries_(std::move(entries)) {}
  bool Valid() const override { return pos_ < entries_.size(); }
  void SeekToFirst() override { pos_ = 0; }
  void SeekToLast() override {
    pos_ = entries_.empty() ? entries_.size() : entries_.size() - 1;
  }
  void Seek(std::string_view target) override {
    pos_ = 0;
    while (pos_ < entries_.size() && entries_[pos_].first < target) pos_++;
  }
  void Next() override { pos_++; }
  void Prev() override { pos_ = pos_ == 0 ? entries_.size() : pos_ - 1; }
  std::string_view key() const override { return entries_[pos_].first; }
  std::string_view value() const override { return entries_[pos_].second; }
  absl::Status status() const override { return absl::OkStatus(); }

 private:
  Entries entries_;
  size_t pos_ = 0;
};

// Data "blocks" split by an index whose values are block numbers; blocks listed
// in bad fail.
struct TwoLevel {
  std::vector<Entries> blocks;
  std::vector<int> bad;
  int opened = 0;
  // Index values padded past the two-level iterator's inline copy of the
  // current one.
  bool long_index_values = false;
  // Make through the DataBlockFunction overload instead of std::function.
  bool function_pointer = false;

  Iterator* Make() {
    Entries index;
    for (size_t i = 0; i < blocks.size(); i++) {
      // The separator for block i: its last key, or (when empty) the previous
      // separator, which still satisfies the index contract.
      std::string sep = blocks[i].empty()
                            ? (index.empty() ? "" : index.back().first)
                            : blocks[i].back().first;
      // std::stoi skips the leading padding.
      std::string value = long_index_values ? std::string(40, ' ') : "";
      index.emplace_back(sep, value + std::to_string(i));
    }
    if (function_pointer) {
      ReadOptions options;
      options.fill_cache = false;  // Checked in OpenFromFunctionPointer.
      return NewTwoLevelIterator(new VectorIterator(index),
                                 &OpenFromFunctionPointer, this, options);
    }
    return NewTwoLevelIterator(
        new VectorIterator(index),
        [this](std::string_view v) -> Iterator* { return Open(v); });
  }

  Iterator* Open(std::string_view index_value) {
    opened++;
    int i = std::stoi(std::string(index_value));
    for (int b : bad) {
      if (b == i) return NewErrorIterator(absl::DataLossError("bad"));
    }
    return new VectorIterator(blocks[i]);
  }

  static Iterator* OpenFromFunctionPointer(const void* arg,
                                           const ReadOptions& options,
                                           std::string_view index_value) {
    EXPECT_FALSE(options.fill_cache);
    // The tests own the TwoLevel and are single-threaded.
    auto* self = const_cast<TwoLevel*>(static_cast<const TwoLevel*>(arg));
    return self->Open(index_value);
  }

  Entries All() const {
    Entries all;
    for (const Entries& b : blocks) all.insert(all.end(), b.begin(), b.end());
    return all;
  }
};

TEST(EmptyIteratorTest, EmptyAndError) {
  std::unique_ptr<Iterator> empty(NewEmptyIterator());
  empty->SeekToFirst();
  EXPECT_FALSE(empty->Valid());
  empty->Seek("x");
  EXPECT_FALSE(empty->Valid());
  EXPECT_TRUE(empty->status().ok());

  std::unique_ptr<Iterator> error(
      NewErrorIterator(absl::DataLossError("broken")));
  error->SeekToLast();
  EXPECT_FALSE(error->Valid());
  EXPECT_TRUE(absl::IsDataLoss(error->status()));
  EXPECT_EQ(error->status().message(), "broken");
}

TEST(EmptyIteratorTest, CleanupsRun) {
  int runs = 0;
  {
    std::unique_ptr<Iterator> it(NewEmptyIterator());
    it->RegisterCleanup([&runs] { runs++; });
    it->RegisterCleanup([&runs] { runs += 10; });
  }
  EXPECT_EQ(runs, 11);
}

TEST(IteratorCleanupTest, NoneRegistered) {
  std::unique_ptr<Iterator> it(NewEmptyIterator());
  it.reset();  // Destroys an iterator with no cleanup.
  SUCCEED();
}

TEST(IteratorCleanupTest, RunInRegistrationOrder) {
  for (int n = 1; n <= 6; n++) {
    std::vector<int> order;
    {
      std::unique_ptr<Iterator> it(NewEmptyIterator());
      for (int i = 0; i < n; i++) {
        it->RegisterCleanup([&order, i] { order.push_back(i); });
      }
      EXPECT_TRUE(order.empty());
    }
    std::vector<int> expected;
    for (int i = 0; i < n; i++) expected.push_back(i);
    EXPECT_EQ(order, expected) << n << " cleanups";
  }
}

// Each kind of callable (small or too big for the inline slot, copyable or
// move-only, a std::function) runs exactly once and is destroyed: the
// shared_ptr each one captures is released (leaks are also caught by ASan).
TEST(IteratorCleanupTest, EveryKindOfCallableRunsOnceAndIsDestroyed) {
  auto token = std::make_shared<int>(0);
  std::vector<std::string> ran;
  for (bool first_slot : {true, false}) {
    {
      std::unique_ptr<Iterator> it(NewEmptyIterator());
      if (!first_slot) it->RegisterCleanup([] {});
      it->RegisterCleanup([token, &ran] { ran.push_back("small"); });
      std::array<char, 200> big{};
      big[199] = 'b';
      it->RegisterCleanup([token, big, &ran] {
        ran.push_back(std::string("big ") + big[199]);
      });
      auto owned = std::make_unique<std::string>("move-only");
      it->RegisterCleanup(
          [token, owned = std::move(owned), &ran] { ran.push_back(*owned); });
      std::function<void()> fn = [token, &ran] { ran.push_back("function"); };
      it->RegisterCleanup(fn);
      EXPECT_EQ(token.use_count(), 6);  // fn still holds one.
    }
    EXPECT_EQ(token.use_count(), 1);
    EXPECT_EQ(ran, (std::vector<std::string>{"small", "big b", "move-only",
                                             "function"}));
    ran.clear();
  }
}

void CheckAgainstModel(TwoLevel& tl) {
  Entries all = tl.All();
  std::unique_ptr<Iterator> it(tl.Make());
  size_t i = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), i++) {
    ASSERT_LT(i, all.size());
    EXPECT_EQ(it->key(), all[i].first);
    EXPECT_EQ(it->value(), all[i].second);
  }
  EXPECT_EQ(i, all.size());
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    ASSERT_GT(i, 0u);
    i--;
    EXPECT_EQ(it->key(), all[i].first);
  }
  EXPECT_EQ(i, 0u);
  for (size_t j = 0; j < all.size(); j++) {
    it->Seek(all[j].first);
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(it->key(), all[j].first);
    it->Seek(all[j].first + '\0');
    if (j + 1 < all.size()) {
      ASSERT_TRUE(it->Valid());
      EXPECT_EQ(it->key(), all[j + 1].first);
      it->Prev();
      ASSERT_TRUE(it->Valid());
      EXPECT_EQ(it->key(), all[j].first);
    } else {
      EXPECT_FALSE(it->Valid());
    }
  }
  EXPECT_TRUE(it->status().ok());
}

TEST(TwoLevelIteratorTest, EmptyIndex) {
  TwoLevel tl;
  CheckAgainstModel(tl);
  EXPECT_EQ(tl.opened, 0);
}

TEST(TwoLevelIteratorTest, OnlyEmptyBlocks) {
  TwoLevel tl;
  tl.blocks = {{}, {}, {}};
  CheckAgainstModel(tl);
}

TEST(TwoLevelIteratorTest, SkipsEmptyBlocksBothWays) {
  TwoLevel tl;
  tl.blocks = {{}, {{"a", "1"}, {"b", "2"}}, {}, {}, {{"c", "3"}},
               {}, {{"d", "4"}, {"e", "5"}}, {}};
  CheckAgainstModel(tl);
}

// Also covers long index values and the DataBlockFunction overload.
TEST(TwoLevelIteratorTest, RandomLayouts) {
  Random rnd(7);
  for (int round = 0; round < 200; round++) {
    std::map<std::string, std::string> m;
    int n = static_cast<int>(rnd.Uniform(40));
    while (static_cast<int>(m.size()) < n) {
      m[rnd.RandomBytes(1 + rnd.Uniform(3))] = std::to_string(m.size());
    }
    TwoLevel tl;
    tl.long_index_values = rnd.OneIn(2);
    tl.function_pointer = rnd.OneIn(2);
    tl.blocks.emplace_back();
    for (const auto& e : m) {
      if (rnd.OneIn(3)) tl.blocks.emplace_back();
      if (rnd.OneIn(4)) tl.blocks.emplace_back();  // Sometimes an empty one.
      tl.blocks.back().push_back(e);
    }
    CheckAgainstModel(tl);
  }
}

TEST(TwoLevelIteratorTest, ReusesTheCurrentDataIterator) {
  for (bool long_values : {false, true}) {
    TwoLevel tl;
    tl.long_index_values = long_values;
    tl.blocks = {{{"a", "1"}, {"b", "2"}, {"c", "3"}}, {{"d", "4"}}};
    std::unique_ptr<Iterator> it(tl.Make());
    it->Seek("a");
    it->Seek("b");
    it->Seek("c");
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(tl.opened, 1);
    it->Seek("d");
    it->Seek("d");
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(it->value(), "4");
    EXPECT_EQ(tl.opened, 2);
    it->Seek("a");
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(it->value(), "1");
    EXPECT_EQ(tl.opened, 3);
  }
}

void CheckErrorsStopIterationAndStick(bool function_pointer) {
  TwoLevel tl;
  tl.function_pointer = function_pointer;
  tl.blocks = {{{"a", "1"}}, {{"b", "2"}}, {{"c", "3"}}};
  tl.bad = {1};
  std::unique_ptr<Iterator> it(tl.Make());
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "a");
  it->Next();  // Into the bad block.
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(absl::IsDataLoss(it->status()));
  // Sticky: even a seek to a good block leaves it invalid.
  it->Seek("c");
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(absl::IsDataLoss(it->status()));

  // Backwards into the bad block.
  std::unique_ptr<Iterator> back(tl.Make());
  back->SeekToLast();
  ASSERT_TRUE(back->Valid());
  EXPECT_EQ(back->key(), "c");
  back->Prev();
  EXPECT_FALSE(back->Valid());
  EXPECT_TRUE(absl::IsDataLoss(back->status()));
}

TEST(TwoLevelIteratorTest, ErrorsStopIterationAndStick) {
  for (bool function_pointer : {false, true}) {
    SCOPED_TRACE(function_pointer ? "function pointer" : "std::function");
    CheckErrorsStopIterationAndStick(function_pointer);
  }
}

}  // namespace
}  // namespace kvs
