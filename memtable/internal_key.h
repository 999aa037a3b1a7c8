#ifndef KVS_MEMTABLE_INTERNAL_KEY_H_
#define KVS_MEMTABLE_INTERNAL_KEY_H_

// Internal keys: how kvs keeps many versions of one user key apart
// (docs/format.md, "Internal keys"). Every memtable entry and every SSTable key
// is an internal key:
//
//   user key bytes | fixed64 little-endian trailer, trailer = sequence << 8 |
//   type
//
// ordered by user key ascending (user comparator), then sequence descending,
// then type descending, so the newest version of a key comes first and a seek
// to (key, s) lands on the newest version visible at sequence s.
//
// Thread-safety: everything here is either a pure function or a value type; the
// comparator and filter policy are safe for concurrent use.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "lsm/comparator.h"
#include "lsm/filter_policy.h"
#include "util/coding.h"

namespace kvs {

// Every update gets the next number of a single increasing sequence. Eight bits
// of the trailer hold the type, so 56 bits remain.
using SequenceNumber = uint64_t;
inline constexpr SequenceNumber kMaxSequenceNumber =
    (SequenceNumber{1} << 56) - 1;

// What an internal key records. The values are stored on disk (SSTables, WAL):
// never renumber them. New kinds (e.g. merge operands, range deletions) take
// new values.
enum ValueType : uint8_t {
  kTypeDeletion = 0,
  kTypeValue = 1,
};

// The largest ValueType: types sort descending, so a search key carrying this
// type sorts before every real entry of the same user key and sequence and a
// seek lands on the first of them.
inline constexpr ValueType kValueTypeForSeek = kTypeValue;

// True if byte is a ValueType this build knows.
inline bool IsKnownValueType(uint8_t byte) { return byte <= kTypeValue; }

// Size of the trailer appended to every user key.
inline constexpr size_t kInternalKeyTrailerSize = 8;

// REQUIRES: sequence <= kMaxSequenceNumber.
inline uint64_t PackSequenceAndType(SequenceNumber sequence, ValueType type) {
  return (sequence << 8) | type;
}

// An internal key split into its parts. user_key points into the key it was
// parsed from.
struct ParsedInternalKey {
  std::string_view user_key;
  SequenceNumber sequence = 0;
  ValueType type = kTypeValue;

  ParsedInternalKey() = default;
  ParsedInternalKey(std::string_view u, SequenceNumber s, ValueType t)
      : user_key(u), sequence(s), type(t) {}

  // Readable form for logs and test failures: 'escaped user key' @ sequence :
  // type.
  std::string DebugString() const;
};

// Appends the encoding of key to *dst. REQUIRES: key.sequence <=
// kMaxSequenceNumber.
void AppendInternalKey(std::string* dst, const ParsedInternalKey& key);
void AppendInternalKey(std::string* dst, std::string_view user_key,
                       SequenceNumber sequence, ValueType type);

// Length of the internal key for a user key of user_key_size bytes.
inline size_t InternalKeyEncodingLength(size_t user_key_size) {
  return user_key_size + kInternalKeyTrailerSize;
}

// Splits internal_key into *result. Returns false, leaving *result unspecified,
// if the key is shorter than the trailer or its type byte is unknown.
[[nodiscard]] bool ParseInternalKey(std::string_view internal_key,
                                    ParsedInternalKey* result);

// As ParseInternalKey, but says what is wrong: DataLoss for a short key or an
// unknown type.
absl::StatusOr<ParsedInternalKey> DecodeInternalKey(
    std::string_view internal_key);

// The user key part. A key shorter than the trailer (only possible in damaged
// data) is returned whole, so callers never read out of bounds; use
// ParseInternalKey to detect such keys.
inline std::string_view ExtractUserKey(std::string_view internal_key) {
  if (internal_key.size() < kInternalKeyTrailerSize) return internal_key;
  return internal_key.substr(0, internal_key.size() - kInternalKeyTrailerSize);
}

// The trailer (sequence << 8 | type); 0 for a key shorter than the trailer.
inline uint64_t ExtractTrailer(std::string_view internal_key) {
  if (internal_key.size() < kInternalKeyTrailerSize) return 0;
  return DecodeFixed64(internal_key.data() + internal_key.size() -
                       kInternalKeyTrailerSize);
}

class InternalKey;

// Orders internal keys: user key ascending by the user comparator, then
// sequence descending, then type descending. Damaged keys shorter than the
// trailer compare as if their trailer were 0: the order stays deterministic and
// no byte outside a key is read.
class InternalKeyComparator final : public Comparator {
 public:
  // user_comparator must outlive this object.
  explicit InternalKeyComparator(const Comparator* user_comparator)
      : user_comparator_(user_comparator),
        user_is_bytewise_(user_comparator == BytewiseComparator()) {}

