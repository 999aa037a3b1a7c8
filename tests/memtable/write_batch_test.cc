#include "lsm/write_batch.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "memtable/memtable.h"
#include "memtable/write_batch_internal.h"
#include "util/coding.h"
#include "util/random.h"

namespace kvs {
namespace {

struct Record {
  bool is_put;
  std::string key;
  std::string value;
  bool operator==(const Record& o) const {
    return is_put == o.is_put && key == o.key && value == o.value;
  }
};

class Recorder : public WriteBatch::Handler {
 public:
  void Put(std::string_view key, std::string_view value) override {
    records.push_back({true, std::string(key), std::string(value)});
  }
  void Delete(std::string_view key) override {
    records.push_back({false, std::string(key), ""});
  }
  std::vector<Record> records;
};

std::vector<Record> Records(const WriteBatch& batch) {
  Recorder recorder;
  const absl::Status s = batch.Iterate(&recorder);
  EXPECT_TRUE(s.ok()) << s;
  return recorder.records;
}

// An independent decoder written byte by byte from docs/format.md: nullopt on
// any malformation.
struct Decoded {
  uint64_t sequence;
  std::vector<Record> records;
};

bool RefVarint32(std::string_view in, size_t* pos, uint32_t* out) {
  uint64_t v = 0;
  for (int i = 0; i < 5; i++) {
    if (*pos >= in.size()) return false;
    const auto byte = static_cast<uint8_t>(in[(*pos)++]);
    v |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      if (v > UINT32_MAX) return false;
      *out = static_cast<uint32_t>(v);
      return true;
    }
  }
  return false;
}

bool RefBytes(std::string_view in, size_t* pos, std::string* out) {
  uint32_t len;
  if (!RefVarint32(in, pos, &len)) return false;
  if (in.size() - *pos < len) return false;
  out->assign(in.substr(*pos, len));
  *pos += len;
  return true;
}

std::optional<Decoded> ReferenceDecode(std::string_view in,
                                       std::vector<Record>* prefix) {
  if (in.size() < 12) return std::nullopt;
  Decoded d;
  d.sequence = 0;
  for (int i = 7; i >= 0; i--) {
    d.sequence = (d.sequence << 8) | static_cast<uint8_t>(in[i]);
  }
  uint32_t count = 0;
  for (int i = 11; i >= 8; i--) {
    count = (count << 8) | static_cast<uint8_t>(in[i]);
  }
  size_t pos = 12;
  while (pos < in.size()) {
    if (d.records.size() == count) return std::nullopt;
    const auto tag = static_cast<uint8_t>(in[pos++]);
    Record r{tag == 1, "", ""};
    if (tag > 1 || !RefBytes(in, &pos, &r.key)) return std::nullopt;
    if (tag == 1 && !RefBytes(in, &pos, &r.value)) return std::nullopt;
    d.records.push_back(r);
    prefix->push_back(r);
  }
  if (d.records.size() != count) return std::nullopt;
  return d;
}

TEST(WriteBatchTest, EmptyBatch) {
  WriteBatch batch;
  EXPECT_EQ(batch.Count(), 0u);
  EXPECT_EQ(batch.ApproximateSize(), WriteBatchInternal::kHeaderSize);
  EXPECT_EQ(WriteBatchInternal::Contents(batch), std::string(12, '\0'));
  EXPECT_EQ(WriteBatchInternal::Sequence(batch), 0u);
  EXPECT_TRUE(Records(batch).empty());
}

// The worked example of docs/format.md, "Write batch".
TEST(WriteBatchTest, EncodingMatchesFormatDoc) {
  WriteBatch batch;
  batch.Put("k", "v1");
  batch.Delete("x");
  WriteBatchInternal::SetSequence(&batch, 100);
  const std::string expected(
      "\x64\x00\x00\x00\x00\x00\x00\x00"  // sequence 100
      "\x02\x00\x00\x00"                  // count 2
      "\x01\x01k\x02v1"                   // put "k" -> "v1"
      "\x00\x01x",                        // delete "x"
      21);
  EXPECT_EQ(WriteBatchInternal::Contents(batch), expected);
  EXPECT_EQ(WriteBatchInternal::ByteSize(batch), 21u);

  // The internal keys the doc says it becomes.
  InternalKeyComparator icmp(BytewiseComparator());
  auto* mem = new MemTable(icmp);
  mem->Ref();
  ASSERT_TRUE(WriteBatchInternal::InsertInto(batch, mem).ok());
  std::unique_ptr<Iterator> iter(mem->NewIterator());
  iter->SeekToFirst();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), std::string("k\x01\x64\0\0\0\0\0\0", 9));
  EXPECT_EQ(iter->value(), "v1");
  iter->Next();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->key(), std::string("x\x00\x65\0\0\0\0\0\0", 9));
  iter.reset();
  mem->Unref();
}

