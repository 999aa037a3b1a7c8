#include "memtable/memtable.h"

#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "util/random.h"

namespace kvs {
namespace {

// Holds the creator's reference for the duration of a test.
class MemTableHolder {
 public:
  explicit MemTableHolder(const Comparator* user = BytewiseComparator())
      : icmp_(user), mem_(new MemTable(icmp_)) {
    mem_->Ref();
  }
  ~MemTableHolder() {
    if (mem_ != nullptr) mem_->Unref();
  }
  MemTable* get() const { return mem_; }
  MemTable* operator->() const { return mem_; }
  // Drops the creator's reference early.
  void Release() {
    mem_->Unref();
    mem_ = nullptr;
  }
  const InternalKeyComparator& icmp() const { return icmp_; }

 private:
  InternalKeyComparator icmp_;
  MemTable* mem_;
};

struct GetOutcome {
  MemTableGetResult result;
  std::string value;
};

GetOutcome Get(const MemTable& mem, std::string_view key, SequenceNumber seq) {
  GetOutcome out{MemTableGetResult::kAbsent, "<untouched>"};
  out.result = mem.Get(LookupKey(key, seq), &out.value);
  return out;
}

void ExpectFound(const MemTable& mem, std::string_view key, SequenceNumber seq,
                 std::string_view value) {
  const GetOutcome out = Get(mem, key, seq);
  EXPECT_EQ(out.result, MemTableGetResult::kFound) << key << " @ " << seq;
  EXPECT_EQ(out.value, value) << key << " @ " << seq;
}

void ExpectGet(const MemTable& mem, std::string_view key, SequenceNumber seq,
               MemTableGetResult expected) {
  const GetOutcome out = Get(mem, key, seq);
  EXPECT_EQ(out.result, expected) << key << " @ " << seq;
  // Only a found value touches *value.
  EXPECT_EQ(out.value, "<untouched>");
}

TEST(MemTableTest, EmptyTable) {
  MemTableHolder mem;
  ExpectGet(*mem.get(), "k", kMaxSequenceNumber, MemTableGetResult::kAbsent);
  ExpectGet(*mem.get(), "", 0, MemTableGetResult::kAbsent);
  std::unique_ptr<Iterator> iter(mem->NewIterator());
  iter->SeekToFirst();
  EXPECT_FALSE(iter->Valid());
  iter->SeekToLast();
  EXPECT_FALSE(iter->Valid());
  iter->Seek(LookupKey("a", 1).internal_key());
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().ok());
  EXPECT_EQ(mem->num_entries(), 0u);
}

TEST(MemTableTest, VersionsVisibleBySequence) {
  MemTableHolder mem;
  // Neighbours on both sides, so a lookup that ran past its key would be
  // caught.
  mem->Add(10, kTypeValue, "j", "jv");
  mem->Add(11, kTypeValue, "l", "lv");
  mem->Add(20, kTypeValue, "k", "v20");
  mem->Add(30, kTypeValue, "k", "v30");
  mem->Add(40, kTypeDeletion, "k", "");
  mem->Add(50, kTypeValue, "k", "v50");
  mem->Add(60, kTypeDeletion, "k", "");

  ExpectGet(*mem.get(), "k", 0, MemTableGetResult::kAbsent);
  ExpectGet(*mem.get(), "k", 19, MemTableGetResult::kAbsent);
  ExpectFound(*mem.get(), "k", 20, "v20");
  ExpectFound(*mem.get(), "k", 29, "v20");
  ExpectFound(*mem.get(), "k", 30, "v30");
  ExpectFound(*mem.get(), "k", 39, "v30");
  ExpectGet(*mem.get(), "k", 40, MemTableGetResult::kDeleted);
  ExpectGet(*mem.get(), "k", 49, MemTableGetResult::kDeleted);
  ExpectFound(*mem.get(), "k", 50, "v50");
  ExpectGet(*mem.get(), "k", 60, MemTableGetResult::kDeleted);
  ExpectGet(*mem.get(), "k", kMaxSequenceNumber, MemTableGetResult::kDeleted);

  ExpectFound(*mem.get(), "j", kMaxSequenceNumber, "jv");
  ExpectGet(*mem.get(), "j", 9, MemTableGetResult::kAbsent);
  ExpectFound(*mem.get(), "l", 11, "lv");
  // Keys next to present ones, and prefixes/extensions of them.
  ExpectGet(*mem.get(), "i", 100, MemTableGetResult::kAbsent);
  ExpectGet(*mem.get(), "ka", 100, MemTableGetResult::kAbsent);
  ExpectGet(*mem.get(), std::string("k\0", 2), 100, MemTableGetResult::kAbsent);
  ExpectGet(*mem.get(), "m", 100, MemTableGetResult::kAbsent);
  ExpectGet(*mem.get(), "", 100, MemTableGetResult::kAbsent);
  EXPECT_EQ(mem->num_entries(), 7u);
}

TEST(MemTableTest, IteratorOrderIsInternalKeyOrder) {
  MemTableHolder mem;
  // Added out of order.
  mem->Add(5, kTypeValue, "b", "b5");
  mem->Add(3, kTypeValue, "a", "a3");
  mem->Add(9, kTypeDeletion, "b", "");
  mem->Add(7, kTypeValue, "a", "a7");
  mem->Add(1, kTypeValue, "c", "c1");
  mem->Add(2, kTypeValue, "", "empty-key");

  const std::vector<
      std::tuple<std::string, SequenceNumber, ValueType, std::string>>
      expected = {
          {"", 2, kTypeValue, "empty-key"}, {"a", 7, kTypeValue, "a7"},
          {"a", 3, kTypeValue, "a3"},       {"b", 9, kTypeDeletion, ""},
          {"b", 5, kTypeValue, "b5"},       {"c", 1, kTypeValue, "c1"},
      };
  std::unique_ptr<Iterator> iter(mem->NewIterator());
  iter->SeekToFirst();
  for (const auto& [user_key, seq, type, value] : expected) {
    ASSERT_TRUE(iter->Valid());
    ParsedInternalKey parsed;
    ASSERT_TRUE(ParseInternalKey(iter->key(), &parsed));
    EXPECT_EQ(parsed.user_key, user_key);
    EXPECT_EQ(parsed.sequence, seq);
    EXPECT_EQ(parsed.type, type);
    EXPECT_EQ(iter->value(), value);
    iter->Next();
  }
  EXPECT_FALSE(iter->Valid());

  // Backwards.
  iter->SeekToLast();
  for (auto it = expected.rbegin(); it != expected.rend(); ++it) {
    ASSERT_TRUE(iter->Valid());
    EXPECT_EQ(ExtractUserKey(iter->key()), std::get<0>(*it));
    iter->Prev();
  }
  EXPECT_FALSE(iter->Valid());

  // Seek takes internal keys: ("b", 6) lands on the newest version of b at or
  // below 6.
  iter->Seek(LookupKey("b", 6).internal_key());
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->value(), "b5");
  iter->Seek(LookupKey("b", 100).internal_key());
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(ExtractTrailer(iter->key()), PackSequenceAndType(9, kTypeDeletion));
  // ("a", 2) sorts after every version of a, so the seek moves on to the newest
  // b.
  iter->Seek(LookupKey("a", 2).internal_key());
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), InternalKey("b", 9, kTypeDeletion).Encode());
  iter->Seek(LookupKey("c", 0).internal_key());
  EXPECT_FALSE(iter->Valid());
}

