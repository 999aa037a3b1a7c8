#include "wal/reader.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace kvs::wal {
namespace {

bool AllZero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(),
                     [](char c) { return c == '\0'; });
}

absl::Status Damage(std::string_view what, uint64_t offset) {
  return absl::DataLossError(
      absl::StrCat("wal: ", absl::string_view(what.data(), what.size()),
                   " at offset ", offset));
}

}  // namespace

Reader::Reader(SequentialFile* file, Reporter* reporter, bool verify_checksums,
               bool allocated_ahead)
    : file_(file),
      reporter_(reporter),
      verify_checksums_(verify_checksums),
      allocated_ahead_(allocated_ahead),
      backing_store_(new char[kBlockSize]) {}

void Reader::Report(uint64_t bytes, absl::Status status) {
  pending_.emplace_back(bytes, std::move(status));
}

void Reader::ReportPending() {
  for (auto& [bytes, status] : pending_) {
    ++corruption_reports_;
    dropped_bytes_ += bytes;
    if (reporter_ != nullptr) {
      reporter_->Corruption(static_cast<size_t>(bytes), status);
    }
  }
  pending_.clear();
}

int Reader::ReadPhysicalRecord(std::string_view* payload, uint64_t* offset) {
  while (true) {
    if (buffer_.size() < kHeaderSize) {
      if (!eof_) {
        // What is left of a full block is the writer's zero padding: go on to
        // the next block.
        buffer_ = {};
        absl::Status s =
            file_->Read(kBlockSize, &buffer_, backing_store_.get());
        if (!s.ok()) {
          buffer_ = {};
          eof_ = true;
          status_ = std::move(s);
          return kIoError;
        }
        end_of_buffer_offset_ += buffer_.size();
        if (buffer_.size() < kBlockSize) eof_ = true;
        continue;
      }
      // The end of the file. Leftover bytes are a header the crash cut short,
      // unless they are zeros, which is never-written (preallocated) space.
      if (!AllZero(buffer_)) torn_tail_bytes_ += buffer_.size();
      buffer_ = {};
      return kEof;
    }

    const char* header = buffer_.data();
    const uint64_t start = end_of_buffer_offset_ - buffer_.size();
    const size_t length = static_cast<unsigned char>(header[kLengthOffset]) |
                          (static_cast<size_t>(static_cast<unsigned char>(
                               header[kLengthOffset + 1]))
                           << 8);
    const int type = static_cast<unsigned char>(header[kTypeOffset]);

    if (kHeaderSize + length > buffer_.size()) {
      const size_t drop = buffer_.size();
      buffer_ = {};
      if (eof_) {
        // Cut short by the end of the file: the crash came while it was being
        // written. (A damaged length in the final block looks the same and
        // cannot be told apart.)
        torn_tail_bytes_ += drop;
        return kEof;
      }
      Report(drop, Damage("fragment length runs past its block", start));
      return kBadRecord;
    }

    if (type == kZeroType && length == 0) {
      const size_t drop = buffer_.size();
      const bool padding = AllZero(buffer_);
      buffer_ = {};
      // Zeros to the end of the block are space that was allocated but never
      // written.
      if (padding) continue;
      Report(drop, Damage("zeroed fragment header", start));
      return kBadRecord;
    }

    if (verify_checksums_) {
      const uint32_t expected =
          crc32c::Unmask(DecodeFixed32(header + kCrcOffset));
      // The type byte and the payload are adjacent, so one pass covers both.
      const uint32_t actual = crc32c::Value(header + kTypeOffset, 1 + length);
      if (actual != expected) {
        // The length may be what was damaged, so nothing after this header in
        // the block can be located reliably.
        const size_t drop = buffer_.size();
        buffer_ = {};
        Report(drop, Damage("checksum mismatch", start));
        return kBadRecord;
      }
    }

    buffer_.remove_prefix(kHeaderSize + length);
    *payload = std::string_view(header + kHeaderSize, length);
    *offset = start;
    // A good fragment after damage: the damage was not a torn tail.
    ReportPending();
    return type;
  }
}

bool Reader::ReadRecord(std::string_view* record, std::string* scratch) {
  scratch->clear();
  *record = {};
  // The fragments of a FIRST..LAST record gathered so far: where its first
  // header is and how many file bytes its fragments take.
  bool in_record = false;
  uint64_t record_start = 0;
  uint64_t record_bytes = 0;

  auto drop_partial = [&](std::string_view why, uint64_t offset) {
    if (!in_record) return;
    Report(record_bytes, Damage(why, offset));
    in_record = false;
    scratch->clear();
  };

  // Fragments that passed their checks come with type bytes; damage met
  // before one of them was not a torn tail, so it is reported right away.
  auto good_fragment = [&] { ReportPending(); };

  while (true) {
    std::string_view fragment;
    uint64_t offset = 0;
    const int type = ReadPhysicalRecord(&fragment, &offset);
    const uint64_t fragment_bytes = kHeaderSize + fragment.size();
    switch (type) {
      case kFullType:
        drop_partial("record without its last fragment", record_start);
        good_fragment();
        last_record_offset_ = offset;
        end_of_last_record_ = offset + fragment_bytes;
        *record = fragment;
        return true;

      case kFirstType:
        drop_partial("record without its last fragment", record_start);
        good_fragment();
        scratch->assign(fragment.data(), fragment.size());
        in_record = true;
        record_start = offset;
        record_bytes = fragment_bytes;
        break;

      case kMiddleType:
        if (!in_record) {
          Report(fragment_bytes,
                 Damage("middle fragment without a first", offset));
          good_fragment();
          break;
        }
        scratch->append(fragment.data(), fragment.size());
        record_bytes += fragment_bytes;
        break;

      case kLastType:
        if (!in_record) {
          Report(fragment_bytes,
                 Damage("last fragment without a first", offset));
          good_fragment();
          break;
        }
        scratch->append(fragment.data(), fragment.size());
        last_record_offset_ = record_start;
        end_of_last_record_ = offset + fragment_bytes;
        *record = *scratch;
        return true;

      case kEof:
        // A record still missing fragments here was being written when the
        // writer stopped; so was any damage after the last good fragment
        // (only zeros, which are skipped, can lie between it and here).
        if (in_record) torn_tail_bytes_ += record_bytes;
        if (allocated_ahead_ && end_of_buffer_offset_ % kAllocationUnit == 0) {
          for (const auto& [bytes, status] : pending_) {
            torn_tail_bytes_ += bytes;
          }
          pending_.clear();
        }
        ReportPending();
        scratch->clear();
        return false;

      case kIoError:
        Report(in_record ? record_bytes : 0, status_);
        ReportPending();
        scratch->clear();
        return false;

      case kBadRecord:
        // The rest of the record was in the damaged part.
        drop_partial("record lost its later fragments", record_start);
        break;

      default:
        // The checksum held (or was not checked), so the length can be trusted
        // and reading goes on after this fragment; a record it interrupts
        // cannot be completed.
        drop_partial("record interrupted by an unknown fragment type",
                     record_start);
        Report(fragment_bytes,
               Damage(absl::StrCat("unknown fragment type ", type), offset));
        good_fragment();
        break;
    }
  }
}

}  // namespace kvs::wal