TEST(WriteBatchTest, RoundTrip) {
  WriteBatch batch;
  batch.Put("foo", "bar");
  batch.Delete("box");
  batch.Put("baz", "boo");
  batch.Put("foo", "again");  // Same key twice: both records kept, in order.
  WriteBatchInternal::SetSequence(&batch, 0x123456789aull);
  EXPECT_EQ(batch.Count(), 4u);
  EXPECT_EQ(WriteBatchInternal::Sequence(batch), 0x123456789aull);
  const std::vector<Record> expected = {{true, "foo", "bar"},
                                        {false, "box", ""},
                                        {true, "baz", "boo"},
                                        {true, "foo", "again"}};
  EXPECT_EQ(Records(batch), expected);

  // Through the bytes, as WAL recovery does.
  WriteBatch decoded;
  ASSERT_TRUE(WriteBatchInternal::SetContents(
                  &decoded, WriteBatchInternal::Contents(batch))
                  .ok());
  EXPECT_EQ(Records(decoded), expected);
  EXPECT_EQ(decoded.Count(), 4u);
  EXPECT_EQ(WriteBatchInternal::Sequence(decoded), 0x123456789aull);
  EXPECT_TRUE(WriteBatchInternal::Validate(decoded).ok());

  // Copies are independent.
  WriteBatch copy = batch;
  copy.Delete("extra");
  EXPECT_EQ(batch.Count(), 4u);
  EXPECT_EQ(copy.Count(), 5u);
}

TEST(WriteBatchTest, EmptyKeysAndValues) {
  WriteBatch batch;
  batch.Put("", "");
  batch.Delete("");
  batch.Put("k", "");
  batch.Put("", "v");
  const std::vector<Record> expected = {
      {true, "", ""}, {false, "", ""}, {true, "k", ""}, {true, "", "v"}};
  EXPECT_EQ(Records(batch), expected);
}

TEST(WriteBatchTest, HugeValues) {
  Random rnd(5);
  const std::string big = rnd.RandomBytes(1 << 20);
  const std::string big_key = rnd.RandomBytes(70000);
  WriteBatch batch;
  batch.Put("small", big);
  batch.Put(big_key, "v");
  batch.Delete(big_key);
  EXPECT_GT(batch.ApproximateSize(), big.size() + big_key.size() * 2);
  WriteBatch decoded;
  ASSERT_TRUE(WriteBatchInternal::SetContents(
                  &decoded, WriteBatchInternal::Contents(batch))
                  .ok());
  const std::vector<Record> expected = {
      {true, "small", big}, {true, big_key, "v"}, {false, big_key, ""}};
  EXPECT_EQ(Records(decoded), expected);
}