TEST(MemTableTest, EmptyKeysAndValues) {
  MemTableHolder mem;
  mem->Add(1, kTypeValue, "", "");
  mem->Add(2, kTypeValue, "k", "");
  mem->Add(3, kTypeValue, "", "now-set");
  ExpectFound(*mem.get(), "", 1, "");
  ExpectFound(*mem.get(), "", 2, "");
  ExpectFound(*mem.get(), "", 3, "now-set");
  ExpectFound(*mem.get(), "k", 2, "");
  // A found empty value replaces whatever *value held.
  std::string value = "garbage";
  EXPECT_EQ(mem->Get(LookupKey("k", 5), &value), MemTableGetResult::kFound);
  EXPECT_EQ(value, "");
}

TEST(MemTableTest, LargeKeysAndValues) {
  MemTableHolder mem;
  const std::string big_key(5000, 'K');  // Beyond LookupKey's inline buffer.
  const std::string big_value(1 << 20, 'V');
  mem->Add(1, kTypeValue, big_key, big_value);
  mem->Add(2, kTypeValue, "small", big_value);
  ExpectFound(*mem.get(), big_key, 1, big_value);
  ExpectFound(*mem.get(), "small", 2, big_value);
  ExpectGet(*mem.get(), big_key.substr(1), 10, MemTableGetResult::kAbsent);
  EXPECT_GE(mem->ApproximateMemoryUsage(), 2 * big_value.size());
}

