#include "util/crc32c.h"

#include <string>

#include "gtest/gtest.h"
#include "util/random.h"

namespace kvs::crc32c {
namespace {

TEST(Crc32cTest, StandardVectors) {
  EXPECT_EQ(Value("123456789", 9), 0xE3069283u);
  std::string zeros(32, '\0');
  EXPECT_EQ(Value(zeros.data(), zeros.size()), 0x8A9136AAu);
  std::string ones(32, '\xff');
  EXPECT_EQ(Value(ones.data(), ones.size()), 0x62A8AB43u);
  char ascending[32];
  for (int i = 0; i < 32; i++) ascending[i] = static_cast<char>(i);
  EXPECT_EQ(Value(ascending, sizeof(ascending)), 0x46DD794Eu);
  EXPECT_EQ(Value("", 0), 0u);
}

TEST(Crc32cTest, PortableMatchesStandardVectors) {
  EXPECT_EQ(ExtendPortable(0, "123456789", 9), 0xE3069283u);
  std::string ones(32, '\xff');
  EXPECT_EQ(ExtendPortable(0, ones.data(), ones.size()), 0x62A8AB43u);
}

TEST(Crc32cTest, HardwareEqualsPortableOnRandomData) {
  Random rnd(17);
  for (int i = 0; i < 2000; i++) {
    std::string data = rnd.RandomBytes(rnd.Uniform(300));
    uint32_t seed = rnd.Next();
    EXPECT_EQ(Extend(seed, data.data(), data.size()),
              ExtendPortable(seed, data.data(), data.size()));
  }
  // Unaligned starts too.
  std::string data = rnd.RandomBytes(100);
  for (size_t off = 0; off < 16; off++) {
    EXPECT_EQ(Value(data.data() + off, data.size() - off),
              ExtendPortable(0, data.data() + off, data.size() - off));
  }
}

TEST(Crc32cTest, ExtendEqualsOneShot) {
  Random rnd(5);
  std::string data = rnd.RandomBytes(1000);
  uint32_t whole = Value(data.data(), data.size());
  for (size_t split = 0; split <= data.size(); split += 37) {
    uint32_t first = Value(data.data(), split);
    EXPECT_EQ(Extend(first, data.data() + split, data.size() - split), whole);
    EXPECT_EQ(ExtendPortable(first, data.data() + split, data.size() - split),
              whole);
  }
  EXPECT_EQ(Value("hello world", 11), Extend(Value("hello ", 6), "world", 5));
}

TEST(Crc32cTest, DifferentDataDifferentCrc) {
  EXPECT_NE(Value("a", 1), Value("foo", 3));
}

TEST(Crc32cTest, MaskRoundTripAndChanges) {
  uint32_t crc = Value("foo", 3);
  EXPECT_NE(crc, Mask(crc));
  EXPECT_NE(crc, Mask(Mask(crc)));
  EXPECT_EQ(crc, Unmask(Mask(crc)));
  EXPECT_EQ(crc, Unmask(Unmask(Mask(Mask(crc)))));
}

}  // namespace
}  // namespace kvs::crc32c
