#include "lsm/comparator.h"

#include <string>

#include "gtest/gtest.h"

namespace kvs {
namespace {

const Comparator* cmp = BytewiseComparator();

TEST(BytewiseComparatorTest, OrdersAsUnsignedBytes) {
  EXPECT_LT(cmp->Compare("a", "b"), 0);
  EXPECT_GT(cmp->Compare("b", "a"), 0);
  EXPECT_EQ(cmp->Compare("abc", "abc"), 0);
  EXPECT_LT(cmp->Compare("", "a"), 0);
  EXPECT_LT(cmp->Compare("ab", "abc"), 0);
  EXPECT_LT(cmp->Compare("\x7f", "\x80"), 0);  // Unsigned, not signed char.
  EXPECT_LT(cmp->Compare(std::string("a\0", 2), std::string("a\1", 2)), 0);
  EXPECT_STREQ(cmp->Name(), "kvs.BytewiseComparator");
}

std::string Separator(std::string start, std::string limit) {
  cmp->FindShortestSeparator(&start, limit);
  return start;
}

TEST(BytewiseComparatorTest, ShortestSeparator) {
  EXPECT_EQ(Separator("abcdefg", "abzzz"), "abd");
  EXPECT_EQ(Separator("abc", "abcdef"), "abc");  // Prefix: unchanged.
  EXPECT_EQ(Separator("abcdef", "abc"), "abcdef");
  EXPECT_EQ(Separator("abc1", "abc2"), "abc1");  // No room between bytes.
  EXPECT_EQ(Separator("ab\xff"
                      "x",
                      "ac"),
            "ab\xff"
            "x");
  EXPECT_EQ(Separator("a", "a"), "a");
  EXPECT_EQ(Separator("", "b"), "");
  // The result always stays in [start, limit).
  for (auto [s, l] : {std::pair{"foo", "goo"}, {"1234", "1300"}, {"a", "c"}}) {
    std::string sep = Separator(s, l);
    EXPECT_LE(cmp->Compare(s, sep), 0);
    EXPECT_LT(cmp->Compare(sep, l), 0);
  }
}

TEST(BytewiseComparatorTest, ShortSuccessor) {
  auto succ = [](std::string k) {
    cmp->FindShortSuccessor(&k);
    return k;
  };
  EXPECT_EQ(succ("abc"), "b");
  EXPECT_EQ(succ("\xff\xff"
                 "a"),
            "\xff\xff"
            "b");
  EXPECT_EQ(succ("\xff\xff"), "\xff\xff");
  EXPECT_EQ(succ(""), "");
}

}  // namespace
}  // namespace kvs
