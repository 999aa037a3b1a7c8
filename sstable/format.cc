#include "sstable/format.h"

#include <snappy.h>

#include <cstring>
#include <limits>

#include "util/coding.h"
#include "util/crc32c.h"

namespace kvs {
namespace {

// Snappy cannot expand data by more than this factor (its longest copy, 64
// bytes, costs 3 bytes), so a larger claimed length is damage, and trusting it
// could make us allocate gigabytes.
constexpr uint64_t kMaxSnappyExpansion = 32;

uint32_t BlockCrc(std::string_view stored, char type) {
  uint32_t crc = crc32c::Value(stored.data(), stored.size());
  return crc32c::Extend(crc, &type, 1);
}

}  // namespace

void BlockHandle::EncodeTo(std::string* dst) const {
  PutVarint64(dst, offset);
  PutVarint64(dst, size);
}

absl::Status BlockHandle::DecodeFrom(std::string_view* input) {
  if (!GetVarint64(input, &offset) || !GetVarint64(input, &size)) {
    return absl::DataLossError("bad block handle");
  }
  return absl::OkStatus();
}

uint64_t BlockHandle::end_with_trailer() const {
  return offset + size + kBlockTrailerSize;
}

void Footer::EncodeTo(std::string* dst) const {
  size_t start = dst->size();
  metaindex.EncodeTo(dst);
  index.EncodeTo(dst);
  dst->resize(start + kHandlesLength, '\0');
  PutFixed64(dst, meta_offset);
  PutFixed32(dst, kTableFormatVersion);
  PutFixed32(dst, crc32c::Mask(
                      crc32c::Value(dst->data() + start, dst->size() - start)));
  PutFixed64(dst, kTableMagicNumber);
}

absl::Status Footer::DecodeFrom(std::string_view input) {
  if (input.size() < kEncodedLength) {
    return absl::DataLossError("file too short to be a table");
  }
  const char* p = input.data() + input.size() - kEncodedLength;
  if (DecodeFixed64(p + kEncodedLength - 8) != kTableMagicNumber) {
    return absl::DataLossError("not a table (bad magic number)");
  }
  constexpr size_t kCrcOffset = kHandlesLength + 8 + 4;
  uint32_t expected = crc32c::Unmask(DecodeFixed32(p + kCrcOffset));
  if (crc32c::Value(p, kCrcOffset) != expected) {
    return absl::DataLossError("table footer checksum mismatch");
  }
  uint32_t version = DecodeFixed32(p + kHandlesLength + 8);
  if (version != kTableFormatVersion) {
    return absl::DataLossError("unknown table format version");
  }
  meta_offset = DecodeFixed64(p + kHandlesLength);
  std::string_view handles(p, kHandlesLength);
  if (absl::Status s = metaindex.DecodeFrom(&handles); !s.ok()) return s;
  return index.DecodeFrom(&handles);
}

std::string_view CompressBlock(std::string_view raw, CompressionType type,
                               std::string* scratch, CompressionType* used) {
  if (type == CompressionType::kSnappy) {
    scratch->resize(snappy::MaxCompressedLength(raw.size()));
    size_t n = 0;
    snappy::RawCompress(raw.data(), raw.size(), scratch->data(), &n);
    // Keep the compressed form only if it saves at least 12.5%: otherwise the
    // CPU spent uncompressing on every read is not worth the space.
    if (n < raw.size() - raw.size() / 8) {
      scratch->resize(n);
      *used = CompressionType::kSnappy;
      return *scratch;
    }
  }
  *used = CompressionType::kNone;
  return raw;
}

void EncodeBlockTrailer(std::string_view stored, CompressionType type,
                        char* trailer) {
  trailer[0] = static_cast<char>(type);
  EncodeFixed32(trailer + 1, crc32c::Mask(BlockCrc(stored, trailer[0])));
}

absl::StatusOr<BlockContents> DecodeBlock(std::string_view stored,
                                          std::string_view trailer,
                                          bool verify_checksum) {
  if (trailer.size() != kBlockTrailerSize) {
    return absl::DataLossError("truncated block trailer");
  }
  if (verify_checksum) {
    uint32_t expected = crc32c::Unmask(DecodeFixed32(trailer.data() + 1));
    if (BlockCrc(stored, trailer[0]) != expected) {
      return absl::DataLossError("block checksum mismatch");
    }
  }
  BlockContents result;
  switch (static_cast<CompressionType>(trailer[0])) {
    case CompressionType::kNone:
      result.data = stored;
      return result;
    case CompressionType::kSnappy: {
      size_t n = 0;
      if (!snappy::GetUncompressedLength(stored.data(), stored.size(), &n) ||
          n / kMaxSnappyExpansion > stored.size()) {
        return absl::DataLossError("corrupt Snappy block length");
      }
      // new char[0] is a valid unique allocation, so an empty block is still
      // "owned".
      result.heap = std::make_unique_for_overwrite<char[]>(n);
      if (!snappy::RawUncompress(stored.data(), stored.size(),
                                 result.heap.get())) {
        return absl::DataLossError("corrupt Snappy block");
      }
      result.data = std::string_view(result.heap.get(), n);
      return result;
    }
  }
  return absl::DataLossError("unknown block compression type");
}

absl::StatusOr<BlockContents> ReadBlock(const RandomAccessFile& file,
                                        uint64_t file_size,
                                        const ReadOptions& options,
                                        const BlockHandle& handle) {
  // Bounds first, in an order that cannot overflow, so that a damaged handle
  // can never make us allocate more than the file holds.
  if (handle.offset > file_size || handle.size > file_size - handle.offset ||
      kBlockTrailerSize > file_size - handle.offset - handle.size) {
    return absl::DataLossError("block handle past the end of the file");
  }
  size_t n = static_cast<size_t>(handle.size);
  size_t total = n + kBlockTrailerSize;
  auto buf = std::make_unique_for_overwrite<char[]>(total);
  std::string_view got;
  if (absl::Status s = file.Read(handle.offset, total, &got, buf.get());
      !s.ok()) {
    return s;
  }
  if (got.size() != total) {
    return absl::DataLossError("truncated block read");
  }
  absl::StatusOr<BlockContents> contents =
      DecodeBlock(got.substr(0, n), got.substr(n), options.verify_checksums);
  if (!contents.ok()) return contents;
  if (contents->heap == nullptr && got.data() == buf.get()) {
    // Uncompressed and in our buffer: hand the buffer over instead of copying.
    contents->heap = std::move(buf);
  }
  return contents;
}

}  // namespace kvs
