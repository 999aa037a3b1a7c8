#include "memtable/internal_key.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "util/coding.h"
#include "util/random.h"

namespace kvs {
namespace {

std::string IKey(std::string_view user_key, SequenceNumber seq,
                 ValueType type) {
  std::string encoded;
  AppendInternalKey(&encoded, user_key, seq, type);
  return encoded;
}

TEST(InternalKeyTest, EncodeParseRoundTrip) {
  const std::string long_key(1000, 'x');
  const std::vector<std::string> user_keys = {
      "", "k", std::string("\0\0", 2), "\xff\xff", "hello", long_key};
  const std::vector<SequenceNumber> seqs = {0,
                                            1,
                                            255,
                                            256,
                                            (uint64_t{1} << 32) + 7,
                                            kMaxSequenceNumber - 1,
                                            kMaxSequenceNumber};
  for (const auto& user_key : user_keys) {
    for (SequenceNumber seq : seqs) {
      for (ValueType type : {kTypeValue, kTypeDeletion}) {
        const std::string encoded = IKey(user_key, seq, type);
        ASSERT_EQ(encoded.size(), InternalKeyEncodingLength(user_key.size()));
        ASSERT_EQ(ExtractUserKey(encoded), user_key);
        ASSERT_EQ(ExtractTrailer(encoded), PackSequenceAndType(seq, type));
        ParsedInternalKey parsed;
        ASSERT_TRUE(ParseInternalKey(encoded, &parsed));
        EXPECT_EQ(parsed.user_key, user_key);
        EXPECT_EQ(parsed.sequence, seq);
        EXPECT_EQ(parsed.type, type);
        auto decoded = DecodeInternalKey(encoded);
        ASSERT_TRUE(decoded.ok()) << decoded.status();
        EXPECT_EQ(decoded->sequence, seq);

        // Re-encoding the parsed form reproduces the bytes.
        std::string again;
        AppendInternalKey(&again, parsed);
        EXPECT_EQ(again, encoded);
      }
    }
  }
}

TEST(InternalKeyTest, TrailerByteLayout) {
  // "ab" at sequence 0x0102 as a value: trailer 0x010201, little-endian.
  const std::string encoded = IKey("ab", 0x0102, kTypeValue);
  EXPECT_EQ(encoded, std::string("ab\x01\x02\x01\x00\x00\x00\x00\x00", 10));
  // The separator trailer of docs/format.md.
  EXPECT_EQ(IKey("g", kMaxSequenceNumber, kValueTypeForSeek),
            std::string("g\x01\xff\xff\xff\xff\xff\xff\xff", 9));
  const std::string deletion = IKey("", kMaxSequenceNumber, kTypeDeletion);
  EXPECT_EQ(deletion, std::string("\x00\xff\xff\xff\xff\xff\xff\xff", 8));
}

TEST(InternalKeyTest, ParseRejectsShortKeys) {
  const std::string full = IKey("abc", 5, kTypeValue);
  for (size_t len = 0; len < kInternalKeyTrailerSize; len++) {
    const std::string_view shortened(full.data(), len);
    ParsedInternalKey parsed;
    EXPECT_FALSE(ParseInternalKey(shortened, &parsed)) << len;
    auto decoded = DecodeInternalKey(shortened);
    EXPECT_TRUE(absl::IsDataLoss(decoded.status())) << decoded.status();
    // Never reads outside the key.
    EXPECT_EQ(ExtractUserKey(shortened), shortened);
    EXPECT_EQ(ExtractTrailer(shortened), 0u);
  }
}

TEST(InternalKeyTest, ParseRejectsUnknownTypes) {
  for (int type = 2; type < 256; type++) {
    std::string encoded = "key";
    PutFixed64(&encoded, (uint64_t{77} << 8) | static_cast<uint64_t>(type));
    ParsedInternalKey parsed;
    EXPECT_FALSE(ParseInternalKey(encoded, &parsed)) << type;
    EXPECT_TRUE(absl::IsDataLoss(DecodeInternalKey(encoded).status()));
    InternalKey ikey;
    EXPECT_FALSE(ikey.DecodeFrom(encoded));
    EXPECT_TRUE(ikey.empty());
  }
}

// Keys listed in the order the comparator must put them.
std::vector<std::string> OrderedKeys() {
  return {
      IKey("", kMaxSequenceNumber, kTypeValue),
      IKey("", 0, kTypeDeletion),
      IKey("a", kMaxSequenceNumber, kTypeValue),
      IKey("a", 100, kTypeValue),
      IKey("a", 100, kTypeDeletion),
      IKey("a", 99, kTypeValue),
      IKey("a", 1, kTypeDeletion),
      IKey("a", 0, kTypeValue),
      // A user key that is a prefix of another sorts first, whatever the
      // trailers.
      IKey(std::string("a\0", 2), kMaxSequenceNumber, kTypeValue),
      IKey("aa", 5, kTypeValue),
      IKey("b", 1ull << 40, kTypeValue),
      IKey("b", 256, kTypeValue),
      IKey("b", 255, kTypeValue),
      IKey("\xff", 3, kTypeValue),
  };
}

TEST(InternalKeyComparatorTest, Ordering) {
  InternalKeyComparator cmp(BytewiseComparator());
  const auto keys = OrderedKeys();
  for (size_t i = 0; i < keys.size(); i++) {
    for (size_t j = 0; j < keys.size(); j++) {
      const int c = cmp.Compare(keys[i], keys[j]);
      if (i < j) {
        EXPECT_LT(c, 0) << i << " vs " << j;
      } else if (i > j) {
        EXPECT_GT(c, 0) << i << " vs " << j;
      } else {
        EXPECT_EQ(c, 0);
      }
    }
  }
  EXPECT_STREQ(cmp.Name(), "kvs.InternalKeyComparator");
  EXPECT_EQ(cmp.user_comparator(), BytewiseComparator());
}

// Orders user keys backwards, to show the user comparator (not memcmp) decides.
class ReverseComparator : public Comparator {
 public:
  int Compare(std::string_view a, std::string_view b) const override {
    return BytewiseComparator()->Compare(b, a);
  }
  const char* Name() const override { return "test.Reverse"; }
  void FindShortestSeparator(std::string*, std::string_view) const override {}
  void FindShortSuccessor(std::string*) const override {}
};

TEST(InternalKeyComparatorTest, UsesUserComparator) {
  ReverseComparator reverse;
  InternalKeyComparator cmp(&reverse);
  EXPECT_LT(cmp.Compare(IKey("b", 1, kTypeValue), IKey("a", 9, kTypeValue)), 0);
  // Sequence stays descending within a user key.
  EXPECT_LT(cmp.Compare(IKey("a", 9, kTypeValue), IKey("a", 1, kTypeValue)), 0);
}

std::string Escaped(std::string_view bytes) {
  return absl::CEscape(absl::string_view(bytes.data(), bytes.size()));
}

// The bytewise comparator behind another pointer: an InternalKeyComparator over
// it takes the generic path (a virtual call) instead of the inline one.
class WrappedBytewise : public Comparator {
 public:
  int Compare(std::string_view a, std::string_view b) const override {
    return BytewiseComparator()->Compare(a, b);
  }
  const char* Name() const override { return BytewiseComparator()->Name(); }
  void FindShortestSeparator(std::string* start,
                             std::string_view limit) const override {
    BytewiseComparator()->FindShortestSeparator(start, limit);
  }
  void FindShortSuccessor(std::string* key) const override {
    BytewiseComparator()->FindShortSuccessor(key);
  }
};

// The inline bytewise comparison must return exactly what the generic path
// returns, on keys that stress it: empty user keys, prefixes of one another,
// bytes >= 0x80 (signedness), equal user keys with different trailers, and
// damaged keys shorter than the trailer.
TEST(InternalKeyComparatorTest, BytewiseFastPathMatchesGenericPath) {
  InternalKeyComparator fast(BytewiseComparator());
  WrappedBytewise wrapped;
  InternalKeyComparator generic(&wrapped);

  Random rnd(301);
  std::vector<std::string> keys = {"", "a", "\x80", "abcdefg"};
  const std::string alphabet("\x00\x01\x7f\x80\xfe\xff", 6);
  std::vector<std::string> user_keys = {""};
  for (int i = 0; i < 60; i++) {
    std::string u;
    if (rnd.OneIn(3) && !user_keys.empty()) {
      // A prefix or an extension of an earlier key.
      u = user_keys[rnd.Uniform(user_keys.size())];
      if (rnd.OneIn(2)) {
        u.resize(rnd.Uniform(u.size() + 1));
      } else {
        u += alphabet[rnd.Uniform(alphabet.size())];
      }
    } else {
      size_t len = rnd.Uniform(20);
      for (size_t j = 0; j < len; j++) {
        u += rnd.OneIn(2) ? alphabet[rnd.Uniform(alphabet.size())]
                          : static_cast<char>(rnd.Uniform(256));
      }
    }
    user_keys.push_back(u);
  }
  for (const std::string& u : user_keys) {
    keys.push_back(IKey(u, rnd.Uniform(1000), kTypeValue));
    keys.push_back(IKey(u, rnd.Uniform(3), kTypeDeletion));
    keys.push_back(IKey(u, kMaxSequenceNumber, kValueTypeForSeek));
  }
  size_t fast_path_nonzero = 0;
  for (const std::string& a : keys) {
    for (const std::string& b : keys) {
      const int r = fast.Compare(a, b);
      ASSERT_EQ(r, generic.Compare(a, b)) << Escaped(a) << " vs " << Escaped(b);
      if (r != 0) fast_path_nonzero++;
    }
  }
  EXPECT_GT(fast_path_nonzero, keys.size() * keys.size() / 2);
}

TEST(InternalKeyComparatorTest, ShortKeysCompareWithoutCrashing) {
  InternalKeyComparator cmp(BytewiseComparator());
  // Damaged keys: any deterministic answer is fine; the point is that nothing
  // is read out of bounds (checked under ASan) and equal inputs compare equal.
  EXPECT_EQ(cmp.Compare("abc", "abc"), 0);
  EXPECT_LT(cmp.Compare("", "abc"), 0);
  (void)cmp.Compare("abc", IKey("abc", 1, kTypeValue));
}

std::string Separator(const InternalKeyComparator& cmp, std::string start,
                      std::string_view limit) {
  cmp.FindShortestSeparator(&start, limit);
  return start;
}

std::string Successor(const InternalKeyComparator& cmp, std::string key) {
  cmp.FindShortSuccessor(&key);
  return key;
}

TEST(InternalKeyComparatorTest, ShortestSeparator) {
  InternalKeyComparator cmp(BytewiseComparator());
  const std::string seek_trailer_g =
      IKey("g", kMaxSequenceNumber, kValueTypeForSeek);

  // Same user key: nothing to shorten.
  EXPECT_EQ(
      Separator(cmp, IKey("foo", 100, kTypeValue), IKey("foo", 99, kTypeValue)),
      IKey("foo", 100, kTypeValue));
  // Different user keys with room in between: shortened, with the max trailer.
  EXPECT_EQ(Separator(cmp, IKey("foo", 100, kTypeValue),
                      IKey("hello", 200, kTypeValue)),
            seek_trailer_g);
  EXPECT_EQ(Separator(cmp, IKey("foo", 100, kTypeDeletion),
                      IKey("hello", 200, kTypeValue)),
            seek_trailer_g);
  // Start's user key is a prefix of limit's: unchanged.
  EXPECT_EQ(Separator(cmp, IKey("foo", 100, kTypeValue),
                      IKey("foobar", 200, kTypeValue)),
            IKey("foo", 100, kTypeValue));
  // Adjacent bytes: no shorter key fits in between.
  EXPECT_EQ(Separator(cmp, IKey("fooa", 100, kTypeValue),
                      IKey("foob", 200, kTypeValue)),
            IKey("fooa", 100, kTypeValue));
  // Damaged inputs are left alone.
  EXPECT_EQ(Separator(cmp, "abc", IKey("z", 1, kTypeValue)), "abc");
  EXPECT_EQ(Separator(cmp, IKey("a", 1, kTypeValue), "z"),
            IKey("a", 1, kTypeValue));
}

TEST(InternalKeyComparatorTest, ShortSuccessor) {
  InternalKeyComparator cmp(BytewiseComparator());
  EXPECT_EQ(Successor(cmp, IKey("foo", 100, kTypeValue)),
            IKey("g", kMaxSequenceNumber, kValueTypeForSeek));
  EXPECT_EQ(Successor(cmp, IKey("\xff\xff", 100, kTypeValue)),
            IKey("\xff\xff", 100, kTypeValue));
  EXPECT_EQ(Successor(cmp, IKey("", 5, kTypeValue)), IKey("", 5, kTypeValue));
  EXPECT_EQ(Successor(cmp, "abc"), "abc");
}

// Random pairs from a small alphabet (with 0x00 and 0xff, which stress the
// shortening edge cases): the separator must stay in [start, limit) and the
// successor >= key.
TEST(InternalKeyComparatorTest, SeparatorAndSuccessorKeepOrderRandomized) {
  InternalKeyComparator cmp(BytewiseComparator());
  Random rnd(301);
  const char alphabet[] = {'\x00', 'a', 'b', 'c', '\xfe', '\xff'};
  auto random_key = [&]() {
    std::string user_key(rnd.Uniform(6), '\0');
    for (auto& c : user_key) c = alphabet[rnd.Uniform(sizeof(alphabet))];
    const SequenceNumber seq =
        rnd.OneIn(10) ? kMaxSequenceNumber : rnd.Uniform(1000);
    return IKey(user_key, seq, rnd.OneIn(2) ? kTypeValue : kTypeDeletion);
  };
  for (int i = 0; i < 20000; i++) {
    std::string a = random_key();
    std::string b = random_key();
    if (cmp.Compare(a, b) == 0) continue;
    if (cmp.Compare(a, b) > 0) std::swap(a, b);
    const std::string sep = Separator(cmp, a, b);
    ASSERT_LE(cmp.Compare(a, sep), 0) << i;
    ASSERT_LT(cmp.Compare(sep, b), 0) << i;
    ASSERT_LE(sep.size(), a.size());
    ParsedInternalKey parsed;
    ASSERT_TRUE(ParseInternalKey(sep, &parsed));

    const std::string succ = Successor(cmp, a);
    ASSERT_LE(cmp.Compare(a, succ), 0) << i;
    ASSERT_LE(succ.size(), a.size());
    ASSERT_TRUE(ParseInternalKey(succ, &parsed));
  }
}

TEST(InternalKeyClassTest, Basics) {
  InternalKey empty;
  EXPECT_TRUE(empty.empty());

  InternalKey key("user", 42, kTypeDeletion);
  EXPECT_FALSE(key.empty());
  EXPECT_EQ(key.Encode(), IKey("user", 42, kTypeDeletion));
  EXPECT_EQ(key.user_key(), "user");
  EXPECT_EQ(key.DebugString(), "'user' @ 42 : del");

  InternalKey decoded;
  ASSERT_TRUE(decoded.DecodeFrom(key.Encode()));
  EXPECT_EQ(decoded.Encode(), key.Encode());
  EXPECT_FALSE(decoded.DecodeFrom("short"));
  EXPECT_TRUE(decoded.empty());

  decoded.SetFrom(ParsedInternalKey("a\nb", 7, kTypeValue));
  EXPECT_EQ(decoded.DebugString(), "'a\\nb' @ 7 : val");
  InternalKeyComparator cmp(BytewiseComparator());
  EXPECT_LT(cmp.Compare(decoded, key), 0);
  decoded.Clear();
  EXPECT_TRUE(decoded.empty());
}

void CheckLookupKey(const std::string& user_key, SequenceNumber seq) {
  LookupKey lookup(user_key, seq);
  EXPECT_EQ(lookup.user_key(), user_key);
  EXPECT_EQ(lookup.internal_key(), IKey(user_key, seq, kValueTypeForSeek));
  std::string memtable_key;
  PutVarint32(&memtable_key, static_cast<uint32_t>(user_key.size() + 8));
  memtable_key += lookup.internal_key();
  EXPECT_EQ(lookup.memtable_key(), memtable_key);
}

TEST(LookupKeyTest, ShortAndLongKeys) {
  CheckLookupKey("", 0);
  CheckLookupKey("k", 5);
  CheckLookupKey("k", kMaxSequenceNumber);
  // Around the inline buffer's capacity, and far beyond it (heap).
  for (size_t len = 150; len < 200; len++) {
    CheckLookupKey(std::string(len, 'q'), 1234);
  }
  CheckLookupKey(std::string(100000, 'z'), 99);
  // A default string_view (null data) as the user key.
  LookupKey lookup(std::string_view(), 3);
  EXPECT_EQ(lookup.user_key(), "");
}

// A filter that remembers its keys exactly (no false positives), to check what
// the wrapper hands to the user policy.
class ExactSetPolicy : public FilterPolicy {
 public:
  const char* Name() const override { return "test.ExactSet"; }
  void CreateFilter(const std::vector<std::string_view>& keys,
                    std::string* dst) const override {
    for (std::string_view k : keys) PutLengthPrefixed(dst, k);
  }
  bool KeyMayMatch(std::string_view key,
                   std::string_view filter) const override {
    std::string_view k;
    while (GetLengthPrefixed(&filter, &k)) {
      if (k == key) return true;
    }
    return false;
  }
};

TEST(InternalFilterPolicyTest, FiltersOverUserKeys) {
  auto user = std::make_shared<ExactSetPolicy>();
  InternalFilterPolicy policy(user);
  EXPECT_STREQ(policy.Name(), "test.ExactSet");
  EXPECT_EQ(policy.user_policy(), user.get());

  const std::string k1 = IKey("apple", 10, kTypeValue);
  const std::string k2 = IKey("apple", 9, kTypeDeletion);
  const std::string k3 = IKey("", 1, kTypeValue);
  std::string filter = "prefix";  // CreateFilter appends.
  policy.CreateFilter({k1, k2, k3}, &filter);
  ASSERT_EQ(filter.substr(0, 6), "prefix");
  std::string expected = "prefix";
  user->CreateFilter({"apple", "apple", ""}, &expected);
  EXPECT_EQ(filter, expected);

  const std::string_view built = std::string_view(filter).substr(6);
  // Any version of a present user key matches; other user keys do not.
  EXPECT_TRUE(policy.KeyMayMatch(IKey("apple", 500, kTypeValue), built));
  EXPECT_TRUE(
      policy.KeyMayMatch(IKey("", kMaxSequenceNumber, kTypeValue), built));
  EXPECT_FALSE(policy.KeyMayMatch(IKey("apples", 10, kTypeValue), built));
  EXPECT_FALSE(policy.KeyMayMatch(IKey("appl", 10, kTypeValue), built));
}

}  // namespace
}  // namespace kvs
