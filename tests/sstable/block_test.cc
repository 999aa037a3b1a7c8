#include "sstable/block.h"

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "lsm/comparator.h"
#include "sstable/block_builder.h"
#include "util/coding.h"
#include "util/random.h"

namespace kvs {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

std::string BuildBlock(const Entries& entries, int restart_interval) {
  BlockBuilder builder(restart_interval);
  for (const auto& [k, v] : entries) builder.Add(k, v);
  size_t estimate = builder.CurrentSizeEstimate();
  std::string block(builder.Finish());
  EXPECT_EQ(block.size(), estimate);
  return block;
}

// A block over a copy of data that the block owns, so ASan sees any read past
// its end.
std::unique_ptr<Block> OwnedBlock(std::string_view data) {
  BlockContents contents;
  contents.heap = std::make_unique<char[]>(data.size());
  std::copy(data.begin(), data.end(), contents.heap.get());
  contents.data = std::string_view(contents.heap.get(), data.size());
  return std::make_unique<Block>(std::move(contents));
}

Entries RandomEntries(Random* rnd, int n, int max_key_log) {
  std::map<std::string, std::string> m;
  while (static_cast<int>(m.size()) < n) {
    // Share prefixes often, so that prefix compression is exercised.
    std::string key = "k" + std::to_string(rnd->Uniform(4)) +
                      rnd->RandomBytes(rnd->Skewed(max_key_log));
    m[key] = rnd->RandomBytes(rnd->Skewed(8));
  }
  return Entries(m.begin(), m.end());
}

// Checks every operation of an iterator over block against the sorted entries.
void CheckBlock(const Block& block, const Entries& entries, Random* rnd) {
  ASSERT_TRUE(block.status().ok()) << block.status();
  const Comparator* cmp = BytewiseComparator();
  Block::Iter it(&block, cmp);

  // Forward.
  size_t i = 0;
  for (it.SeekToFirst(); it.Valid(); it.Next(), i++) {
    ASSERT_LT(i, entries.size());
    ASSERT_EQ(it.key(), entries[i].first);
    ASSERT_EQ(it.value(), entries[i].second);
  }
  ASSERT_EQ(i, entries.size());
  ASSERT_TRUE(it.status().ok());

  // Backward.
  i = entries.size();
  for (it.SeekToLast(); it.Valid(); it.Prev()) {
    ASSERT_GT(i, 0u);
    i--;
    ASSERT_EQ(it.key(), entries[i].first);
    ASSERT_EQ(it.value(), entries[i].second);
  }
  ASSERT_EQ(i, 0u);
  ASSERT_TRUE(it.status().ok());

  // Seek to each key, and just past it (the next key or the end).
  for (size_t j = 0; j < entries.size(); j++) {
    it.Seek(entries[j].first);
    ASSERT_TRUE(it.Valid());
    ASSERT_EQ(it.key(), entries[j].first);
    it.Seek(entries[j].first + std::string(1, '\0'));
    if (j + 1 < entries.size()) {
      ASSERT_TRUE(it.Valid());
      ASSERT_EQ(it.key(), entries[j + 1].first);
    } else {
      ASSERT_FALSE(it.Valid());
    }
  }
  // Before the first and after the last.
  it.Seek("");
  ASSERT_EQ(it.Valid(), !entries.empty());
  if (!entries.empty()) ASSERT_EQ(it.key(), entries[0].first);
  it.Seek("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff");
  ASSERT_FALSE(it.Valid());
  ASSERT_TRUE(it.status().ok());

  // A random walk mixing Seek, Next and Prev.
  if (entries.empty()) return;
  size_t pos = 0;
  it.SeekToFirst();
  for (int step = 0; step < 2000; step++) {
    switch (rnd->Uniform(4)) {
      case 0:
        pos = rnd->Uniform(entries.size());
        it.Seek(entries[pos].first);
        break;
      case 1:
        if (pos + 1 < entries.size()) {
          it.Next();
          pos++;
        }
        break;
      default:
        if (pos > 0) {
          it.Prev();
          pos--;
        }
        break;
    }
    ASSERT_TRUE(it.Valid());
    ASSERT_EQ(it.key(), entries[pos].first) << "step " << step;
    ASSERT_EQ(it.value(), entries[pos].second);
  }
}

TEST(BlockTest, EmptyBlock) {
  std::string data = BuildBlock({}, 16);
  EXPECT_EQ(data.size(), 8u);  // One restart (0) and the count.
  for (bool cache_keys : {false, true}) {
    Block block(BlockContents{data, nullptr});
    if (cache_keys) block.CacheRestartKeys();
    ASSERT_TRUE(block.status().ok());
    Block::Iter it(&block, BytewiseComparator());
    it.SeekToFirst();
    EXPECT_FALSE(it.Valid());
    it.SeekToLast();
    EXPECT_FALSE(it.Valid());
    it.Seek("anything");
    EXPECT_FALSE(it.Valid());
    EXPECT_TRUE(it.status().ok());
  }
}

TEST(BlockTest, OneEntry) {
  Entries entries = {{"key", "value"}};
  std::string data = BuildBlock(entries, 16);
  Random rnd(1);
  CheckBlock(*OwnedBlock(data), entries, &rnd);
}

TEST(BlockTest, EmptyKeyAndEmptyValue) {
  Entries entries = {{"", ""}, {"a", ""}, {"b", "v"}};
  std::string data = BuildBlock(entries, 2);
  Random rnd(2);
  CheckBlock(*OwnedBlock(data), entries, &rnd);
}

TEST(BlockTest, LongKeysAndValues) {
  Entries entries = {{std::string(70000, 'a'), std::string(100000, 'x')},
                     {std::string(70000, 'a') + "b", "short"},
                     {std::string(70001, 'b'), std::string(200000, 'y')}};
  std::string data = BuildBlock(entries, 16);
  Random rnd(3);
  CheckBlock(*OwnedBlock(data), entries, &rnd);
}

// Block::Iter keeps prefix-compressed keys up to 48 bytes in an inline buffer
// and longer ones in a string: keys sharing long prefixes whose lengths cross
// that size in both directions (inline to long, long to inline, long to long)
// must all come back whole.
TEST(BlockTest, DeltaKeysCrossingTheInlineKeySize) {
  Random rnd(11);
  for (int round = 0; round < 50; round++) {
    std::map<std::string, std::string> m;
    const std::string prefix(rnd.Uniform(60), 'p');
    while (m.size() < 60) {
      std::string key = prefix + rnd.RandomBytes(rnd.Uniform(40));
      m[key] = std::to_string(m.size());
    }
    Entries entries(m.begin(), m.end());
    for (int interval : {1, 4, 16, 100}) {
      std::unique_ptr<Block> block = OwnedBlock(BuildBlock(entries, interval));
      SCOPED_TRACE("round " + std::to_string(round) + " interval " +
                   std::to_string(interval));
      CheckBlock(*block, entries, &rnd);
    }
  }
}

TEST(BlockTest, ManyEntriesAcrossRestartIntervals) {
  for (int interval : {1, 2, 3, 16, 1000}) {
    for (int n : {2, 15, 16, 17, 100, 1000}) {
      Random rnd(interval * 10000 + n);
      Entries entries = RandomEntries(&rnd, n, 6);
      std::string data = BuildBlock(entries, interval);
      std::unique_ptr<Block> block = OwnedBlock(data);
      EXPECT_EQ(block->num_restarts(),
                static_cast<uint32_t>((n + interval - 1) / interval));
      SCOPED_TRACE("interval " + std::to_string(interval) + " n " +
                   std::to_string(n));
      CheckBlock(*block, entries, &rnd);
      block->CacheRestartKeys();
      CheckBlock(*block, entries, &rnd);
    }
  }
}

TEST(BlockTest, PrefixCompressionShrinksSharedKeys) {
  Entries entries;
  for (int i = 0; i < 100; i++) {
    entries.emplace_back(
        "a-rather-long-common-prefix-" + std::to_string(1000 + i), "v");
  }
  std::string compressed = BuildBlock(entries, 16);
  std::string uncompressed = BuildBlock(entries, 1);
  EXPECT_LT(compressed.size(), uncompressed.size() / 2);
}

TEST(BlockTest, BuilderResetStartsOver) {
  BlockBuilder builder(4);
  builder.Add("zzz", "1");
  builder.Finish();
  builder.Reset();
  EXPECT_TRUE(builder.empty());
  builder.Add("aaa", "2");
  std::string data(builder.Finish());
  Random rnd(4);
  CheckBlock(*OwnedBlock(data), {{"aaa", "2"}}, &rnd);
}

TEST(BlockTest, NewIteratorOnHeap) {
  Entries entries = {{"a", "1"}, {"b", "2"}};
  std::string data = BuildBlock(entries, 16);
  Block block(BlockContents{data, nullptr});
  std::unique_ptr<Iterator> it(block.NewIterator(BytewiseComparator()));
  it->Seek("b");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), "2");
}

