#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "lsm/filter_policy.h"
#include "sstable/bloom_filter.h"
#include "sstable/hash.h"
#include "util/coding.h"

namespace kvs {
namespace {

// Reference values from the xxHash library (XXH64) for bytes (i * 7 + 3) &
// 0xff.
struct HashVector {
  size_t length;
  uint64_t seed0;
  uint64_t seed_golden;  // seed 0x9e3779b97f4a7c15
};
constexpr HashVector kHashVectors[] = {
    {0, 0xef46db3751d8e999ull, 0xc4349fc93c010000ull},
    {1, 0x1f25c8d0bc1f4bb6ull, 0x79826bcd749d267aull},
    {3, 0x31d2363f52e564c9ull, 0x78efd77575e26575ull},
    {4, 0x9bb64b7d66ee9fdaull, 0x6f0a6c97d68bf353ull},
    {7, 0x9a7b149959ce60d8ull, 0xd97ede93c9d66a0dull},
    {8, 0xdab99d95c6f90092ull, 0xa2f1e28437a78a1bull},
    {9, 0x170bb6bf975b4c02ull, 0x9c9a3cd83532d84full},
    {15, 0x1b47cb8243cc8e32ull, 0xe2ec50a544faec61ull},
    {16, 0x434850232b787be2ull, 0x93351859a7286376ull},
    {31, 0xa2aa5f33cc4a6119ull, 0x755437271d1d0a84ull},
    {32, 0x23c3c17ef790fd97ull, 0xbf624b932c090428ull},
    {33, 0x50a7cfc7ba588784ull, 0x7aceaf1e9d34ea35ull},
    {63, 0x5e3e54b431c7493cull, 0x2c8ddce5c85d0d9dull},
    {64, 0x0eb64b3ef6eeb01full, 0x4af341f14e3a6fc9ull},
    {65, 0xa383b724b2bd12f1ull, 0x8e9e580645400102ull},
    {100, 0xa61f8d4c170fe531ull, 0xf6d8f65c625abb4full},
    {1000, 0x5f235fa033f1a3fbull, 0x442acd0a822e86f6ull},
};

TEST(Hash64Test, MatchesReferenceXxh64) {
  for (const HashVector& v : kHashVectors) {
    std::string data(v.length, '\0');
    for (size_t i = 0; i < v.length; i++) {
      data[i] = static_cast<char>((i * 7 + 3) & 0xff);
    }
    EXPECT_EQ(Hash64(data), v.seed0) << "length " << v.length;
    EXPECT_EQ(Hash64(data, 0x9e3779b97f4a7c15ull), v.seed_golden)
        << "length " << v.length;
  }
  EXPECT_EQ(Hash64("abc"), 0x44bc2cf5ad770999ull);
}

TEST(Hash64Test, UnalignedInputGivesSameHash) {
  std::string buf(200, 'x');
  for (size_t i = 0; i < buf.size(); i++) buf[i] = static_cast<char>(i * 31);
  std::string copy = buf.substr(3, 150);
  EXPECT_EQ(Hash64(std::string_view(buf).substr(3, 150)), Hash64(copy));
}

std::string Key(uint64_t i) {
  std::string k;
  PutFixed64(&k, i * 0x9e3779b97f4a7c15ull);
  return "key" + k;
}

std::string BuildFilter(const FilterPolicy& policy, uint64_t first,
                        uint64_t n) {
  std::vector<std::string> storage;
  storage.reserve(n);
  for (uint64_t i = first; i < first + n; i++) storage.push_back(Key(i));
  std::vector<std::string_view> keys(storage.begin(), storage.end());
  std::string filter;
  policy.CreateFilter(keys, &filter);
  return filter;
}

double FalsePositiveRate(const FilterPolicy& policy, std::string_view filter,
                         uint64_t n) {
  // Keys numbered from 1 << 40 were never added.
  constexpr int kProbes = 100000;
  int hits = 0;
  for (int i = 0; i < kProbes; i++) {
    if (policy.KeyMayMatch(Key((uint64_t{1} << 40) + i), filter)) hits++;
  }
  return static_cast<double>(hits) / kProbes;
}

TEST(BloomFilterTest, NameAndGeometry) {
  auto policy = NewBloomFilterPolicy(10);
  EXPECT_STREQ(policy->Name(), "kvs.BlockedBloom");
  EXPECT_EQ(bloom::NumProbes(10), 6);
  EXPECT_EQ(bloom::NumProbes(0), 1);
  EXPECT_EQ(bloom::NumProbes(1000), bloom::kMaxProbes);

  std::string filter = BuildFilter(*policy, 0, 1000);
  // ceil(1000 * 10 / 512) = 20 lines, then the probe count and line count.
  ASSERT_EQ(filter.size(), 20 * 64 + 5);
  EXPECT_EQ(filter[20 * 64], 6);
  EXPECT_EQ(DecodeFixed32(filter.data() + 20 * 64 + 1), 20u);
}

TEST(BloomFilterTest, EmptyFilterMatchesNothing) {
  auto policy = NewBloomFilterPolicy(10);
  std::string filter;
  policy->CreateFilter({}, &filter);
  ASSERT_EQ(filter.size(), 64u + 5);
  EXPECT_FALSE(policy->KeyMayMatch("", filter));
  EXPECT_FALSE(policy->KeyMayMatch("hello", filter));
}

TEST(BloomFilterTest, EmptyAndLongKeys) {
  auto policy = NewBloomFilterPolicy(10);
  std::string long_key(100000, 'z');
  std::vector<std::string_view> keys = {"", long_key};
  std::string filter;
  policy->CreateFilter(keys, &filter);
  EXPECT_TRUE(policy->KeyMayMatch("", filter));
  EXPECT_TRUE(policy->KeyMayMatch(long_key, filter));
}

TEST(BloomFilterTest, AppendsToExistingBytes) {
  auto policy = NewBloomFilterPolicy(10);
  std::string storage = "prefix";
  std::vector<std::string_view> keys = {"a", "b"};
  policy->CreateFilter(keys, &storage);
  ASSERT_EQ(storage.substr(0, 6), "prefix");
  std::string_view filter = std::string_view(storage).substr(6);
  EXPECT_TRUE(policy->KeyMayMatch("a", filter));
  EXPECT_TRUE(policy->KeyMayMatch("b", filter));
}

TEST(BloomFilterTest, NoFalseNegativesAndLowFalsePositiveRate) {
  auto policy = NewBloomFilterPolicy(10);
  for (uint64_t n : {1, 10, 100, 1000, 5000, 20000, 100000}) {
    std::string filter = BuildFilter(*policy, 0, n);
    for (uint64_t i = 0; i < n; i++) {
      ASSERT_TRUE(policy->KeyMayMatch(Key(i), filter))
          << "false negative, n=" << n << " i=" << i;
    }
    double rate = FalsePositiveRate(*policy, filter, n);
    EXPECT_LT(rate, 0.02) << "n=" << n;
    if (n >= 1000) {
      // A filter that is all ones would pass the bound above only by luck; make
      // sure the bits are really used (about 1% is expected at 10 bits per
      // key).
      EXPECT_GT(rate, 0.001) << "n=" << n;
    }
  }
}

TEST(BloomFilterTest, MoreBitsMeanFewerFalsePositives) {
  constexpr uint64_t kKeys = 20000;
  double previous = 1.0;
  for (double bits : {4.0, 8.0, 12.0, 20.0}) {
    auto policy = NewBloomFilterPolicy(bits);
    std::string filter = BuildFilter(*policy, 0, kKeys);
    EXPECT_NEAR(static_cast<double>(filter.size() - 5), kKeys * bits / 8, 64.0);
    double rate = FalsePositiveRate(*policy, filter, kKeys);
    EXPECT_LT(rate, previous) << bits << " bits per key";
    previous = rate;
  }
}

TEST(BloomFilterTest, OutOfRangeBitsPerKeyAreClamped) {
  for (double bits :
       {-5.0, 0.0, 0.5, std::numeric_limits<double>::quiet_NaN(), 500.0}) {
    auto policy = NewBloomFilterPolicy(bits);
    std::string filter = BuildFilter(*policy, 0, 100);
    ASSERT_GE(filter.size(), 64u + 5);
    EXPECT_EQ((filter.size() - 5) % 64, 0u);
    for (uint64_t i = 0; i < 100; i++) {
      EXPECT_TRUE(policy->KeyMayMatch(Key(i), filter));
    }
  }
}

TEST(BloomFilterTest, MalformedFiltersMatchEverything) {
  auto policy = NewBloomFilterPolicy(10);
  std::string good;
  policy->CreateFilter({}, &good);  // Matches nothing while intact.
  ASSERT_FALSE(policy->KeyMayMatch("x", good));

  EXPECT_TRUE(policy->KeyMayMatch("x", ""));
  EXPECT_TRUE(policy->KeyMayMatch("x", "abcd"));
  std::string bad = good;
  bad[64] = 0;  // Zero probes.
  EXPECT_TRUE(policy->KeyMayMatch("x", bad));
  bad = good;
  bad[64] = bloom::kMaxProbes + 1;
  EXPECT_TRUE(policy->KeyMayMatch("x", bad));
  bad = good;
  EncodeFixed32(bad.data() + 65, 2);  // More lines than there are bytes.
  EXPECT_TRUE(policy->KeyMayMatch("x", bad));
  EncodeFixed32(bad.data() + 65, 0);
  EXPECT_TRUE(policy->KeyMayMatch("x", bad));
  EXPECT_TRUE(policy->KeyMayMatch("x", good.substr(1)));  // Truncated.
  EXPECT_TRUE(policy->KeyMayMatch("x", good + "y"));      // Extra byte.
}

}  // namespace
}  // namespace kvs
