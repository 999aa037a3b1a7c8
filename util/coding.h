#ifndef KVS_UTIL_CODING_H_
#define KVS_UTIL_CODING_H_

// Byte encodings shared by every on-disk format (docs/format.md, "Primitive
// encodings"): little-endian fixed-width integers, base-128 varints (low 7 bits
// first, high bit = "more") and strings prefixed by their varint32 length.
// Decoders never read past the end they are given and report truncation or
// overlong encodings by failing.

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace kvs {

static_assert(
    std::endian::native == std::endian::little,
    "kvs encodes fixed-width integers with memcpy on little-endian hosts");

constexpr int kMaxVarint32Bytes = 5;
constexpr int kMaxVarint64Bytes = 10;

inline void EncodeFixed32(char* dst, uint32_t value) {
  std::memcpy(dst, &value, sizeof(value));
}
inline void EncodeFixed64(char* dst, uint64_t value) {
  std::memcpy(dst, &value, sizeof(value));
}
inline uint32_t DecodeFixed32(const char* ptr) {
  uint32_t value;
  std::memcpy(&value, ptr, sizeof(value));
  return value;
}
inline uint64_t DecodeFixed64(const char* ptr) {
  uint64_t value;
  std::memcpy(&value, ptr, sizeof(value));
  return value;
}

void PutFixed32(std::string* dst, uint32_t value);
void PutFixed64(std::string* dst, uint64_t value);
void PutVarint32(std::string* dst, uint32_t value);
void PutVarint64(std::string* dst, uint64_t value);
void PutLengthPrefixed(std::string* dst, std::string_view value);

// Writes the varint to dst (which must have room for kMaxVarint*Bytes) and
// returns the byte after it.
char* EncodeVarint32(char* dst, uint32_t value);
char* EncodeVarint64(char* dst, uint64_t value);

// Number of bytes the varint encoding of value takes.
int VarintLength(uint64_t value);

// Decode from [p, limit). Return the byte after the value, or nullptr if the
// input ends first or the encoding is too long for the type.
const char* GetVarint32Ptr(const char* p, const char* limit, uint32_t* value);
const char* GetVarint64Ptr(const char* p, const char* limit, uint64_t* value);

// Decode from the front of *input and advance it past the value. Return false
// (leaving *input in an unspecified position) on truncation or an invalid
// encoding.
bool GetFixed32(std::string_view* input, uint32_t* value);
bool GetFixed64(std::string_view* input, uint64_t* value);
bool GetVarint32(std::string_view* input, uint32_t* value);
bool GetVarint64(std::string_view* input, uint64_t* value);
bool GetLengthPrefixed(std::string_view* input, std::string_view* result);

// The fast path of GetVarint32Ptr inline: single-byte varints are by far the
// most common.
inline const char* DecodeVarint32(const char* p, const char* limit,
                                  uint32_t* value) {
  if (p < limit) {
    uint32_t byte = static_cast<unsigned char>(*p);
    if ((byte & 0x80) == 0) {
      *value = byte;
      return p + 1;
    }
  }
  return GetVarint32Ptr(p, limit, value);
}

}  // namespace kvs

#endif  // KVS_UTIL_CODING_H_
