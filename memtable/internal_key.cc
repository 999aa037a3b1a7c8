#include "memtable/internal_key.h"

#include <cassert>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace kvs {

namespace {

std::string Escaped(std::string_view bytes) {
  return absl::CEscape(absl::string_view(bytes.data(), bytes.size()));
}

std::string_view TypeName(ValueType type) {
  switch (type) {
    case kTypeDeletion:
      return "del";
    case kTypeValue:
      return "val";
  }
  return "?";
}

void AppendTrailer(std::string* dst, uint64_t trailer) {
  PutFixed64(dst, trailer);
}

}  // namespace

std::string ParsedInternalKey::DebugString() const {
  return absl::StrCat("'", Escaped(user_key), "' @ ", sequence, " : ",
                      std::string(TypeName(type)));
}

void AppendInternalKey(std::string* dst, std::string_view user_key,
                       SequenceNumber sequence, ValueType type) {
  assert(sequence <= kMaxSequenceNumber);
  assert(IsKnownValueType(type));
  dst->append(user_key.data(), user_key.size());
  AppendTrailer(dst, PackSequenceAndType(sequence, type));
}

void AppendInternalKey(std::string* dst, const ParsedInternalKey& key) {
  AppendInternalKey(dst, key.user_key, key.sequence, key.type);
}

bool ParseInternalKey(std::string_view internal_key,
                      ParsedInternalKey* result) {
  if (internal_key.size() < kInternalKeyTrailerSize) return false;
  const uint64_t trailer = ExtractTrailer(internal_key);
  const auto type_byte = static_cast<uint8_t>(trailer & 0xff);
  if (!IsKnownValueType(type_byte)) return false;
  result->user_key = ExtractUserKey(internal_key);
  result->sequence = trailer >> 8;
  result->type = static_cast<ValueType>(type_byte);
  return true;
}

absl::StatusOr<ParsedInternalKey> DecodeInternalKey(
    std::string_view internal_key) {
  if (internal_key.size() < kInternalKeyTrailerSize) {
    return absl::DataLossError(absl::StrCat("internal key too short (",
                                            internal_key.size(), " bytes): '",
                                            Escaped(internal_key), "'"));
  }
  ParsedInternalKey parsed;
  if (!ParseInternalKey(internal_key, &parsed)) {
    return absl::DataLossError(
        absl::StrCat("internal key has unknown value type ",
                     static_cast<int>(ExtractTrailer(internal_key) & 0xff),
                     ": '", Escaped(internal_key), "'"));
  }
  return parsed;
}

const char* InternalKeyComparator::Name() const {
  return "kvs.InternalKeyComparator";
}

void InternalKeyComparator::FindShortestSeparator(
    std::string* start, std::string_view limit) const {
  // Damaged keys have no user key to shorten; leaving *start alone is always
  // correct.
  if (start->size() < kInternalKeyTrailerSize ||
      limit.size() < kInternalKeyTrailerSize) {
    return;
  }
  const std::string_view user_start = ExtractUserKey(*start);
  const std::string_view user_limit = ExtractUserKey(limit);
  std::string shortened(user_start);
  user_comparator_->FindShortestSeparator(&shortened, user_limit);
  // Only a user key that is shorter and strictly greater helps. Strictly
  // greater matters: the user comparator promises shortened < user_limit
  // whenever it differs from user_start, and a user key strictly between the
  // two orders the internal key strictly between, whatever the trailer.
  if (shortened.size() < user_start.size() &&
      user_comparator_->Compare(user_start, shortened) < 0) {
    AppendTrailer(&shortened,
                  PackSequenceAndType(kMaxSequenceNumber, kValueTypeForSeek));
    assert(Compare(*start, shortened) < 0);
    assert(Compare(shortened, limit) < 0);
    start->swap(shortened);
  }
}

void InternalKeyComparator::FindShortSuccessor(std::string* key) const {
  if (key->size() < kInternalKeyTrailerSize) return;
  const std::string_view user_key = ExtractUserKey(*key);
  std::string shortened(user_key);
  user_comparator_->FindShortSuccessor(&shortened);
  if (shortened.size() < user_key.size() &&
      user_comparator_->Compare(user_key, shortened) < 0) {
    AppendTrailer(&shortened,
                  PackSequenceAndType(kMaxSequenceNumber, kValueTypeForSeek));
    assert(Compare(*key, shortened) < 0);
    key->swap(shortened);
  }
}

bool InternalKey::DecodeFrom(std::string_view encoded) {
  ParsedInternalKey parsed;
  if (!ParseInternalKey(encoded, &parsed)) {
    rep_.clear();
    return false;
  }
  rep_.assign(encoded.data(), encoded.size());
  return true;
}

std::string InternalKey::DebugString() const {
  ParsedInternalKey parsed;
  if (ParseInternalKey(rep_, &parsed)) return parsed.DebugString();
  return absl::StrCat("(bad) '", Escaped(rep_), "'");
}

LookupKey::LookupKey(std::string_view user_key, SequenceNumber sequence) {
  assert(sequence <= kMaxSequenceNumber);
  const size_t internal_size = InternalKeyEncodingLength(user_key.size());
  const size_t needed = kMaxVarint32Bytes + internal_size;
  char* dst = needed <= kInlineSize ? inline_ : new char[needed];
  start_ = dst;
  dst = EncodeVarint32(dst, static_cast<uint32_t>(internal_size));
  key_start_ = dst;
  // A default string_view has a null data(), which memcpy must not see even for
  // 0 bytes.
  if (!user_key.empty()) std::memcpy(dst, user_key.data(), user_key.size());
  dst += user_key.size();
  EncodeFixed64(dst, PackSequenceAndType(sequence, kValueTypeForSeek));
  dst += kInternalKeyTrailerSize;
  end_ = dst;
}

LookupKey::~LookupKey() {
  if (start_ != inline_) delete[] start_;
}

void InternalFilterPolicy::CreateFilter(
    const std::vector<std::string_view>& keys, std::string* dst) const {
  std::vector<std::string_view> user_keys;
  user_keys.reserve(keys.size());
  for (std::string_view key : keys) user_keys.push_back(ExtractUserKey(key));
  user_policy_->CreateFilter(user_keys, dst);
}

bool InternalFilterPolicy::KeyMayMatch(std::string_view key,
                                       std::string_view filter) const {
  return user_policy_->KeyMayMatch(ExtractUserKey(key), filter);
}

}  // namespace kvs
