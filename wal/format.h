#ifndef KVS_WAL_FORMAT_H_
#define KVS_WAL_FORMAT_H_

// The physical layout shared by the write-ahead log and the MANIFEST
// (docs/format.md, "Write-ahead log"): the file is cut into fixed-size blocks,
// and each logical record is stored as one or more fragments, each with a
// 7-byte header, that never straddle a block boundary.

#include <cstddef>
#include <cstdint>

namespace kvs::wal {

enum RecordType : uint8_t {
  // Never written: a header of zeros is what preallocated or zero-filled space
  // looks like.
  kZeroType = 0,
  // The whole record in one fragment.
  kFullType = 1,
  // Fragments of a record that did not fit in the rest of its block.
  kFirstType = 2,
  kMiddleType = 3,
  kLastType = 4,
};

constexpr int kMaxRecordType = kLastType;

constexpr size_t kBlockSize = 32768;

// masked CRC32C (4 bytes LE) | payload length (2 bytes LE) | type (1 byte).
constexpr size_t kHeaderSize = 4 + 2 + 1;

// Offsets of the header fields.
constexpr size_t kCrcOffset = 0;
constexpr size_t kLengthOffset = 4;
constexpr size_t kTypeOffset = 6;

static_assert(kBlockSize - kHeaderSize <= 0xffff,
              "a fragment's payload length must fit in the 2-byte field");

}  // namespace kvs::wal

#endif  // KVS_WAL_FORMAT_H_