TEST(WriteBatchTest, Append) {
  WriteBatch a;
  WriteBatch b;
  WriteBatchInternal::SetSequence(&a, 200);
  WriteBatchInternal::SetSequence(&b, 300);
  a.Append(b);  // Both empty.
  EXPECT_EQ(a.Count(), 0u);
  EXPECT_TRUE(Records(a).empty());

  b.Put("a", "va");
  a.Append(b);
  EXPECT_EQ(Records(a), (std::vector<Record>{{true, "a", "va"}}));
  EXPECT_EQ(a.Count(), 1u);

  b.Clear();
  b.Put("b", "vb");
  b.Delete("c");
  a.Append(b);
  EXPECT_EQ(Records(a),
            (std::vector<Record>{
                {true, "a", "va"}, {true, "b", "vb"}, {false, "c", ""}}));
  EXPECT_EQ(a.Count(), 3u);
  // The destination keeps its own sequence number.
  EXPECT_EQ(WriteBatchInternal::Sequence(a), 200u);

  // Appending a batch to itself doubles it.
  a.Append(a);
  EXPECT_EQ(a.Count(), 6u);
  const auto doubled = Records(a);
  ASSERT_EQ(doubled.size(), 6u);
  for (size_t i = 0; i < 3; i++) EXPECT_EQ(doubled[i], doubled[i + 3]);

  // Appending an empty batch changes nothing.
  const std::string before(WriteBatchInternal::Contents(a));
  a.Append(WriteBatch());
  EXPECT_EQ(WriteBatchInternal::Contents(a), before);
}

TEST(WriteBatchTest, Clear) {
  WriteBatch batch;
  batch.Put("k", "v");
  WriteBatchInternal::SetSequence(&batch, 9);
  batch.Clear();
  EXPECT_EQ(batch.Count(), 0u);
  EXPECT_EQ(WriteBatchInternal::Contents(batch), std::string(12, '\0'));
  batch.Delete("d");
  EXPECT_EQ(Records(batch), (std::vector<Record>{{false, "d", ""}}));
}

TEST(WriteBatchTest, MovedFromBatchStaysUsable) {
  WriteBatch a;
  a.Put("key", "value");
  WriteBatch b(std::move(a));
  EXPECT_EQ(Records(b), (std::vector<Record>{{true, "key", "value"}}));
  // Whatever state the move left, a's count agrees with its records and it
  // accepts updates.
  Recorder recorder;
  EXPECT_TRUE(a.Iterate(&recorder).ok());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(recorder.records.size(), a.Count());
  a.Put("x", "y");
  const auto records = Records(a);
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.back(), (Record{true, "x", "y"}));
  EXPECT_EQ(records.size(), a.Count());

  WriteBatch c;
  c = std::move(b);
  b.Delete("z");  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(Records(b).back(), (Record{false, "z", ""}));
}

TEST(WriteBatchTest, SetContentsRejectsShortHeader) {
  WriteBatch batch;
  batch.Put("keep", "me");
  const std::string header(11, '\0');
  for (size_t len = 0; len < WriteBatchInternal::kHeaderSize; len++) {
    const absl::Status s = WriteBatchInternal::SetContents(
        &batch, std::string_view(header).substr(0, len));
    EXPECT_TRUE(absl::IsDataLoss(s)) << len << " " << s;
    // Unchanged.
    EXPECT_EQ(Records(batch), (std::vector<Record>{{true, "keep", "me"}}));
  }
}

TEST(WriteBatchTest, CountMismatchIsDataLoss) {
  WriteBatch batch;
  batch.Put("a", "1");
  batch.Put("b", "2");

  WriteBatch more = batch;
  WriteBatchInternal::SetCount(&more, 3);
  Recorder r1;
  EXPECT_TRUE(absl::IsDataLoss(more.Iterate(&r1)));
  EXPECT_EQ(r1.records.size(),
            2u);  // The records before the damage were replayed.

  WriteBatch fewer = batch;
  WriteBatchInternal::SetCount(&fewer, 1);
  Recorder r2;
  EXPECT_TRUE(absl::IsDataLoss(fewer.Iterate(&r2)));
  // The record beyond the count is not handed out.
  EXPECT_EQ(r2.records, (std::vector<Record>{{true, "a", "1"}}));
}

TEST(WriteBatchTest, UnknownTagIsDataLoss) {
  std::string rep(12, '\0');
  rep[8] = 1;  // count 1
  rep += "\x02\x01k";
  WriteBatch batch;
  ASSERT_TRUE(WriteBatchInternal::SetContents(&batch, rep).ok());
  Recorder recorder;
  EXPECT_TRUE(absl::IsDataLoss(batch.Iterate(&recorder)));
  EXPECT_TRUE(recorder.records.empty());
  EXPECT_TRUE(absl::IsDataLoss(WriteBatchInternal::Validate(batch)));
}

