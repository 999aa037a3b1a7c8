#include "sstable/table.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "lsm/cache.h"
#include "lsm/filter_policy.h"
#include "sstable/table_builder.h"
#include "tests/sstable/string_file.h"
#include "tests/sstable/table_test_util.h"
#include "util/coding.h"
#include "util/random.h"

namespace kvs {
namespace {

using test::BuildTable;
using test::Entries;
using test::Get;
using test::OpenTable;

std::map<std::string, std::string> RandomMap(Random* rnd, int n) {
  std::map<std::string, std::string> m;
  while (static_cast<int>(m.size()) < n) {
    std::string key = "key" + std::to_string(rnd->Uniform(n * 10)) +
                      rnd->RandomBytes(rnd->Uniform(4));
    m[key] =
        std::string(rnd->Skewed(8), static_cast<char>('a' + rnd->Uniform(26))) +
        rnd->RandomBytes(rnd->Uniform(20));
  }
  return m;
}

// Checks iteration in both directions, seeks to and between keys, and point
// lookups.
void CheckTable(const Table& table, const Entries& entries,
                const Comparator* cmp = BytewiseComparator(),
                const ReadOptions& ro = ReadOptions()) {
  std::unique_ptr<Iterator> it(table.NewIterator(ro));
  size_t i = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), i++) {
    ASSERT_LT(i, entries.size());
    ASSERT_EQ(it->key(), entries[i].first);
    ASSERT_EQ(it->value(), entries[i].second);
  }
  ASSERT_TRUE(it->status().ok()) << it->status();
  ASSERT_EQ(i, entries.size());
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    ASSERT_GT(i, 0u);
    i--;
    ASSERT_EQ(it->key(), entries[i].first);
    ASSERT_EQ(it->value(), entries[i].second);
  }
  ASSERT_TRUE(it->status().ok()) << it->status();
  ASSERT_EQ(i, 0u);

  for (size_t j = 0; j < entries.size(); j++) {
    const std::string& key = entries[j].first;
    it->Seek(key);
    ASSERT_TRUE(it->Valid());
    ASSERT_EQ(it->key(), key);
    if (j > 0) {
      it->Prev();
      ASSERT_TRUE(it->Valid());
      ASSERT_EQ(it->key(), entries[j - 1].first);
      it->Next();
      ASSERT_EQ(it->key(), key);
    }
    test::GetResult r = Get(table, key, ro);
    ASSERT_TRUE(r.status.ok()) << r.status;
    ASSERT_TRUE(r.found) << "missing key " << j;
    ASSERT_EQ(r.key, key);
    ASSERT_EQ(r.value, entries[j].second);
  }
  // Keys between and around the entries (meaningful for the bytewise order
  // only).
  if (cmp == BytewiseComparator()) {
    for (size_t j = 0; j < entries.size(); j++) {
      std::string between = entries[j].first + '\0';
      it->Seek(between);
      if (j + 1 < entries.size()) {
        ASSERT_TRUE(it->Valid());
        ASSERT_EQ(it->key(), entries[j + 1].first);
      } else {
        ASSERT_FALSE(it->Valid());
      }
      test::GetResult r = Get(table, between, ro);
      ASSERT_TRUE(r.status.ok());
      if (r.found) {
        // Only ever the next entry, and only when it is in the same block.
        ASSERT_LT(j + 1, entries.size());
        ASSERT_EQ(r.key, entries[j + 1].first);
      }
    }
  }
  ASSERT_TRUE(it->status().ok());
}

struct Config {
  CompressionType compression;
  bool filter;
  bool cache;
  bool borrow;
};

class TableRoundTripTest : public testing::TestWithParam<Config> {};

