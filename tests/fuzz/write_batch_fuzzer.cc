// Fuzz target: WriteBatch decoding (what WAL recovery does with a record):
// SetContents, Iterate, Validate, InsertInto a memtable, Append.
//
// Input: the encoded batch.
//
// Invariants: no out-of-bounds read; errors are DataLoss; Iterate and Validate
// agree on whether the batch is well formed, and a well-formed batch hands out
// exactly Count() records; InsertInto inserts all of a well-formed batch (one
// entry per record, at consecutive sequence numbers) and nothing of a malformed
// one; appending the batch to another preserves its records.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "lsm/comparator.h"
#include "lsm/write_batch.h"
#include "memtable/internal_key.h"
#include "memtable/memtable.h"
#include "memtable/write_batch_internal.h"
#include "tests/fuzz/fuzz_util.h"

namespace kvs::fuzz {
namespace {

struct Record {
  ValueType type;
  std::string key;
  std::string value;
  bool operator==(const Record& o) const {
    return std::tie(type, key, value) == std::tie(o.type, o.key, o.value);
  }
};

class Collector : public WriteBatch::Handler {
 public:
  void Put(std::string_view key, std::string_view value) override {
    records.push_back({kTypeValue, std::string(key), std::string(value)});
  }
  void Delete(std::string_view key) override {
    records.push_back({kTypeDeletion, std::string(key), ""});
  }
  std::vector<Record> records;
};

void CheckError(const absl::Status& s) {
  FUZZ_CHECK(s.ok() || absl::IsDataLoss(s), s.ToString());
}

}  // namespace
}  // namespace kvs::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kvs;
  using namespace kvs::fuzz;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  WriteBatch batch;
  absl::Status s = WriteBatchInternal::SetContents(&batch, input);
  CheckError(s);
  if (!s.ok()) {
    FUZZ_CHECK(size < WriteBatchInternal::kHeaderSize, "refused a header");
    return 0;
  }
  FUZZ_CHECK(WriteBatchInternal::Contents(batch) == input, "contents");

  Collector collector;
  absl::Status iterated = batch.Iterate(&collector);
  absl::Status validated = WriteBatchInternal::Validate(batch);
  CheckError(iterated);
  CheckError(validated);
  FUZZ_CHECK(
      iterated.ok() == validated.ok(),
      "Iterate: " + iterated.ToString() + " Validate: " + validated.ToString());
  FUZZ_CHECK(collector.records.size() <= batch.Count(),
             "more records than the count");
  if (iterated.ok()) {
    FUZZ_CHECK(collector.records.size() == batch.Count(), "record count");
  }

  InternalKeyComparator icmp(BytewiseComparator());
  MemTable* mem = new MemTable(icmp);
  mem->Ref();
  absl::Status inserted = WriteBatchInternal::InsertInto(batch, mem);
  CheckError(inserted);
  const SequenceNumber first = WriteBatchInternal::Sequence(batch);
  const bool overflows =
      batch.Count() > 0 && (first > kMaxSequenceNumber ||
                            batch.Count() - 1 > kMaxSequenceNumber - first);
  if (!validated.ok() || overflows) {
    FUZZ_CHECK(!inserted.ok(), "inserted a malformed batch");
  } else {
    FUZZ_CHECK(inserted.ok(), inserted.ToString());
  }
  if (!inserted.ok()) {
    FUZZ_CHECK(mem->num_entries() == 0, "partial insert");
  } else {
    // The memtable holds record i at sequence first + i, in internal-key order.
    std::vector<std::pair<std::string, std::string>> expected;
    for (size_t i = 0; i < collector.records.size(); i++) {
      const Record& r = collector.records[i];
      std::string ikey;
      AppendInternalKey(&ikey, r.key, first + i, r.type);
      expected.emplace_back(std::move(ikey), r.value);
    }
    std::sort(expected.begin(), expected.end(),
              [&](const auto& a, const auto& b) {
                return icmp.Compare(a.first, b.first) < 0;
              });
    std::unique_ptr<Iterator> it(mem->NewIterator());
    size_t i = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next(), i++) {
      FUZZ_CHECK(i < expected.size(), "extra memtable entry");
      FUZZ_CHECK(it->key() == expected[i].first, "memtable key");
      FUZZ_CHECK(it->value() == expected[i].second, "memtable value");
    }
    FUZZ_CHECK(i == expected.size(), "missing memtable entries");
    // A lookup at the last sequence sees each key's last record (a sample of
    // the keys, so that big batches stay fast).
    for (size_t j = 0; j < collector.records.size(); j += 1 + j / 16) {
      const Record& r = collector.records[j];
      const Record* last = nullptr;
      for (const Record& o : collector.records) {
        if (o.key == r.key) last = &o;
      }
      LookupKey lkey(r.key, first + batch.Count() - 1);
      std::string value;
      MemTableGetResult got = mem->Get(lkey, &value);
      if (last->type == kTypeValue) {
        FUZZ_CHECK(got == MemTableGetResult::kFound && value == last->value,
                   "memtable Get");
      } else {
        FUZZ_CHECK(got == MemTableGetResult::kDeleted, "memtable Get delete");
      }
    }
  }
  mem->Unref();

  if (iterated.ok()) {
    // Re-encoded through the public API and appended to another batch, the
    // records are the same.
    WriteBatch rebuilt;
    rebuilt.Put("prefix", "record");
    WriteBatchInternal::Append(&rebuilt, batch);
    Collector again;
    absl::Status s2 = rebuilt.Iterate(&again);
    FUZZ_CHECK(s2.ok(), s2.ToString());
    FUZZ_CHECK(again.records.size() == collector.records.size() + 1,
               "appended count");
    FUZZ_CHECK(std::equal(collector.records.begin(), collector.records.end(),
                          again.records.begin() + 1),
               "appended records differ");
  }
  return 0;
}
