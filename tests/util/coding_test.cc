#include "util/coding.h"

#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "util/random.h"

namespace kvs {
namespace {

TEST(CodingTest, Fixed32RoundTripAndLayout) {
  std::string s;
  for (uint32_t v = 0; v < 100000; v++) PutFixed32(&s, v);
  std::string_view in(s);
  for (uint32_t v = 0; v < 100000; v++) {
    uint32_t got;
    ASSERT_TRUE(GetFixed32(&in, &got));
    EXPECT_EQ(got, v);
  }
  EXPECT_TRUE(in.empty());
  std::string le;
  PutFixed32(&le, 0x04030201);
  EXPECT_EQ(le, std::string("\x01\x02\x03\x04", 4));  // Little-endian.
}

TEST(CodingTest, Fixed64RoundTrip) {
  std::string s;
  std::vector<uint64_t> values;
  for (int power = 0; power <= 63; power++) {
    uint64_t v = uint64_t{1} << power;
    values.insert(values.end(), {v - 1, v, v + 1});
  }
  for (uint64_t v : values) PutFixed64(&s, v);
  std::string_view in(s);
  for (uint64_t v : values) {
    uint64_t got;
    ASSERT_TRUE(GetFixed64(&in, &got));
    EXPECT_EQ(got, v);
  }
  uint64_t dummy;
  EXPECT_FALSE(GetFixed64(&in, &dummy));
}

TEST(CodingTest, Varint32RoundTrip) {
  std::string s;
  for (uint32_t i = 0; i < (32 * 32); i++)
    PutVarint32(&s, (i / 32) << (i % 32));
  std::string_view in(s);
  for (uint32_t i = 0; i < (32 * 32); i++) {
    uint32_t expected = (i / 32) << (i % 32);
    uint32_t got;
    size_t before = in.size();
    ASSERT_TRUE(GetVarint32(&in, &got));
    EXPECT_EQ(got, expected);
    EXPECT_EQ(VarintLength(got), static_cast<int>(before - in.size()));
  }
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, Varint64RoundTrip) {
  std::vector<uint64_t> values = {0, 100, ~uint64_t{0}, ~uint64_t{0} - 1};
  for (int k = 0; k < 64; k++) {
    uint64_t power = uint64_t{1} << k;
    values.insert(values.end(), {power, power - 1, power + 1});
  }
  std::string s;
  for (uint64_t v : values) PutVarint64(&s, v);
  std::string_view in(s);
  for (uint64_t v : values) {
    uint64_t got;
    ASSERT_TRUE(GetVarint64(&in, &got));
    EXPECT_EQ(got, v);
  }
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, Varint32Overflow) {
  uint32_t result;
  std::string input("\x81\x82\x83\x84\x85\x11");
  EXPECT_EQ(GetVarint32Ptr(input.data(), input.data() + input.size(), &result),
            nullptr);
  // Five bytes whose last carries more than four bits is too big for 32 bits.
  std::string too_big("\xff\xff\xff\xff\x1f");
  EXPECT_EQ(GetVarint32Ptr(too_big.data(), too_big.data() + 5, &result),
            nullptr);
  std::string max("\xff\xff\xff\xff\x0f");
  ASSERT_NE(GetVarint32Ptr(max.data(), max.data() + 5, &result), nullptr);
  EXPECT_EQ(result, std::numeric_limits<uint32_t>::max());
}

TEST(CodingTest, Varint64Overflow) {
  uint64_t result;
  std::string input("\x81\x82\x83\x84\x85\x81\x82\x83\x84\x85\x11");
  EXPECT_EQ(GetVarint64Ptr(input.data(), input.data() + input.size(), &result),
            nullptr);
  std::string ten("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02");
  EXPECT_EQ(GetVarint64Ptr(ten.data(), ten.data() + ten.size(), &result),
            nullptr);
}

TEST(CodingTest, EveryTruncationIsReported) {
  std::string s;
  PutVarint32(&s, std::numeric_limits<uint32_t>::max());
  PutVarint64(&s, std::numeric_limits<uint64_t>::max());
  size_t len32 = VarintLength(std::numeric_limits<uint32_t>::max());
  for (size_t len = 0; len < len32; len++) {
    uint32_t v;
    EXPECT_EQ(GetVarint32Ptr(s.data(), s.data() + len, &v), nullptr) << len;
  }
  const char* p64 = s.data() + len32;
  for (size_t len = 0; len < kMaxVarint64Bytes; len++) {
    uint64_t v;
    EXPECT_EQ(GetVarint64Ptr(p64, p64 + len, &v), nullptr) << len;
  }
  uint32_t v32;
  EXPECT_NE(GetVarint32Ptr(s.data(), s.data() + len32, &v32), nullptr);
  uint32_t f;
  for (size_t len = 0; len < 4; len++) {
    std::string_view in(s.data(), len);
    EXPECT_FALSE(GetFixed32(&in, &f));
  }
}

TEST(CodingTest, LengthPrefixedStrings) {
  std::string s;
  PutLengthPrefixed(&s, "");
  PutLengthPrefixed(&s, "foo");
  PutLengthPrefixed(&s, "bar");
  PutLengthPrefixed(&s, std::string(200, 'x'));
  std::string_view in(s);
  std::string_view v;
  ASSERT_TRUE(GetLengthPrefixed(&in, &v));
  EXPECT_EQ(v, "");
  ASSERT_TRUE(GetLengthPrefixed(&in, &v));
  EXPECT_EQ(v, "foo");
  ASSERT_TRUE(GetLengthPrefixed(&in, &v));
  EXPECT_EQ(v, "bar");
  ASSERT_TRUE(GetLengthPrefixed(&in, &v));
  EXPECT_EQ(v, std::string(200, 'x'));
  EXPECT_TRUE(in.empty());

  // A length that promises more than is there fails.
  std::string bad;
  PutVarint32(&bad, 10);
  bad += "short";
  std::string_view bad_in(bad);
  EXPECT_FALSE(GetLengthPrefixed(&bad_in, &v));
}

TEST(CodingTest, RandomGarbageNeverReadsPastTheEnd) {
  Random rnd(301);
  for (int i = 0; i < 10000; i++) {
    std::string garbage = rnd.RandomBytes(rnd.Uniform(12));
    std::string_view in(garbage);
    uint64_t v;
    while (GetVarint64(&in, &v)) {
    }
  }
}

}  // namespace
}  // namespace kvs