TEST_P(TableRoundTripTest, RandomEntries) {
  Config c = GetParam();
  std::shared_ptr<Cache> cache = c.cache ? NewLRUCache(1 << 20) : nullptr;
  TableOptions options;
  options.compression = c.compression;
  if (c.filter) options.filter_policy = NewBloomFilterPolicy(10);
  options.block_cache = cache.get();
  options.block_size = 256;  // Many blocks.
  options.block_restart_interval = 4;

  for (int n : {1, 2, 50, 3000}) {
    Random rnd(n);
    Entries entries = test::ToEntries(RandomMap(&rnd, n));
    std::string contents = BuildTable(options, entries);
    auto table = OpenTable(options, contents, c.borrow);
    ASSERT_TRUE(table.ok()) << table.status();
    EXPECT_EQ((*table)->has_filter(), c.filter);
    CheckTable(**table, entries);
    // Twice: the second time blocks come from the cache, if there is one.
    CheckTable(**table, entries);
    ReadOptions verify;
    verify.verify_checksums = true;
    CheckTable(**table, entries, BytewiseComparator(), verify);
  }
  if (cache != nullptr) {
    // Uncompressed blocks borrowed from a file's own memory are not worth
    // caching.
    if (c.borrow && c.compression == CompressionType::kNone) {
      EXPECT_EQ(cache->GetStats().inserts, 0u);
    } else {
      EXPECT_GT(cache->GetStats().hits, 0u);
    }
    EXPECT_EQ(cache->GetStats().pinned_usage, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllConfigs, TableRoundTripTest,
    testing::Values(Config{CompressionType::kNone, false, false, false},
                    Config{CompressionType::kSnappy, false, false, false},
                    Config{CompressionType::kNone, true, false, false},
                    Config{CompressionType::kSnappy, true, false, false},
                    Config{CompressionType::kSnappy, true, true, false},
                    Config{CompressionType::kNone, true, true, false},
                    Config{CompressionType::kNone, true, true, true},
                    Config{CompressionType::kSnappy, true, false, true}));

TEST(TableTest, EmptyTable) {
  TableOptions options;
  options.filter_policy = NewBloomFilterPolicy(10);
  std::string contents = BuildTable(options, {});
  auto table = OpenTable(options, contents);
  ASSERT_TRUE(table.ok()) << table.status();
  std::unique_ptr<Iterator> it((*table)->NewIterator(ReadOptions()));
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  it->SeekToLast();
  EXPECT_FALSE(it->Valid());
  it->Seek("a");
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
  test::GetResult r = Get(**table, "a");
  EXPECT_TRUE(r.status.ok());
  EXPECT_FALSE(r.found);
  EXPECT_EQ((*table)->ApproximateOffsetOf("a"), 0u);
  EXPECT_EQ((*table)->properties().num_entries, 0u);
  EXPECT_EQ((*table)->properties().num_data_blocks, 0u);
}

TEST(TableTest, OneEntryPerBlock) {
  TableOptions options;
  options.block_size = 1;
  Entries entries;
  for (int i = 0; i < 100; i++) {
    entries.emplace_back("k" + std::to_string(1000 + i), std::to_string(i));
  }
  std::string contents = BuildTable(options, entries);
  auto table = OpenTable(options, contents);
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ((*table)->properties().num_data_blocks, 100u);
  CheckTable(**table, entries);
}

TEST(TableTest, HugeValuesAndEmptyAndHugeKeys) {
  Random rnd(11);
  Entries entries;
  entries.emplace_back("", "value of the empty key");
  entries.emplace_back("a", std::string(1 << 20, 'x'));        // Compressible.
  entries.emplace_back("b", rnd.RandomBytes(1 << 20));         // Not.
  entries.emplace_back(std::string(300000, 'c'), "huge key");  // 300 KB key.
  entries.emplace_back(std::string(300000, 'c') + "d",
                       rnd.RandomBytes(1 << 20));
  entries.emplace_back("e", "");
  for (CompressionType type :
       {CompressionType::kNone, CompressionType::kSnappy}) {
    TableOptions options;
    options.compression = type;
    options.filter_policy = NewBloomFilterPolicy(10);
    std::string contents = BuildTable(options, entries);
    auto table = OpenTable(options, contents);
    ASSERT_TRUE(table.ok()) << table.status();
    CheckTable(**table, entries);
    if (type == CompressionType::kSnappy) {
      // The run of x's compressed, the random megabytes did not.
      EXPECT_LT(contents.size(), 2 * (1 << 20) + 700000u);
    }
  }
}

TEST(TableTest, PropertiesAreRecorded) {
  Random rnd(12);
  Entries entries = test::ToEntries(RandomMap(&rnd, 2000));
  TableOptions options;
  options.filter_policy = NewBloomFilterPolicy(10);
  options.block_size = 1024;
  std::string contents;
  test::StringSink sink(&contents);
  TableBuilder builder(options, &sink);
  uint64_t key_bytes = 0, value_bytes = 0;
  for (const auto& [k, v] : entries) {
    ASSERT_TRUE(builder.Add(k, v).ok());
    key_bytes += k.size();
    value_bytes += v.size();
  }
  ASSERT_TRUE(builder.Finish().ok());

  auto table = OpenTable(options, contents);
  ASSERT_TRUE(table.ok()) << table.status();
  const TableProperties& p = (*table)->properties();
  EXPECT_EQ(p.num_entries, entries.size());
  EXPECT_EQ(p.raw_key_size, key_bytes);
  EXPECT_EQ(p.raw_value_size, value_bytes);
  EXPECT_EQ(p.smallest_key, entries.front().first);
  EXPECT_EQ(p.largest_key, entries.back().first);
  EXPECT_EQ(p.comparator_name, "kvs.BytewiseComparator");
  EXPECT_EQ(p.filter_policy_name, "kvs.BlockedBloom");
  EXPECT_EQ(p.compression, CompressionType::kSnappy);
  EXPECT_GT(p.num_data_blocks, 10u);
  EXPECT_GT(p.index_size, 0u);
  // ceil(2000 * 10 / 512) lines of 64 bytes, plus 5 trailing bytes.
  EXPECT_EQ(p.filter_size, 40u * 64 + 5);
  EXPECT_EQ(p.data_size, (*table)->ApproximateOffsetOf("\xff"));
  EXPECT_LT(p.data_size, contents.size());

  // The builder reports the same properties.
  EXPECT_EQ(builder.properties().num_entries, p.num_entries);
  EXPECT_EQ(builder.properties().data_size, p.data_size);
  EXPECT_EQ(builder.properties().index_size, p.index_size);

  TableProperties decoded;
  ASSERT_TRUE(decoded.Decode(p.Encode()).ok());
  EXPECT_EQ(decoded.largest_key, p.largest_key);
  EXPECT_EQ(decoded.num_data_blocks, p.num_data_blocks);
}

TEST(TableTest, ApproximateOffsetOfIsMonotoneAndSensible) {
  Random rnd(13);
  Entries entries;
  for (int i = 0; i < 200; i++) {
    char key[16];
    std::snprintf(key, sizeof(key), "k%05d", i);
    entries.emplace_back(key, rnd.RandomBytes(10000));  // Incompressible.
  }
  TableOptions options;
  std::string contents = BuildTable(options, entries);
  auto table = OpenTable(options, contents);
  ASSERT_TRUE(table.ok());
  const Table& t = **table;
  EXPECT_EQ(t.ApproximateOffsetOf(""), 0u);
  EXPECT_EQ(t.ApproximateOffsetOf("k00000"), 0u);
  uint64_t previous = 0;
  for (int i = 0; i < 200; i++) {
    uint64_t offset = t.ApproximateOffsetOf(entries[i].first);
    EXPECT_GE(offset, previous);
    // Each entry is a block of about 10 KB: the offset is i of them, give or
    // take one.
    EXPECT_NEAR(static_cast<double>(offset), i * 10020.0, 10100.0) << i;
    previous = offset;
  }
  uint64_t end = t.ApproximateOffsetOf("zzz");
  EXPECT_GE(end, previous);
  EXPECT_EQ(end, t.properties().data_size);
  EXPECT_GT(end, 200u * 10000);
  EXPECT_LT(end, contents.size());
}

TEST(TableTest, OutOfOrderKeysAreRejectedAndSticky) {
  std::string contents;
  test::StringSink sink(&contents);
  TableOptions options;
  TableBuilder builder(options, &sink);
  ASSERT_TRUE(builder.Add("b", "1").ok());
  EXPECT_TRUE(absl::IsInvalidArgument(builder.Add("b", "2")));  // Equal.
  EXPECT_TRUE(absl::IsInvalidArgument(builder.Add("c", "3")));  // Sticky.
  EXPECT_TRUE(absl::IsInvalidArgument(builder.status()));
  EXPECT_TRUE(absl::IsInvalidArgument(builder.Finish()));
  EXPECT_EQ(builder.NumEntries(), 1u);
  EXPECT_TRUE(contents.empty());

  std::string contents2;
  test::StringSink sink2(&contents2);
  TableBuilder builder2(options, &sink2);
  ASSERT_TRUE(builder2.Add("b", "1").ok());
  EXPECT_TRUE(absl::IsInvalidArgument(builder2.Add("a", "0")));  // Smaller.
  builder2.Abandon();
  EXPECT_TRUE(contents2.empty());
}

TEST(TableTest, OversizedEntryIsRejected) {
  std::string contents;
  test::StringSink sink(&contents);
  TableOptions options;
  TableBuilder builder(options, &sink);
  // The size is checked before any byte of the value is read, so a view
  // claiming 2 GiB over a small buffer is safe here.
  std::string small(16, 'v');
  std::string_view huge(small.data(), size_t{1} << 31);
  EXPECT_TRUE(absl::IsInvalidArgument(builder.Add("a", huge)));
  EXPECT_EQ(builder.NumEntries(), 0u);
  EXPECT_TRUE(absl::IsInvalidArgument(builder.Finish()));
  EXPECT_TRUE(contents.empty());
}

TEST(TableTest, AbandonWritesNothingMore) {
  std::string contents;
  test::StringSink sink(&contents);
  TableOptions options;
  options.block_size = 64;
  TableBuilder builder(options, &sink);
  for (int i = 0; i < 100; i++) {
    ASSERT_TRUE(builder.Add("key" + std::to_string(1000 + i), "v").ok());
  }
  size_t written = contents.size();
  EXPECT_GT(written, 0u);  // Full data blocks went out as they filled.
  EXPECT_EQ(builder.FileSize(), written);
  builder.Abandon();
  EXPECT_EQ(contents.size(), written);
}

TEST(TableTest, WriteErrorsAreReportedAndSticky) {
  TableOptions options;
  options.block_size = 64;
  for (int fail_at = 0; fail_at < 12; fail_at++) {
    test::FailingSink sink(fail_at);
    TableBuilder builder(options, &sink);
    absl::Status s;
    for (int i = 0; i < 20 && s.ok(); i++) {
      s = builder.Add("key" + std::to_string(1000 + i), "value");
    }
    if (s.ok()) s = builder.Finish();
    EXPECT_TRUE(absl::IsUnavailable(s)) << fail_at << ": " << s;
    EXPECT_TRUE(absl::IsUnavailable(builder.status()));
  }
}

TEST(TableTest, OpenIsOneReadAndLookupsOneReadPerBlock) {
  Random rnd(14);
  Entries entries = test::ToEntries(RandomMap(&rnd, 1000));
  std::shared_ptr<Cache> cache = NewLRUCache(1 << 20);
  TableOptions options;
  options.filter_policy = NewBloomFilterPolicy(10);
  std::string contents = BuildTable(options, entries);
  std::atomic<int> reads{0};

  // Without a cache.
  auto table = OpenTable(options, contents, false, &reads);
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(reads.load(), 1);
  reads = 0;
  ASSERT_TRUE(Get(**table, entries[500].first).found);
  EXPECT_EQ(reads.load(), 1);

  // Keys never added: the filter answers without touching a data block, except
  // for its rare false positives.
  reads = 0;
  int absent = 0;
  for (int i = 0; i < 2000; i++) {
    std::string key = "absent" + std::to_string(i);
    test::GetResult r = Get(**table, key);
    ASSERT_TRUE(r.status.ok());
    if (r.found) ASSERT_NE(r.key, key);
    absent++;
  }
  EXPECT_LE(reads.load(), absent / 50);

  // With a cache: the first lookup reads, the second does not.
  options.block_cache = cache.get();
  reads = 0;
  auto cached = OpenTable(options, contents, false, &reads);
  ASSERT_TRUE(cached.ok());
  reads = 0;
  ASSERT_TRUE(Get(**cached, entries[500].first).found);
  EXPECT_EQ(reads.load(), 1);
  ASSERT_TRUE(Get(**cached, entries[500].first).found);
  EXPECT_EQ(reads.load(), 1);

  // fill_cache = false reads without inserting.
  ReadOptions no_fill;
  no_fill.fill_cache = false;
  uint64_t inserts = cache->GetStats().inserts;
  ASSERT_TRUE(Get(**cached, entries[10].first, no_fill).found);
  ASSERT_TRUE(Get(**cached, entries[10].first, no_fill).found);
  EXPECT_EQ(reads.load(), 3);
  EXPECT_EQ(cache->GetStats().inserts, inserts);
  EXPECT_EQ(cache->GetStats().pinned_usage, 0u);
}

TEST(TableTest, LargeMetadataTakesTwoReadsToOpen) {
  // 40000 entries: the filter alone is about 50 KB and the index over 64 KB.
  Entries entries;
  for (int i = 0; i < 40000; i++) {
    char key[32];
    std::snprintf(key, sizeof(key), "key%08d", i);
    entries.emplace_back(key, "v");
  }
  TableOptions options;
  options.filter_policy = NewBloomFilterPolicy(10);
  options.block_size = 32;
  std::string contents = BuildTable(options, entries);
  std::atomic<int> reads{0};
  auto table = OpenTable(options, contents, false, &reads);
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_GT(contents.size() - (*table)->properties().data_size, 64u << 10);
  EXPECT_EQ(reads.load(), 2);
  for (int i = 0; i < 40000; i += 997) {
    test::GetResult r = Get(**table, entries[i].first);
    ASSERT_TRUE(r.found);
    EXPECT_EQ(r.key, entries[i].first);
  }
}

TEST(TableTest, IteratorsReleaseCachedBlocks) {
  Random rnd(15);
  Entries entries = test::ToEntries(RandomMap(&rnd, 500));
  std::shared_ptr<Cache> cache = NewLRUCache(1 << 20);
  TableOptions options;
  options.block_cache = cache.get();
  options.block_size = 256;
  std::string contents = BuildTable(options, entries);
  auto table = OpenTable(options, contents);
  ASSERT_TRUE(table.ok());
  {
    std::unique_ptr<Iterator> it((*table)->NewIterator(ReadOptions()));
    it->Seek(entries[100].first);
    ASSERT_TRUE(it->Valid());
    EXPECT_GT(cache->GetStats().pinned_usage, 0u);
    for (; it->Valid(); it->Next()) {
    }
  }
  EXPECT_EQ(cache->GetStats().pinned_usage, 0u);
}

TEST(TableTest, ComparatorNameMismatchIsInvalidArgument) {
  TableOptions options;
  std::string contents = BuildTable(options, {{"a", "1"}});
  class OtherComparator final : public Comparator {
   public:
    int Compare(std::string_view a, std::string_view b) const override {
      return a.compare(b);
    }
    const char* Name() const override { return "test.Other"; }
    void FindShortestSeparator(std::string*, std::string_view) const override {}
    void FindShortSuccessor(std::string*) const override {}
  };
  OtherComparator other;
  options.comparator = &other;
  EXPECT_TRUE(absl::IsInvalidArgument(OpenTable(options, contents).status()));
}

// A policy with another name: the table's filter is ignored and lookups still
// work.
class OtherPolicy final : public FilterPolicy {
 public:
  const char* Name() const override { return "test.Other"; }
  void CreateFilter(const std::vector<std::string_view>&,
                    std::string* dst) const override {
    dst->append("x");
  }
  bool KeyMayMatch(std::string_view, std::string_view) const override {
    ADD_FAILURE() << "a filter of another policy was used";
    return true;
  }
};

TEST(TableTest, FilterOfAnotherPolicyIsIgnored) {
  Entries entries = {{"a", "1"}, {"b", "2"}};
  TableOptions options;
  options.filter_policy = NewBloomFilterPolicy(10);
  std::string contents = BuildTable(options, entries);
  options.filter_policy = std::make_shared<OtherPolicy>();
  auto table = OpenTable(options, contents);
  ASSERT_TRUE(table.ok());
  EXPECT_FALSE((*table)->has_filter());
  CheckTable(**table, entries);

  // And a table without any filter read with a policy.
  options.filter_policy = nullptr;
  contents = BuildTable(options, entries);
  options.filter_policy = NewBloomFilterPolicy(10);
  table = OpenTable(options, contents);
  ASSERT_TRUE(table.ok());
  EXPECT_FALSE((*table)->has_filter());
  CheckTable(**table, entries);
}

// Descending bytewise order, to check nothing assumes the default comparator.
class ReverseComparator final : public Comparator {
 public:
  int Compare(std::string_view a, std::string_view b) const override {
    return b.compare(a);
  }
  const char* Name() const override { return "test.Reverse"; }
  void FindShortestSeparator(std::string*, std::string_view) const override {}
  void FindShortSuccessor(std::string*) const override {}
};

TEST(TableTest, CustomComparator) {
  ReverseComparator reverse;
  Random rnd(16);
  auto m = RandomMap(&rnd, 1000);
  Entries entries(m.rbegin(), m.rend());
  TableOptions options;
  options.comparator = &reverse;
  options.block_size = 128;
  options.filter_policy = NewBloomFilterPolicy(10);
  std::string contents = BuildTable(options, entries);
  auto table = OpenTable(options, contents);
  ASSERT_TRUE(table.ok()) << table.status();
  CheckTable(**table, entries, &reverse);
}

TEST(TableTest, IncompressibleBlocksAreStoredRaw) {
  Random rnd(17);
  for (bool compressible : {false, true}) {
    Entries entries;
    for (int i = 0; i < 50; i++) {
      char key[16];
      std::snprintf(key, sizeof(key), "k%04d", i);
      entries.emplace_back(
          key, compressible ? std::string(300, 'z') : rnd.RandomBytes(300));
    }
    TableOptions options;  // Snappy.
    std::string contents = BuildTable(options, entries);
    // The first data block starts at 0; its handle is the first index entry.
    // Check the trailer's compression byte.
    auto table = OpenTable(options, contents);
    ASSERT_TRUE(table.ok());
    uint64_t second_block = (*table)->ApproximateOffsetOf("k0014");
    ASSERT_GT(second_block, 0u);
    char type = contents[second_block - 5];
    EXPECT_EQ(type, compressible ? 1 : 0);
    CheckTable(**table, entries);
  }
}

TEST(TableTest, ConcurrentReaders) {
  Random rnd(18);
  Entries entries = test::ToEntries(RandomMap(&rnd, 3000));
  std::shared_ptr<Cache> cache =
      NewLRUCache(64 << 10);  // Smaller than the table.
  TableOptions options;
  options.block_cache = cache.get();
  options.block_size = 512;
  options.filter_policy = NewBloomFilterPolicy(10);
  std::string contents = BuildTable(options, entries);
  auto table = OpenTable(options, contents);
  ASSERT_TRUE(table.ok());
  const Table& t = **table;

  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int th = 0; th < 4; th++) {
    threads.emplace_back([&, th] {
      Random r(100 + th);
      for (int i = 0; i < 500; i++) {
        size_t j = r.Uniform(entries.size());
        test::GetResult g = Get(t, entries[j].first);
        if (!g.found || g.value != entries[j].second) failures++;
        if (i % 50 == 0) {
          std::unique_ptr<Iterator> it(t.NewIterator(ReadOptions()));
          size_t n = 0;
          for (it->Seek(entries[j].first); it->Valid() && n < 100; it->Next()) {
            if (it->key() != entries[j + n].first) failures++;
            n++;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(cache->GetStats().pinned_usage, 0u);
}

}  // namespace
}  // namespace kvs
