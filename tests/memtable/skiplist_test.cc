// Single-threaded behaviour of SkipList, checked against std::set.

#include "memtable/skiplist.h"

#include <cstdint>
#include <cstring>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "util/arena.h"
#include "util/coding.h"
#include "util/random.h"

namespace kvs {
namespace {

struct U64Compare {
  int operator()(uint64_t a, uint64_t b) const {
    return a < b ? -1 : (a > b ? 1 : 0);
  }
};
using IntList = SkipList<uint64_t, U64Compare>;

// Checks every way of reading list against the model.
void CheckAgainstModel(const IntList& list, const std::set<uint64_t>& model,
                       uint64_t key_space) {
  // Full forward scan.
  {
    IntList::Iterator iter(&list);
    iter.SeekToFirst();
    for (uint64_t expected : model) {
      ASSERT_TRUE(iter.Valid());
      ASSERT_EQ(iter.key(), expected);
      iter.Next();
    }
    ASSERT_FALSE(iter.Valid());
  }
  // Full backward scan.
  {
    IntList::Iterator iter(&list);
    iter.SeekToLast();
    for (auto it = model.rbegin(); it != model.rend(); ++it) {
      ASSERT_TRUE(iter.Valid());
      ASSERT_EQ(iter.key(), *it);
      iter.Prev();
    }
    ASSERT_FALSE(iter.Valid());
  }
  // Seek and SeekForPrev to every key in the space: present, absent, before the
  // first and after the last.
  for (uint64_t target = 0; target <= key_space + 1; target++) {
    ASSERT_EQ(list.Contains(target), model.count(target) == 1) << target;

    IntList::Iterator iter(&list);
    iter.Seek(target);
    auto lower = model.lower_bound(target);
    if (lower == model.end()) {
      ASSERT_FALSE(iter.Valid()) << target;
    } else {
      ASSERT_TRUE(iter.Valid()) << target;
      ASSERT_EQ(iter.key(), *lower) << target;
      // One step either way from a seek position.
      iter.Prev();
      if (lower == model.begin()) {
        ASSERT_FALSE(iter.Valid());
      } else {
        ASSERT_TRUE(iter.Valid());
        ASSERT_EQ(iter.key(), *std::prev(lower));
      }
    }

    iter.SeekForPrev(target);
    auto upper = model.upper_bound(target);
    if (upper == model.begin()) {
      ASSERT_FALSE(iter.Valid()) << target;
    } else {
      ASSERT_TRUE(iter.Valid()) << target;
      ASSERT_EQ(iter.key(), *std::prev(upper)) << target;
      iter.Next();
      if (upper == model.end()) {
        ASSERT_FALSE(iter.Valid());
      } else {
        ASSERT_TRUE(iter.Valid());
        ASSERT_EQ(iter.key(), *upper);
      }
    }
  }
}

TEST(SkipListTest, Empty) {
  Arena arena;
  IntList list(U64Compare(), &arena);
  EXPECT_FALSE(list.Contains(10));

  IntList::Iterator iter(&list);
  EXPECT_FALSE(iter.Valid());
  iter.SeekToFirst();
  EXPECT_FALSE(iter.Valid());
  iter.SeekToLast();
  EXPECT_FALSE(iter.Valid());
  iter.Seek(100);
  EXPECT_FALSE(iter.Valid());
  iter.SeekForPrev(100);
  EXPECT_FALSE(iter.Valid());
  // The head node's default key (0) must not appear as an entry.
  iter.Seek(0);
  EXPECT_FALSE(iter.Valid());
  iter.SeekForPrev(0);
  EXPECT_FALSE(iter.Valid());
}

TEST(SkipListTest, SingleEntry) {
  Arena arena;
  IntList list(U64Compare(), &arena);
  list.Insert(0);
  std::set<uint64_t> model = {0};
  CheckAgainstModel(list, model, 3);
}

TEST(SkipListTest, RandomInsertsMatchModel) {
  for (uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE(seed);
    Random rnd(seed);
    constexpr uint64_t kKeySpace = 5000;
    Arena arena;
    IntList list(U64Compare(), &arena);
    std::set<uint64_t> model;
    for (int i = 0; i < 2000; i++) {
      // Keep 0 and kKeySpace out so there are always targets before the first
      // and after the last key.
      const uint64_t key = 1 + rnd.Uniform(kKeySpace - 1);
      if (model.insert(key).second) list.Insert(key);
      if (i % 500 == 0) CheckAgainstModel(list, model, kKeySpace);
    }
    CheckAgainstModel(list, model, kKeySpace);
  }
}

TEST(SkipListTest, AscendingAndDescendingInserts) {
  for (bool ascending : {true, false}) {
    Arena arena;
    IntList list(U64Compare(), &arena);
    std::set<uint64_t> model;
    for (uint64_t i = 0; i < 3000; i++) {
      const uint64_t key = ascending ? 2 * i + 1 : 6000 - 2 * i;
      list.Insert(key);
      model.insert(key);
    }
    CheckAgainstModel(list, model, 6001);
  }
}

// Appends after the largest key take a shortcut that skips the search; mixing
// them with inserts in the middle and at the front must keep every level
// linked in order.
TEST(SkipListTest, AppendsMixedWithInsertsElsewhere) {
  Arena arena;
  IntList list(U64Compare(), &arena);
  std::set<uint64_t> model;
  Random rnd(301);
  uint64_t next_append = 1000;
  for (int run = 0; run < 60; run++) {
    const int length = 1 + static_cast<int>(rnd.Uniform(80));
    for (int i = 0; i < length; i++) {
      uint64_t key;
      switch (run % 3) {
        case 0:  // Appends.
          key = next_append;
          next_append += 1 + rnd.Uniform(3);
          break;
        case 1:  // Anywhere below the largest key so far.
          key = rnd.Uniform(next_append);
          break;
        default:  // Before everything.
          key = model.empty() ? 0 : *model.begin() - 1;
          if (model.count(key) || key > *model.begin()) continue;
          break;
      }
      if (model.insert(key).second) list.Insert(key);
    }
  }
  ASSERT_GT(model.size(), 1000u);
  CheckAgainstModel(list, model, next_append + 1);
}

struct CountingCompare {
  int operator()(uint64_t a, uint64_t b) const {
    ++*count;
    return a < b ? -1 : (a > b ? 1 : 0);
  }
  uint64_t* count;
};

// Results alone cannot show upper levels linked out of order (a search then
// degrades to a scan of level 0 but still answers right), so count comparisons:
// appends must cost O(1) and later lookups O(log n).
TEST(SkipListTest, AppendsAreCheapAndKeepSearchesLogarithmic) {
  uint64_t count = 0;
  Arena arena;
  SkipList<uint64_t, CountingCompare> list(CountingCompare{&count}, &arena);
  const uint64_t n = 20000;
  for (uint64_t i = 0; i < n; i++) list.Insert(2 * i);
  EXPECT_LT(count, 2 * n);

  count = 0;
  Random rnd(7);
  const int lookups = 1000;
  for (int i = 0; i < lookups; i++) {
    const uint64_t key = rnd.Uniform(2 * n);
    ASSERT_EQ(list.Contains(key), key % 2 == 0);
  }
  // About kBranching * log_kBranching(n) ~ 30 per search; a scan would be
  // ~n/2.
  EXPECT_LT(count / lookups, 100u);
}

TEST(SkipListTest, ExtremeKeys) {
  Arena arena;
  IntList list(U64Compare(), &arena);
  list.Insert(UINT64_MAX);
  list.Insert(0);
  IntList::Iterator iter(&list);
  iter.Seek(1);
  ASSERT_TRUE(iter.Valid());
  EXPECT_EQ(iter.key(), UINT64_MAX);
  iter.SeekForPrev(UINT64_MAX - 1);
  ASSERT_TRUE(iter.Valid());
  EXPECT_EQ(iter.key(), 0u);
  iter.SeekToLast();
  EXPECT_EQ(iter.key(), UINT64_MAX);
}

// Keys whose bytes live in the node payload, as the memtable stores entries: a
// varint32 length followed by the key bytes.
struct PrefixedCompare {
  static std::string_view Decode(const char* p) {
    uint32_t len = 0;
    p = GetVarint32Ptr(p, p + kMaxVarint32Bytes, &len);
    return std::string_view(p, len);
  }
  int operator()(const char* a, const char* b) const {
    // The head node's key is a null pointer; it is never compared.
    return Decode(a).compare(Decode(b));
  }
};
using BytesList = SkipList<const char*, PrefixedCompare>;

void InsertBytes(BytesList* list, std::string_view key) {
  const size_t size = VarintLength(key.size()) + key.size();
  list->InsertWith(size, [&](char* payload) -> const char* {
    char* p = EncodeVarint32(payload, static_cast<uint32_t>(key.size()));
    if (!key.empty()) std::memcpy(p, key.data(), key.size());
    return payload;
  });
}

TEST(SkipListTest, InlinePayloadKeys) {
  Random rnd(42);
  Arena arena;
  BytesList list(PrefixedCompare(), &arena);
  std::set<std::string> model;
  for (int i = 0; i < 3000; i++) {
    // Mostly short keys, some longer than an arena block's quarter (own block).
    const size_t len = rnd.OneIn(100) ? 2000 : rnd.Uniform(12);
    std::string key = rnd.RandomBytes(len);
    if (model.insert(key).second) InsertBytes(&list, key);
  }
  // The empty key too.
  if (model.insert("").second) InsertBytes(&list, "");

  BytesList::Iterator iter(&list);
  iter.SeekToFirst();
  for (const auto& expected : model) {
    ASSERT_TRUE(iter.Valid());
    ASSERT_EQ(PrefixedCompare::Decode(iter.key()), expected);
    iter.Next();
  }
  EXPECT_FALSE(iter.Valid());

  for (const auto& key : model) {
    std::string probe;
    PutLengthPrefixed(&probe, key);
    ASSERT_TRUE(list.Contains(probe.data()));
    // A key just after this one (append a zero byte) is absent unless the model
    // has it.
    std::string next_key = key + '\0';
    std::string next_probe;
    PutLengthPrefixed(&next_probe, next_key);
    ASSERT_EQ(list.Contains(next_probe.data()), model.count(next_key) == 1);
    iter.Seek(next_probe.data());
    auto it = model.lower_bound(next_key);
    if (it == model.end()) {
      ASSERT_FALSE(iter.Valid());
    } else {
      ASSERT_TRUE(iter.Valid());
      ASSERT_EQ(PrefixedCompare::Decode(iter.key()), *it);
    }
  }
  // One allocation per entry: the arena holds roughly the keys plus small
  // nodes, well under 100 bytes of overhead per entry.
  size_t key_bytes = 0;
  for (const auto& key : model) key_bytes += key.size();
  EXPECT_LT(arena.MemoryUsage(), key_bytes + 100 * model.size());
}

}  // namespace
}  // namespace kvs