  // Inline, with the bytewise order compared in place instead of through a
  // virtual call: every seek and merge step makes many of these comparisons.
  int Compare(std::string_view a, std::string_view b) const override {
    const std::string_view user_a = ExtractUserKey(a);
    const std::string_view user_b = ExtractUserKey(b);
    // Exactly what the bytewise comparator computes.
    const int r = user_is_bytewise_ ? user_a.compare(user_b)
                                    : user_comparator_->Compare(user_a, user_b);
    if (r != 0) return r;
    // One comparison of the packed trailers orders by sequence and then by
    // type, both descending.
    const uint64_t ta = ExtractTrailer(a);
    const uint64_t tb = ExtractTrailer(b);
    if (ta > tb) return -1;
    if (ta < tb) return 1;
    return 0;
  }
  int Compare(const InternalKey& a, const InternalKey& b) const;

  // "kvs.InternalKeyComparator". The user comparator's name is what the
  // MANIFEST checks.
  const char* Name() const override;

  // Shorten the user key part with the user comparator; when it got shorter
  // (and still greater), append the trailer (kMaxSequenceNumber,
  // kValueTypeForSeek), which sorts before every real entry of that user key,
  // so the result stays within [*start, limit) resp. >= *key.
  void FindShortestSeparator(std::string* start,
                             std::string_view limit) const override;
  void FindShortSuccessor(std::string* key) const override;

  const Comparator* user_comparator() const { return user_comparator_; }

 private:
  const Comparator* user_comparator_;
  bool user_is_bytewise_;
};

// An owned, encoded internal key: what file metadata (smallest/largest key of a
// table) stores. A default-constructed InternalKey is empty, which is not a
// valid internal key.
class InternalKey {
 public:
  InternalKey() = default;
  InternalKey(std::string_view user_key, SequenceNumber sequence,
              ValueType type) {
    AppendInternalKey(&rep_, user_key, sequence, type);
  }

  // Replaces the contents with encoded. Returns false (leaving this key empty)
  // if encoded is not a well-formed internal key.
  [[nodiscard]] bool DecodeFrom(std::string_view encoded);

  // The encoded bytes. REQUIRES: !empty() for a meaningful key.
  std::string_view Encode() const { return rep_; }
  // REQUIRES: !empty().
  std::string_view user_key() const { return ExtractUserKey(rep_); }

  void SetFrom(const ParsedInternalKey& parsed) {
    rep_.clear();
    AppendInternalKey(&rep_, parsed);
  }
  void Clear() { rep_.clear(); }
  bool empty() const { return rep_.empty(); }

  std::string DebugString() const;

 private:
  std::string rep_;
};

inline int InternalKeyComparator::Compare(const InternalKey& a,
                                          const InternalKey& b) const {
  return Compare(a.Encode(), b.Encode());
}

// The key a point read searches for: user_key at snapshot sequence, in the
// forms the memtable and the tables need. Short keys live in an inline buffer
// (no heap allocation on the read path).
//
//   memtable_key(): varint32(internal key length) | internal key  (the
//   memtable's entry prefix) internal_key(): user key | fixed64(sequence << 8 |
//   kValueTypeForSeek) user_key():     user key
//
// Not copyable: the views point into the object.
class LookupKey {
 public:
  // REQUIRES: sequence <= kMaxSequenceNumber.
  LookupKey(std::string_view user_key, SequenceNumber sequence);
  LookupKey(const LookupKey&) = delete;
  LookupKey& operator=(const LookupKey&) = delete;
  ~LookupKey();

  std::string_view memtable_key() const {
    return std::string_view(start_, static_cast<size_t>(end_ - start_));
  }
  std::string_view internal_key() const {
    return std::string_view(key_start_, static_cast<size_t>(end_ - key_start_));
  }
  std::string_view user_key() const {
    return std::string_view(key_start_, static_cast<size_t>(end_ - key_start_) -
                                            kInternalKeyTrailerSize);
  }

 private:
  // Holds a user key of up to 163 bytes (176 - 5 length bytes - 8 trailer
  // bytes), which covers most keys, in a 200-byte object.
  static constexpr size_t kInlineSize = 200 - 3 * sizeof(const char*);

  const char* start_;      // The varint32 length.
  const char* key_start_;  // The internal key.
  const char* end_;        // One past the trailer.
  char inline_[kInlineSize];
};

// Wraps a user's FilterPolicy for tables whose keys are internal keys: both the
// keys given to CreateFilter and the key given to KeyMayMatch are internal
// keys, and the wrapper strips their trailers, so filters are built over and
// probed with user keys (all versions of a key map to one filter entry). Name()
// is the user policy's name, so filters stay readable by name.
class InternalFilterPolicy final : public FilterPolicy {
 public:
  // REQUIRES: user_policy != nullptr.
  explicit InternalFilterPolicy(std::shared_ptr<const FilterPolicy> user_policy)
      : user_policy_(std::move(user_policy)) {}

  const char* Name() const override { return user_policy_->Name(); }
  void CreateFilter(const std::vector<std::string_view>& keys,
                    std::string* dst) const override;
  bool KeyMayMatch(std::string_view key,
                   std::string_view filter) const override;

  const FilterPolicy* user_policy() const { return user_policy_.get(); }

 private:
  std::shared_ptr<const FilterPolicy> user_policy_;
};

}  // namespace kvs

#endif  // KVS_MEMTABLE_INTERNAL_KEY_H_
