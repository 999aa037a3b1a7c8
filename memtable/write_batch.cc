// WriteBatch (lsm/write_batch.h) and WriteBatchInternal. The batch is kept
// encoded at all times (layout in write_batch_internal.h and docs/format.md),
// so logging it is a copy of rep_.

#include "lsm/write_batch.h"

#include <cassert>
#include <cstring>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "memtable/memtable.h"
#include "memtable/write_batch_internal.h"
#include "util/coding.h"

namespace kvs {

namespace {

constexpr size_t kHeaderSize = WriteBatchInternal::kHeaderSize;
constexpr size_t kCountOffset = 8;

// The encoding of an empty batch with sequence 0. A moved-from batch (whose
// string may be empty) reads as this.
constexpr char kEmptyBatch[kHeaderSize] = {};

// Walks the records of an encoded batch, calling handler (if not null) for each
// well-formed one in order, and stops at the first damage. Never reads outside
// rep.
absl::Status DecodeRecords(std::string_view rep, WriteBatch::Handler* handler) {
  if (rep.size() < kHeaderSize) {
    return absl::DataLossError(
        absl::StrCat("write batch too small: ", rep.size(),
                     " bytes, header is ", kHeaderSize));
  }
  const uint32_t declared = DecodeFixed32(rep.data() + kCountOffset);
  std::string_view input = rep.substr(kHeaderSize);
  uint32_t found = 0;
  while (!input.empty()) {
    if (found == declared) {
      return absl::DataLossError(absl::StrCat(
          "write batch has more records than its count of ", declared));
    }
    const auto tag = static_cast<uint8_t>(input.front());
    input.remove_prefix(1);
    std::string_view key;
    std::string_view value;
    switch (tag) {
      case kTypeValue:
        if (!GetLengthPrefixed(&input, &key) ||
            !GetLengthPrefixed(&input, &value)) {
          return absl::DataLossError(
              absl::StrCat("write batch: bad put record #", found));
        }
        if (handler != nullptr) handler->Put(key, value);
        break;
      case kTypeDeletion:
        if (!GetLengthPrefixed(&input, &key)) {
          return absl::DataLossError(
              absl::StrCat("write batch: bad delete record #", found));
        }
        if (handler != nullptr) handler->Delete(key);
        break;
      default:
        return absl::DataLossError(absl::StrCat(
            "write batch: unknown record type ", tag, " in record #", found));
    }
    found++;
  }
  if (found != declared) {
    return absl::DataLossError(absl::StrCat("write batch count is ", declared,
                                            " but it holds ", found,
                                            " records"));
  }
  return absl::OkStatus();
}

// Applies records to a memtable with consecutive sequence numbers.
class MemTableInserter final : public WriteBatch::Handler {
 public:
  MemTableInserter(SequenceNumber first, MemTable* memtable)
      : sequence_(first), memtable_(memtable) {}

  void Put(std::string_view key, std::string_view value) override {
    memtable_->Add(sequence_++, kTypeValue, key, value);
  }
  void Delete(std::string_view key) override {
    memtable_->Add(sequence_++, kTypeDeletion, key, std::string_view());
  }

 private:
  SequenceNumber sequence_;
  MemTable* memtable_;
};

void AppendRecordField(std::string* rep, std::string_view field) {
  assert(field.size() <= std::numeric_limits<uint32_t>::max());
  PutLengthPrefixed(rep, field);
}

}  // namespace

WriteBatch::WriteBatch() { Clear(); }

void WriteBatch::Put(std::string_view key, std::string_view value) {
  WriteBatchInternal::SetCount(this, WriteBatchInternal::Count(*this) + 1);
  rep_.push_back(static_cast<char>(kTypeValue));
  AppendRecordField(&rep_, key);
  AppendRecordField(&rep_, value);
}

void WriteBatch::Delete(std::string_view key) {
  WriteBatchInternal::SetCount(this, WriteBatchInternal::Count(*this) + 1);
  rep_.push_back(static_cast<char>(kTypeDeletion));
  AppendRecordField(&rep_, key);
}

void WriteBatch::Clear() { rep_.assign(kEmptyBatch, kHeaderSize); }

void WriteBatch::Append(const WriteBatch& other) {
  WriteBatchInternal::Append(this, other);
}

uint32_t WriteBatch::Count() const { return WriteBatchInternal::Count(*this); }

size_t WriteBatch::ApproximateSize() const {
  return WriteBatchInternal::ByteSize(*this);
}

absl::Status WriteBatch::Iterate(Handler* handler) const {
  return DecodeRecords(WriteBatchInternal::Contents(*this), handler);
}

uint32_t WriteBatchInternal::Count(const WriteBatch& batch) {
  return DecodeFixed32(Contents(batch).data() + kCountOffset);
}

void WriteBatchInternal::SetCount(WriteBatch* batch, uint32_t count) {
  EnsureHeader(batch);
  EncodeFixed32(batch->rep_.data() + kCountOffset, count);
}

SequenceNumber WriteBatchInternal::Sequence(const WriteBatch& batch) {
  return DecodeFixed64(Contents(batch).data());
}

void WriteBatchInternal::SetSequence(WriteBatch* batch,
                                     SequenceNumber sequence) {
  EnsureHeader(batch);
  EncodeFixed64(batch->rep_.data(), sequence);
}

std::string_view WriteBatchInternal::Contents(const WriteBatch& batch) {
  if (batch.rep_.size() < kHeaderSize) {
    return std::string_view(kEmptyBatch, kHeaderSize);
  }
  return batch.rep_;
}

size_t WriteBatchInternal::ByteSize(const WriteBatch& batch) {
  return Contents(batch).size();
}

absl::Status WriteBatchInternal::SetContents(WriteBatch* batch,
                                             std::string_view contents) {
  if (contents.size() < kHeaderSize) {
    return absl::DataLossError(
        absl::StrCat("write batch too small: ", contents.size(),
                     " bytes, header is ", kHeaderSize));
  }
  batch->rep_.assign(contents.data(), contents.size());
  return absl::OkStatus();
}

void WriteBatchInternal::Append(WriteBatch* dst, const WriteBatch& src) {
  const uint32_t total = Count(*dst) + Count(src);
  if (&src == dst) {
    // Appending to a string from its own buffer: copy the records first.
    const std::string records(Contents(src).substr(kHeaderSize));
    SetCount(dst, total);
    dst->rep_.append(records);
    return;
  }
  SetCount(dst, total);
  const std::string_view records = Contents(src).substr(kHeaderSize);
  dst->rep_.append(records.data(), records.size());
}

absl::Status WriteBatchInternal::Validate(const WriteBatch& batch) {
  return DecodeRecords(Contents(batch), nullptr);
}

absl::Status WriteBatchInternal::InsertInto(const WriteBatch& batch,
                                            MemTable* memtable) {
  if (absl::Status s = Validate(batch); !s.ok()) return s;
  const SequenceNumber first = Sequence(batch);
  const uint32_t count = Count(batch);
  if (count > 0 &&
      (first > kMaxSequenceNumber || count - 1 > kMaxSequenceNumber - first)) {
    return absl::DataLossError(
        absl::StrCat("write batch sequence numbers overflow: first ", first,
                     ", count ", count));
  }
  MemTableInserter inserter(first, memtable);
  return DecodeRecords(Contents(batch), &inserter);
}

void WriteBatchInternal::EnsureHeader(WriteBatch* batch) {
  if (batch->rep_.size() < kHeaderSize) batch->Clear();
}

}  // namespace kvs