// The iterator builds short seek targets on the stack and long ones on the
// heap: seeks must land right on both sides of that limit.
TEST(MemTableTest, IteratorSeeksShortAndLongTargets) {
  MemTableHolder mem;
  std::vector<std::string> keys;
  for (size_t len : {0, 1, 100, 115, 116, 117, 118, 119, 120, 121, 200, 5000}) {
    keys.push_back(std::string(len, 'k'));
  }
  SequenceNumber seq = 1;
  for (const std::string& k : keys) {
    mem->Add(seq++, kTypeValue, k, "v" + std::to_string(k.size()));
  }
  std::unique_ptr<Iterator> it(mem->NewIterator());
  for (size_t i = 0; i < keys.size(); i++) {
    std::string target;
    AppendInternalKey(&target, keys[i], kMaxSequenceNumber, kValueTypeForSeek);
    it->Seek(target);
    ASSERT_TRUE(it->Valid()) << keys[i].size();
    EXPECT_EQ(ExtractUserKey(it->key()), keys[i]);
    EXPECT_EQ(it->value(), "v" + std::to_string(keys[i].size()));
    // Just past this key: the next one, or the end.
    target.clear();
    AppendInternalKey(&target, keys[i], 0, kTypeDeletion);
    it->Seek(target);
    if (i + 1 < keys.size()) {
      ASSERT_TRUE(it->Valid());
      EXPECT_EQ(ExtractUserKey(it->key()), keys[i + 1]);
    } else {
      EXPECT_FALSE(it->Valid());
    }
  }
}

TEST(MemTableTest, MemoryUsageGrows) {
  MemTableHolder mem;
  const size_t initial = mem->ApproximateMemoryUsage();
  for (int i = 0; i < 1000; i++) {
    mem->Add(i + 1, kTypeValue, "key" + std::to_string(i),
             std::string(100, 'x'));
  }
  EXPECT_GE(mem->ApproximateMemoryUsage(), initial + 1000 * 100);
  // One arena allocation per entry plus a small node: bounded overhead.
  EXPECT_LT(mem->ApproximateMemoryUsage(), initial + 1000 * 200);
}

TEST(MemTableTest, IteratorKeepsMemTableAlive) {
  MemTableHolder mem;
  mem->Add(1, kTypeValue, "a", "1");
  mem->Add(2, kTypeValue, "b", "2");
  std::unique_ptr<Iterator> iter(mem->NewIterator());
  // With the creator's reference gone, the iterator's own reference keeps the
  // data valid (ASan would report a use after free otherwise), and dropping the
  // iterator frees it (the leak checker would report otherwise).
  mem.Release();
  iter->SeekToFirst();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->value(), "1");
  iter->Next();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->value(), "2");
  iter.reset();
}

