#include "wal/writer.h"

#include <algorithm>

#include "util/coding.h"
#include "util/crc32c.h"

namespace kvs::wal {
namespace {

// A record bigger than this is handed to the file in pieces, so that logging a
// huge record needs only a bounded extra buffer; anything smaller goes in a
// single Append.
constexpr size_t kMaxPendingBytes = 4 * kBlockSize;

}  // namespace

Writer::Writer(WritableFile* dest, uint64_t dest_length)
    : dest_(dest), block_offset_(dest_length % kBlockSize) {
  for (int t = 0; t <= kMaxRecordType; ++t) {
    const char type_byte = static_cast<char>(t);
    type_crc_[t] = crc32c::Value(&type_byte, 1);
  }
}

void Writer::EmitFragment(RecordType type, const char* payload, size_t n) {
  char header[kHeaderSize];
  const uint32_t crc = crc32c::Extend(type_crc_[type], payload, n);
  EncodeFixed32(header + kCrcOffset, crc32c::Mask(crc));
  header[kLengthOffset] = static_cast<char>(n & 0xff);
  header[kLengthOffset + 1] = static_cast<char>(n >> 8);
  header[kTypeOffset] = static_cast<char>(type);
  pending_.append(header, kHeaderSize);
  pending_.append(payload, n);
  block_offset_ += kHeaderSize + n;
}

absl::Status Writer::AddRecord(std::string_view record) {
  if (!status_.ok()) return status_;

  pending_.clear();
  const char* ptr = record.data();
  size_t left = record.size();
  bool first = true;
  // Runs at least once: an empty record is still written, as a FULL fragment
  // with no payload.
  do {
    size_t room = kBlockSize - block_offset_;
    if (room < kHeaderSize) {
      // Too small for a header: pad with zeros, which the reader skips, and
      // start a new block.
      pending_.append(room, '\0');
      block_offset_ = 0;
      room = kBlockSize;
    }
    const size_t n = std::min(left, room - kHeaderSize);
    const bool last = (n == left);
    RecordType type;
    if (first && last) {
      type = kFullType;
    } else if (first) {
      type = kFirstType;
    } else if (last) {
      type = kLastType;
    } else {
      type = kMiddleType;
    }
    EmitFragment(type, ptr, n);
    ptr += n;
    left -= n;
    first = false;
    if (left > 0 && pending_.size() >= kMaxPendingBytes) {
      status_ = dest_->Append(pending_);
      if (!status_.ok()) return status_;
      pending_.clear();
    }
  } while (left > 0);

  status_ = dest_->Append(pending_);
  if (status_.ok()) status_ = dest_->Flush();
  return status_;
}

absl::Status Writer::Sync() {
  if (!status_.ok()) return status_;
  status_ = dest_->Sync();
  return status_;
}

}  // namespace kvs::wal
