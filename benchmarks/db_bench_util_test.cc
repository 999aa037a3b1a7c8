#include "benchmarks/db_bench_util.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "snappy.h"

namespace kvs::bench {
namespace {

TEST(KeyFormatterTest, ZeroPaddedDecimal) {
  KeyFormatter keys(16);
  EXPECT_EQ(keys.Format(0), "0000000000000000");
  EXPECT_EQ(keys.Format(42), "0000000000000042");
  EXPECT_EQ(keys.Format(999999), "0000000000999999");
}

TEST(KeyFormatterTest, WiderNumbersAreNotTruncated) {
  KeyFormatter keys(4);
  EXPECT_EQ(keys.Format(7), "0007");
  EXPECT_EQ(keys.Format(123456), "123456");
}

TEST(KeyFormatterTest, MissingKeySortsBetweenNeighbours) {
  KeyFormatter keys(16);
  std::string k = std::string(keys.Format(41));
  std::string missing = std::string(keys.FormatMissing(41));
  std::string next = std::string(keys.Format(42));
  EXPECT_LT(k, missing);
  EXPECT_LT(missing, next);
  EXPECT_EQ(missing.size(), 17u);
}

double SnappyRatio(std::string_view data) {
  std::string compressed;
  snappy::Compress(data.data(), data.size(), &compressed);
  return static_cast<double>(compressed.size()) /
         static_cast<double>(data.size());
}

TEST(ValueGeneratorTest, CompressesToAboutTheRequestedRatio) {
  ValueGenerator half(0.5, 1, 100);
  std::string block;
  for (int i = 0; i < 40; i++) block += half.Generate(100);
  EXPECT_GT(SnappyRatio(block), 0.45);
  EXPECT_LT(SnappyRatio(block), 0.65);

  ValueGenerator incompressible(1.0, 1, 100);
  block.clear();
  for (int i = 0; i < 40; i++) block += incompressible.Generate(100);
  EXPECT_GT(SnappyRatio(block), 0.9);
}

TEST(ValueGeneratorTest, DeterministicForASeedAndPrintable) {
  ValueGenerator a(0.5, 7, 1000), b(0.5, 7, 1000), c(0.5, 8, 1000);
  std::string va(a.Generate(1000)), vb(b.Generate(1000)), vc(c.Generate(1000));
  EXPECT_EQ(va, vb);
  EXPECT_NE(va, vc);
  for (char ch : va) {
    EXPECT_GE(ch, ' ');
    EXPECT_LE(ch, '~');
  }
}

TEST(ValueGeneratorTest, LargeValuesWrapAroundThePool) {
  size_t big = 3 << 20;  // Larger than the 1 MiB default pool.
  ValueGenerator gen(0.5, 3, big);
  for (int i = 0; i < 5; i++) EXPECT_EQ(gen.Generate(big).size(), big);
  EXPECT_EQ(gen.Generate(0).size(), 0u);
}

TEST(LatencyRecorderTest, NearestRankPercentiles) {
  LatencyRecorder r;
  EXPECT_EQ(r.PercentileMicros(50), 0);
  // 1000 samples of 1..1000 microseconds, added out of order.
  for (int i = 1000; i >= 1; i--) r.Add(static_cast<uint64_t>(i) * 1000);
  EXPECT_DOUBLE_EQ(r.PercentileMicros(50), 500);
  EXPECT_DOUBLE_EQ(r.PercentileMicros(99), 990);
  EXPECT_DOUBLE_EQ(r.PercentileMicros(99.9), 999);
  EXPECT_DOUBLE_EQ(r.PercentileMicros(100), 1000);
  EXPECT_DOUBLE_EQ(r.MaxMicros(), 1000);
  EXPECT_DOUBLE_EQ(r.MeanMicros(), 500.5);

  LatencyRecorder other;
  other.Add(2000000);
  r.Merge(other);
  EXPECT_EQ(r.count(), 1001u);
  EXPECT_DOUBLE_EQ(r.PercentileMicros(100), 2000);
}

TEST(DirectorySizeTest, SumsRegularFilesRecursively) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(testing::TempDir()) / "db_bench_util_test_dir";
  fs::remove_all(dir);
  EXPECT_EQ(DirectorySize(dir.string()), 0u);
  fs::create_directories(dir / "sub");
  std::ofstream(dir / "a") << std::string(1000, 'x');
  std::ofstream(dir / "sub" / "b") << std::string(234, 'y');
  EXPECT_EQ(DirectorySize(dir.string()), 1234u);
  fs::remove_all(dir);
}

TEST(IoCountersTest, WritesAreCounted) {
  IoCounters before = ReadIoCounters();
  if (!before.ok) GTEST_SKIP() << "/proc/self/io is not readable here";
  std::string path = testing::TempDir() + "/db_bench_util_io_test";
  {
    std::ofstream out(path);
    out << std::string(1 << 20, 'z');
  }
  IoCounters after = ReadIoCounters();
  EXPECT_GE(after.wchar - before.wchar, uint64_t{1} << 20);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace kvs::bench
