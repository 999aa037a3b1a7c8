#ifndef KVS_SSTABLE_FORMAT_H_
#define KVS_SSTABLE_FORMAT_H_

// The framing of a table file (docs/format.md, "SSTable"): block handles, the
// block trailer, the footer, and reading one block back with its checks.
// Everything here is stateless and thread-safe.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lsm/file_system.h"
#include "lsm/options.h"

namespace kvs {

// Where a block lives in the file: its offset and the size of its stored
// contents (without the trailer).
struct BlockHandle {
  uint64_t offset = 0;
  uint64_t size = 0;

  // Encoded as varint64 offset then varint64 size.
  static constexpr size_t kMaxEncodedLength = 20;

  void EncodeTo(std::string* dst) const;
  // Decodes from the front of *input and advances it. DataLoss if malformed.
  absl::Status DecodeFrom(std::string_view* input);
  // The offset just past this block's trailer.
  uint64_t end_with_trailer() const;
};

// Every block is followed by a 1-byte compression type and a masked CRC32C
// (fixed32) of the stored contents plus that type byte.
inline constexpr size_t kBlockTrailerSize = 5;

// Magic number closing every table: the bytes 89 'K' 'V' 'S' 'T' 'B' 'L' 0A (a
// fixed64).
inline constexpr uint64_t kTableMagicNumber = 0x0A4C425453564B89ull;
inline constexpr uint32_t kTableFormatVersion = 1;

// The fixed-size tail of every table.
struct Footer {
  static constexpr size_t kHandlesLength = 2 * BlockHandle::kMaxEncodedLength;
  // Handles (zero padded), fixed64 meta offset, fixed32 version, fixed32 masked
  // CRC, fixed64 magic.
  static constexpr size_t kEncodedLength = kHandlesLength + 8 + 4 + 4 + 8;

  BlockHandle metaindex;
  BlockHandle index;
  // Offset of the first block after the data blocks (the filter block):
  // everything from here to the end of the file is metadata that Table::Open
  // reads.
  uint64_t meta_offset = 0;

  // Appends exactly kEncodedLength bytes.
  void EncodeTo(std::string* dst) const;
  // Decodes kEncodedLength bytes. DataLoss if the input is too short, is not a
  // table footer (bad magic), has an unknown version, fails its checksum or
  // holds malformed handles.
  absl::Status DecodeFrom(std::string_view input);
};

// Uncompressed contents of one block. data either points into heap memory this
// object owns or into memory owned by someone else (a file that serves reads
// from its own memory).
struct BlockContents {
  std::string_view data;
  std::unique_ptr<char[]> heap;  // Owns data when non-null.

  bool owned() const { return heap != nullptr; }
};

// Reads the block at handle with one positional read covering the block and its
// trailer. Verifies the CRC when options.verify_checksums, and uncompresses.
// Errors: DataLoss when the block extends past file_size, the read is short,
// the checksum or compression type is bad, or the Snappy data is malformed; the
// file's error for a failed read.
absl::StatusOr<BlockContents> ReadBlock(const RandomAccessFile& file,
                                        uint64_t file_size,
                                        const ReadOptions& options,
                                        const BlockHandle& handle);

// Checks the trailer of a block whose stored bytes and trailer are already in
// memory (stored.size() == handle size; trailer has kBlockTrailerSize bytes),
// verifying the CRC if verify_checksum, and returns the uncompressed contents.
// The result borrows stored when the block is not compressed. Errors as
// ReadBlock.
absl::StatusOr<BlockContents> DecodeBlock(std::string_view stored,
                                          std::string_view trailer,
                                          bool verify_checksum);

// The stored form of a block: Snappy-compressed into *scratch if type is
// kSnappy and that saves at least 1/8 of raw, otherwise raw itself. *used
// receives the type actually used.
std::string_view CompressBlock(std::string_view raw, CompressionType type,
                               std::string* scratch, CompressionType* used);

// Fills trailer[kBlockTrailerSize] for stored contents of the given type.
void EncodeBlockTrailer(std::string_view stored, CompressionType type,
                        char* trailer);

}  // namespace kvs

#endif  // KVS_SSTABLE_FORMAT_H_