TEST(MemTableTest, RefCounting) {
  InternalKeyComparator icmp(BytewiseComparator());
  auto* mem = new MemTable(icmp);
  mem->Ref();
  mem->Ref();
  mem->Add(1, kTypeValue, "k", "v");
  mem->Unref();  // Still referenced once.
  ExpectFound(*mem, "k", 1, "v");
  mem->Unref();  // Deleted here; ASan's leak check fails the test if not.
}

// Orders user keys backwards.
class ReverseComparator : public Comparator {
 public:
  int Compare(std::string_view a, std::string_view b) const override {
    return BytewiseComparator()->Compare(b, a);
  }
  const char* Name() const override { return "test.Reverse"; }
  void FindShortestSeparator(std::string*, std::string_view) const override {}
  void FindShortSuccessor(std::string*) const override {}
};

TEST(MemTableTest, UsesUserComparator) {
  ReverseComparator reverse;
  MemTableHolder mem(&reverse);
  mem->Add(1, kTypeValue, "a", "A");
  mem->Add(2, kTypeValue, "c", "C");
  mem->Add(3, kTypeValue, "b", "B");
  std::unique_ptr<Iterator> iter(mem->NewIterator());
  std::string order;
  for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
    order += iter->value();
  }
  EXPECT_EQ(order, "CBA");
  ExpectFound(*mem.get(), "b", 3, "B");
  ExpectGet(*mem.get(), "b", 2, MemTableGetResult::kAbsent);
}

// Random updates over a small key set, checked against a model of every
// version.
TEST(MemTableTest, RandomizedAgainstModel) {
  Random rnd(7);
  MemTableHolder mem;
  // key -> seq -> (type, value)
  std::map<std::string,
           std::map<SequenceNumber, std::pair<ValueType, std::string>>>
      model;
  SequenceNumber seq = 0;
  for (int i = 0; i < 3000; i++) {
    const std::string key = "k" + std::to_string(rnd.Uniform(50));
    const ValueType type = rnd.OneIn(4) ? kTypeDeletion : kTypeValue;
    const std::string value =
        type == kTypeValue ? rnd.RandomBytes(rnd.Skewed(8)) : "";
    // Sequence numbers increase but with gaps, as snapshots of real batches do.
    seq += 1 + rnd.Uniform(3);
    mem->Add(seq, type, key, value);
    model[key][seq] = {type, value};
  }

  for (int probe = 0; probe < 5000; probe++) {
    const std::string key = "k" + std::to_string(rnd.Uniform(60));
    const SequenceNumber at = rnd.Uniform(seq + 2);
    GetOutcome out = Get(*mem.get(), key, at);
    auto versions = model.find(key);
    MemTableGetResult expected = MemTableGetResult::kAbsent;
    std::string expected_value;
    if (versions != model.end()) {
      auto it = versions->second.upper_bound(at);
      if (it != versions->second.begin()) {
        --it;
        expected = it->second.first == kTypeValue ? MemTableGetResult::kFound
                                                  : MemTableGetResult::kDeleted;
        expected_value = it->second.second;
      }
    }
    ASSERT_EQ(out.result, expected) << key << " @ " << at;
    if (expected == MemTableGetResult::kFound) {
      ASSERT_EQ(out.value, expected_value);
    }
  }

  // Full scan: user keys ascending, sequences descending.
  std::unique_ptr<Iterator> iter(mem->NewIterator());
  iter->SeekToFirst();
  for (const auto& [key, versions] : model) {
    for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
      ASSERT_TRUE(iter->Valid());
      ParsedInternalKey parsed;
      ASSERT_TRUE(ParseInternalKey(iter->key(), &parsed));
      ASSERT_EQ(parsed.user_key, key);
      ASSERT_EQ(parsed.sequence, it->first);
      ASSERT_EQ(parsed.type, it->second.first);
      ASSERT_EQ(iter->value(), it->second.second);
      iter->Next();
    }
  }
  EXPECT_FALSE(iter->Valid());
}

}  // namespace
}  // namespace kvs