// A batch whose encoding has multi-byte varints, empty fields and both record
// kinds.
WriteBatch SampleBatch() {
  WriteBatch batch;
  batch.Put("key1", "value1");
  batch.Delete("gone");
  batch.Put("", std::string(200, 'v'));  // Two-byte length.
  batch.Put(std::string(130, 'k'), "");
  batch.Delete("");
  WriteBatchInternal::SetSequence(&batch, 77);
  return batch;
}

TEST(WriteBatchTest, EveryTruncationIsDataLoss) {
  const WriteBatch original = SampleBatch();
  const std::string full(WriteBatchInternal::Contents(original));
  const std::vector<Record> all = Records(original);
  for (size_t len = 0; len < full.size(); len++) {
    SCOPED_TRACE(len);
    const std::string truncated = full.substr(0, len);
    WriteBatch batch;
    const absl::Status set = WriteBatchInternal::SetContents(&batch, truncated);
    if (len < WriteBatchInternal::kHeaderSize) {
      EXPECT_TRUE(absl::IsDataLoss(set));
      continue;
    }
    ASSERT_TRUE(set.ok());
    Recorder recorder;
    EXPECT_TRUE(absl::IsDataLoss(batch.Iterate(&recorder)));
    // What was replayed is a prefix of the original records.
    ASSERT_LE(recorder.records.size(), all.size());
    for (size_t i = 0; i < recorder.records.size(); i++) {
      EXPECT_EQ(recorder.records[i], all[i]);
    }
  }
}

TEST(WriteBatchTest, EveryBitFlipIsDataLossOrCorrectDecode) {
  const std::string full(WriteBatchInternal::Contents(SampleBatch()));
  int ok_decodes = 0;
  for (size_t byte = 0; byte < full.size(); byte++) {
    for (int bit = 0; bit < 8; bit++) {
      std::string flipped = full;
      flipped[byte] = static_cast<char>(flipped[byte] ^ (1 << bit));
      WriteBatch batch;
      ASSERT_TRUE(WriteBatchInternal::SetContents(&batch, flipped).ok());
      Recorder recorder;
      const absl::Status s = batch.Iterate(&recorder);
      std::vector<Record> ref_prefix;
      const std::optional<Decoded> ref = ReferenceDecode(flipped, &ref_prefix);
      if (s.ok()) {
        ok_decodes++;
        ASSERT_TRUE(ref.has_value()) << byte << "." << bit;
        EXPECT_EQ(recorder.records, ref->records) << byte << "." << bit;
        EXPECT_EQ(WriteBatchInternal::Sequence(batch), ref->sequence);
        EXPECT_EQ(batch.Count(), ref->records.size());
      } else {
        EXPECT_TRUE(absl::IsDataLoss(s)) << s;
        EXPECT_FALSE(ref.has_value()) << byte << "." << bit;
        EXPECT_EQ(recorder.records, ref_prefix) << byte << "." << bit;
      }
    }
  }
  // Flips in the sequence number (and in key/value bytes) decode fine: the
  // check above ran.
  EXPECT_GE(ok_decodes, 64);
}

TEST(WriteBatchTest, RandomGarbageNeverCrashes) {
  Random rnd(99);
  for (int i = 0; i < 20000; i++) {
    std::string bytes = rnd.RandomBytes(12 + rnd.Skewed(7));
    // Plausible counts make the record parser run further.
    bytes[8] = static_cast<char>(rnd.Uniform(6));
    bytes[9] = bytes[10] = bytes[11] = 0;
    WriteBatch batch;
    ASSERT_TRUE(WriteBatchInternal::SetContents(&batch, bytes).ok());
    Recorder recorder;
    const absl::Status s = batch.Iterate(&recorder);
    std::vector<Record> ref_prefix;
    const std::optional<Decoded> ref = ReferenceDecode(bytes, &ref_prefix);
    ASSERT_EQ(s.ok(), ref.has_value()) << s;
    if (!s.ok()) ASSERT_TRUE(absl::IsDataLoss(s));
    ASSERT_EQ(recorder.records, ref_prefix);
  }
}

