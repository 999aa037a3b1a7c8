#include "memtable/memtable.h"

#include <cassert>
#include <cstring>
#include <limits>

#include "util/coding.h"

namespace kvs {

// Entry layout (in memory only, never persisted), one arena allocation per
// entry, stored inline in its skip-list node:
//
//   varint32  internal key length (user key length + 8)
//   bytes     user key
//   fixed64   sequence << 8 | type
//   varint32  value length
//   bytes     value
//
// The skip list orders entries by their internal key. A LookupKey's
// memtable_key() is the first three fields alone, so a lookup key can be
// compared with entries directly.

namespace {

// Reads a varint32-length-prefixed string at p and returns it; *next is set
// past it. Entries are written by Add and never damaged, so no limit beyond the
// varint's own maximum size is needed.
std::string_view DecodeLengthPrefixed(const char* p, const char** next) {
  uint32_t length = 0;
  p = DecodeVarint32(p, p + kMaxVarint32Bytes, &length);
  assert(p != nullptr);
  *next = p + length;
  return std::string_view(p, length);
}

std::string_view EntryInternalKey(const char* entry) {
  const char* unused;
  return DecodeLengthPrefixed(entry, &unused);
}

std::string_view EntryValue(const char* entry) {
  const char* value_start;
  DecodeLengthPrefixed(entry, &value_start);
  const char* unused;
  return DecodeLengthPrefixed(value_start, &unused);
}

void CopyBytes(char* dst, std::string_view src) {
  if (!src.empty()) std::memcpy(dst, src.data(), src.size());
}

}  // namespace

int MemTable::KeyComparator::operator()(const char* a, const char* b) const {
  return comparator.Compare(EntryInternalKey(a), EntryInternalKey(b));
}

MemTable::MemTable(const InternalKeyComparator& comparator)
    : comparator_(comparator), table_(comparator_, &arena_) {}

MemTable::~MemTable() { assert(refs_.load(std::memory_order_relaxed) == 0); }

void MemTable::Unref() {
  // acq_rel: every use of the memtable by other reference holders happens
  // before the delete.
  const int previous = refs_.fetch_sub(1, std::memory_order_acq_rel);
  assert(previous > 0);
  if (previous == 1) delete this;
}

void MemTable::Add(SequenceNumber sequence, ValueType type,
                   std::string_view key, std::string_view value) {
  assert(sequence <= kMaxSequenceNumber);
  assert(IsKnownValueType(type));
  const size_t internal_key_size = InternalKeyEncodingLength(key.size());
  assert(internal_key_size <= std::numeric_limits<uint32_t>::max());
  assert(value.size() <= std::numeric_limits<uint32_t>::max());
  const size_t entry_size = VarintLength(internal_key_size) +
                            internal_key_size + VarintLength(value.size()) +
                            value.size();
  table_.InsertWith(entry_size, [&](char* entry) -> const char* {
    char* p = EncodeVarint32(entry, static_cast<uint32_t>(internal_key_size));
    CopyBytes(p, key);
    p += key.size();
    EncodeFixed64(p, PackSequenceAndType(sequence, type));
    p += kInternalKeyTrailerSize;
    p = EncodeVarint32(p, static_cast<uint32_t>(value.size()));
    CopyBytes(p, value);
    assert(p + value.size() == entry + entry_size);
    return entry;
  });
  num_entries_.fetch_add(1, std::memory_order_relaxed);
}

MemTableGetResult MemTable::Get(const LookupKey& key,
                                std::string* value) const {
  Table::Iterator iter(&table_);
  // The lookup key carries the read sequence and the largest type, so the seek
  // skips exactly the versions newer than the read and stops at the newest
  // visible one (or at a later user key).
  iter.Seek(key.memtable_key().data());
  if (!iter.Valid()) return MemTableGetResult::kAbsent;
  const char* entry = iter.key();
  const std::string_view internal_key = EntryInternalKey(entry);
  if (comparator_.comparator.user_comparator()->Compare(
          ExtractUserKey(internal_key), key.user_key()) != 0) {
    return MemTableGetResult::kAbsent;
  }
  const auto type = static_cast<ValueType>(ExtractTrailer(internal_key) & 0xff);
  switch (type) {
    case kTypeValue: {
      const std::string_view v = EntryValue(entry);
      value->assign(v.data(), v.size());
      return MemTableGetResult::kFound;
    }
    case kTypeDeletion:
      return MemTableGetResult::kDeleted;
  }
  // Add accepts known types only.
  assert(false);
  return MemTableGetResult::kAbsent;
}

class MemTable::MemTableIterator final : public Iterator {
 public:
  explicit MemTableIterator(const Table* table) : iter_(table) {}

  bool Valid() const override { return iter_.Valid(); }
  void SeekToFirst() override { iter_.SeekToFirst(); }
  void SeekToLast() override { iter_.SeekToLast(); }
  void Seek(std::string_view target) override {
    // The skip list compares entries; give the target the entry's length
    // prefix. Short targets are built on the stack: no allocation per seek.
    char buf[kMaxVarint32Bytes + 128];
    const size_t size = kMaxVarint32Bytes + target.size();
    char* start = buf;
    if (size > sizeof(buf)) {
      scratch_.resize(size);
      start = scratch_.data();
    }
    char* p = EncodeVarint32(start, static_cast<uint32_t>(target.size()));
    if (!target.empty()) std::memcpy(p, target.data(), target.size());
    iter_.Seek(start);
  }
  void Next() override { iter_.Next(); }
  void Prev() override { iter_.Prev(); }
  std::string_view key() const override {
    return EntryInternalKey(iter_.key());
  }
  std::string_view value() const override { return EntryValue(iter_.key()); }
  absl::Status status() const override { return absl::OkStatus(); }

 private:
  Table::Iterator iter_;
  std::string scratch_;  // The seek target when it is too long for the stack.
};

Iterator* MemTable::NewIterator() {
  Ref();
  auto* iter = new MemTableIterator(&table_);
  iter->RegisterCleanup([this] { Unref(); });
  return iter;
}

}  // namespace kvs