// Runs every kind of operation over a block that may be damaged. Whatever
// happens must be memory-safe (checked under ASan), terminate, and end in OK or
// DataLoss.
void Exercise(std::string_view data) {
  std::unique_ptr<Block> block = OwnedBlock(data);
  if (!block->status().ok()) {
    ASSERT_TRUE(absl::IsDataLoss(block->status())) << block->status();
  }
  for (bool cache_keys : {false, true}) {
    if (cache_keys) block->CacheRestartKeys();
    Block::Iter it(block.get(), BytewiseComparator());
    int steps = 0;
    for (it.SeekToFirst(); it.Valid() && steps < 100000; it.Next()) steps++;
    for (it.SeekToLast(); it.Valid() && steps < 200000; it.Prev()) steps++;
    for (std::string_view target : {"", "k1", "k2zz", "\xff"}) {
      it.Seek(target);
      if (it.Valid()) {
        it.Prev();
        if (it.Valid()) it.Next();
      }
    }
    ASSERT_LT(steps, 200000);
    if (!it.status().ok()) {
      ASSERT_TRUE(absl::IsDataLoss(it.status())) << it.status();
      ASSERT_FALSE(it.Valid());
    }
  }
}

TEST(BlockCorruptionTest, RandomGarbage) {
  Random rnd(5);
  for (int i = 0; i < 2000; i++) {
    Exercise(rnd.RandomBytes(rnd.Skewed(10)));
  }
}

