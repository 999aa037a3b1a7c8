#include "tests/crash/test_value.h"

#include <string>

#include "gtest/gtest.h"

namespace kvs::crash_testing {
namespace {

TEST(TestValueTest, RoundTrip) {
  for (size_t padding : {0, 1, 7, 100, 5000}) {
    std::string v = MakeValue(KeyName(42), 123456789, padding);
    absl::StatusOr<ParsedValue> p = ParseValue(v);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(p->key, KeyName(42));
    EXPECT_EQ(p->version, 123456789u);
    absl::StatusOr<uint64_t> version = CheckValue(KeyName(42), v);
    ASSERT_TRUE(version.ok());
    EXPECT_EQ(*version, 123456789u);
  }
}

TEST(TestValueTest, KeyNames) {
  uint64_t i = 0;
  EXPECT_TRUE(ParseKeyName(KeyName(31337), &i));
  EXPECT_EQ(i, 31337u);
  EXPECT_LT(KeyName(9), KeyName(10));
  EXPECT_FALSE(ParseKeyName("k123", &i));
  EXPECT_FALSE(ParseKeyName("x00000001", &i));
  EXPECT_FALSE(ParseKeyName("k0000000a", &i));
}

TEST(TestValueTest, EveryDamageIsCaught) {
  const std::string v = MakeValue(KeyName(5), 77, 40);
  for (size_t i = 0; i < v.size(); ++i) {
    std::string bad = v;
    bad[i] ^= 0x01;
    EXPECT_FALSE(ParseValue(bad).ok()) << "flip at " << i;
    EXPECT_FALSE(ParseValue(v.substr(0, i)).ok()) << "cut at " << i;
  }
  EXPECT_FALSE(ParseValue(v + "x").ok());
  EXPECT_FALSE(ParseValue("").ok());
}

TEST(TestValueTest, WrongKeyIsCaught) {
  const std::string v = MakeValue(KeyName(5), 77, 10);
  EXPECT_TRUE(CheckValue(KeyName(5), v).ok());
  absl::StatusOr<uint64_t> wrong = CheckValue(KeyName(6), v);
  EXPECT_TRUE(absl::IsDataLoss(wrong.status())) << wrong.status();
}

TEST(TestValueTest, ValuesOfOneSizeDiffer) {
  EXPECT_NE(MakeValue(KeyName(1), 1, 50).substr(12, 40),
            MakeValue(KeyName(1), 2, 50).substr(12, 40));
}

}  // namespace
}  // namespace kvs::crash_testing