class MemTableOwner {
 public:
  MemTableOwner() : icmp_(BytewiseComparator()), mem_(new MemTable(icmp_)) {
    mem_->Ref();
  }
  ~MemTableOwner() { mem_->Unref(); }
  MemTable* get() { return mem_; }

  // Every entry as "key@seq:type=value", in internal key order.
  std::vector<std::string> Dump() {
    std::vector<std::string> out;
    std::unique_ptr<Iterator> iter(mem_->NewIterator());
    for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
      ParsedInternalKey parsed;
      EXPECT_TRUE(ParseInternalKey(iter->key(), &parsed));
      out.push_back(std::string(parsed.user_key) + "@" +
                    std::to_string(parsed.sequence) + ":" +
                    (parsed.type == kTypeValue ? "put=" : "del=") +
                    std::string(iter->value()));
    }
    return out;
  }

 private:
  InternalKeyComparator icmp_;
  MemTable* mem_;
};

TEST(WriteBatchInsertTest, ConsecutiveSequences) {
  WriteBatch batch;
  batch.Put("a", "va");
  batch.Delete("b");
  batch.Put("c", "vc");
  batch.Put("a", "va2");
  batch.Delete("a");
  WriteBatchInternal::SetSequence(&batch, 100);
  MemTableOwner mem;
  ASSERT_TRUE(WriteBatchInternal::InsertInto(batch, mem.get()).ok());
  EXPECT_EQ(mem.Dump(), (std::vector<std::string>{
                            "a@104:del=", "a@103:put=va2", "a@100:put=va",
                            "b@101:del=", "c@102:put=vc"}));
  std::string value;
  EXPECT_EQ(mem.get()->Get(LookupKey("a", 103), &value),
            MemTableGetResult::kFound);
  EXPECT_EQ(value, "va2");
  EXPECT_EQ(mem.get()->Get(LookupKey("a", 104), &value),
            MemTableGetResult::kDeleted);
}

TEST(WriteBatchInsertTest, EmptyBatchInsertsNothing) {
  WriteBatch batch;
  WriteBatchInternal::SetSequence(&batch, kMaxSequenceNumber + 5);
  MemTableOwner mem;
  EXPECT_TRUE(WriteBatchInternal::InsertInto(batch, mem.get()).ok());
  EXPECT_EQ(mem.get()->num_entries(), 0u);
}

TEST(WriteBatchInsertTest, MalformedBatchInsertsNothing) {
  const std::string full(WriteBatchInternal::Contents(SampleBatch()));
  for (size_t len = WriteBatchInternal::kHeaderSize; len < full.size(); len++) {
    WriteBatch batch;
    ASSERT_TRUE(
        WriteBatchInternal::SetContents(&batch, full.substr(0, len)).ok());
    MemTableOwner mem;
    EXPECT_TRUE(
        absl::IsDataLoss(WriteBatchInternal::InsertInto(batch, mem.get())));
    EXPECT_EQ(mem.get()->num_entries(), 0u) << len;
  }
}

TEST(WriteBatchInsertTest, SequenceOverflowIsDataLoss) {
  WriteBatch batch;
  batch.Put("a", "1");
  batch.Put("b", "2");
  MemTableOwner mem;
  WriteBatchInternal::SetSequence(&batch, kMaxSequenceNumber);
  EXPECT_TRUE(
      absl::IsDataLoss(WriteBatchInternal::InsertInto(batch, mem.get())));
  WriteBatchInternal::SetSequence(&batch, ~uint64_t{0});
  EXPECT_TRUE(
      absl::IsDataLoss(WriteBatchInternal::InsertInto(batch, mem.get())));
  EXPECT_EQ(mem.get()->num_entries(), 0u);
  // The last record exactly at the maximum is fine.
  WriteBatchInternal::SetSequence(&batch, kMaxSequenceNumber - 1);
  EXPECT_TRUE(WriteBatchInternal::InsertInto(batch, mem.get()).ok());
  EXPECT_EQ(mem.Dump(),
            (std::vector<std::string>{
                "a@" + std::to_string(kMaxSequenceNumber - 1) + ":put=1",
                "b@" + std::to_string(kMaxSequenceNumber) + ":put=2"}));
}

}  // namespace
}  // namespace kvs