TEST(BlockCorruptionTest, EveryTruncationAndFlippedByte) {
  Random rnd(6);
  Entries entries = RandomEntries(&rnd, 60, 5);
  std::string data = BuildBlock(entries, 4);
  for (size_t len = 0; len < data.size(); len++) Exercise(data.substr(0, len));
  for (size_t pos = 0; pos < data.size(); pos++) {
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      std::string bad = data;
      bad[pos] = static_cast<char>(bad[pos] ^ mask);
      Exercise(bad);
    }
  }
}

TEST(BlockCorruptionTest, SpecificDamageIsDataLoss) {
  Entries entries = {{"apple", "1"}, {"apricot", "2"}, {"banana", "3"}};
  std::string data = BuildBlock(entries, 2);  // Restarts at entries 0 and 2.

  // Too short to hold a restart count.
  EXPECT_TRUE(absl::IsDataLoss(OwnedBlock("abc")->status()));

  // A restart count bigger than the block.
  std::string bad = data;
  EncodeFixed32(bad.data() + bad.size() - 4, 1000);
  EXPECT_TRUE(absl::IsDataLoss(OwnedBlock(bad)->status()));

  // A restart offset past the entries.
  bad = data;
  EncodeFixed32(bad.data() + bad.size() - 8, 5000);
  EXPECT_TRUE(absl::IsDataLoss(OwnedBlock(bad)->status()));

  // Restarts out of order.
  bad = data;
  EncodeFixed32(bad.data() + bad.size() - 12, 3);
  EXPECT_TRUE(absl::IsDataLoss(OwnedBlock(bad)->status()));

  // Every iterator over a malformed block reports DataLoss.
  std::unique_ptr<Block> block = OwnedBlock(bad);
  Block::Iter it(block.get(), BytewiseComparator());
  it.SeekToFirst();
  EXPECT_FALSE(it.Valid());
  EXPECT_TRUE(absl::IsDataLoss(it.status()));

  // The second entry claims to share more bytes than the first key has: found
  // when reached.
  bad = data;
  size_t second = 3 + 5 + 1;  // Header, "apple", "1".
  ASSERT_EQ(bad[second], 2);  // Shares "ap".
  bad[second] = 9;
  block = OwnedBlock(bad);
  ASSERT_TRUE(block->status().ok());
  Block::Iter it2(block.get(), BytewiseComparator());
  it2.SeekToFirst();
  ASSERT_TRUE(it2.Valid());
  it2.Next();
  EXPECT_FALSE(it2.Valid());
  EXPECT_TRUE(absl::IsDataLoss(it2.status()));

  // A value length running past the entries.
  bad = data;
  bad[2] = 100;
  block = OwnedBlock(bad);
  Block::Iter it3(block.get(), BytewiseComparator());
  it3.SeekToFirst();
  EXPECT_FALSE(it3.Valid());
  EXPECT_TRUE(absl::IsDataLoss(it3.status()));

  // A restart entry that claims a shared prefix: caught by CacheRestartKeys and
  // by Seek.
  bad = data;
  size_t third = second + 3 + 5 + 1;  // Header, "ricot", "2".
  ASSERT_EQ(bad[third], 0);
  bad[third] = 1;
  block = OwnedBlock(bad);
  Block::Iter it4(block.get(), BytewiseComparator());
  it4.Seek("banana");
  EXPECT_FALSE(it4.Valid());
  EXPECT_TRUE(absl::IsDataLoss(it4.status()));
  block->CacheRestartKeys();
  EXPECT_TRUE(absl::IsDataLoss(block->status()));
}

}  // namespace
}  // namespace kvs
