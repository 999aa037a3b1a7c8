#ifndef KVS_UTIL_CRC32C_H_
#define KVS_UTIL_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace kvs::crc32c {

// CRC-32C (Castagnoli polynomial 0x1EDC6F41, reflected) of data[0, n) continued
// from init_crc, the CRC of the bytes before them: Extend(Value(a), b) ==
// Value(a + b). Uses the SSE4.2 crc32 instruction when the processor has it
// (checked once at run time), otherwise a table-driven version with identical
// results.
uint32_t Extend(uint32_t init_crc, const char* data, size_t n);

inline uint32_t Value(const char* data, size_t n) { return Extend(0, data, n); }

// The portable implementation, exposed so that tests can compare it with the
// hardware one.
uint32_t ExtendPortable(uint32_t init_crc, const char* data, size_t n);
// True when Extend uses the crc32 instruction.
bool HardwareAccelerated();

// A CRC stored next to the data it covers is masked, because computing the CRC
// of a string that contains embedded CRCs (a log record of a table block, say)
// is otherwise prone to problems.
constexpr uint32_t kMaskDelta = 0xa282ead8u;

inline uint32_t Mask(uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + kMaskDelta;
}

inline uint32_t Unmask(uint32_t masked_crc) {
  uint32_t rot = masked_crc - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace kvs::crc32c

#endif  // KVS_UTIL_CRC32C_H_
