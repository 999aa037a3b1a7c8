#include "compaction/version_edit.h"

#include "absl/strings/str_cat.h"
#include "util/coding.h"

namespace kvs {
namespace {

// Record tags. Values are part of the MANIFEST format: never reuse or renumber
// them.
enum Tag : uint32_t {
  kComparator = 1,
  kLogNumber = 2,
  kNextFileNumber = 3,
  kLastSequence = 4,
  kCompactPointer = 5,
  kDeletedFile = 6,
  kNewFile = 7,
};

// Encoded internal keys carry an 8-byte trailer.
constexpr size_t kInternalKeyTrailer = 8;

bool GetLevel(std::string_view* input, int* level) {
  uint32_t v;
  if (!GetVarint32(input, &v) || v >= kMaxNumLevels) return false;
  *level = static_cast<int>(v);
  return true;
}

bool GetInternalKey(std::string_view* input, std::string* dst) {
  std::string_view key;
  if (!GetLengthPrefixed(input, &key) || key.size() < kInternalKeyTrailer) {
    return false;
  }
  dst->assign(key.data(), key.size());
  return true;
}

std::string Hex(std::string_view s) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

}  // namespace

void VersionEdit::EncodeTo(std::string* dst) const {
  if (comparator_) {
    PutVarint32(dst, kComparator);
    PutLengthPrefixed(dst, *comparator_);
  }
  if (log_number_) {
    PutVarint32(dst, kLogNumber);
    PutVarint64(dst, *log_number_);
  }
  if (next_file_number_) {
    PutVarint32(dst, kNextFileNumber);
    PutVarint64(dst, *next_file_number_);
  }
  if (last_sequence_) {
    PutVarint32(dst, kLastSequence);
    PutVarint64(dst, *last_sequence_);
  }
  for (const auto& [level, key] : compact_pointers_) {
    PutVarint32(dst, kCompactPointer);
    PutVarint32(dst, level);
    PutLengthPrefixed(dst, key);
  }
  for (const auto& [level, number] : deleted_files_) {
    PutVarint32(dst, kDeletedFile);
    PutVarint32(dst, level);
    PutVarint64(dst, number);
  }
  for (const auto& [level, f] : new_files_) {
    PutVarint32(dst, kNewFile);
    PutVarint32(dst, level);
    PutVarint64(dst, f.number);
    PutVarint64(dst, f.file_size);
    PutLengthPrefixed(dst, f.smallest);
    PutLengthPrefixed(dst, f.largest);
  }
}

absl::Status VersionEdit::DecodeFrom(std::string_view src) {
  Clear();
  std::string_view input = src;
  const char* bad = nullptr;
  uint32_t tag;
  while (bad == nullptr && !input.empty()) {
    if (!GetVarint32(&input, &tag)) {
      bad = "tag";
      break;
    }
    switch (tag) {
      case kComparator: {
        std::string_view name;
        if (GetLengthPrefixed(&input, &name)) {
          comparator_ = std::string(name);
        } else {
          bad = "comparator name";
        }
        break;
      }
      case kLogNumber: {
        uint64_t v;
        if (GetVarint64(&input, &v)) {
          log_number_ = v;
        } else {
          bad = "log number";
        }
        break;
      }
      case kNextFileNumber: {
        uint64_t v;
        if (GetVarint64(&input, &v)) {
          next_file_number_ = v;
        } else {
          bad = "next file number";
        }
        break;
      }
      case kLastSequence: {
        uint64_t v;
        if (GetVarint64(&input, &v)) {
          last_sequence_ = v;
        } else {
          bad = "last sequence";
        }
        break;
      }
      case kCompactPointer: {
        int level;
        std::string key;
        if (GetLevel(&input, &level) && GetInternalKey(&input, &key)) {
          compact_pointers_.emplace_back(level, std::move(key));
        } else {
          bad = "compaction pointer";
        }
        break;
      }
      case kDeletedFile: {
        int level;
        uint64_t number;
        if (GetLevel(&input, &level) && GetVarint64(&input, &number)) {
          deleted_files_.insert({level, number});
        } else {
          bad = "deleted file";
        }
        break;
      }
      case kNewFile: {
        int level;
        FileMetaData f;
        if (GetLevel(&input, &level) && GetVarint64(&input, &f.number) &&
            GetVarint64(&input, &f.file_size) &&
            GetInternalKey(&input, &f.smallest) &&
            GetInternalKey(&input, &f.largest)) {
          new_files_.emplace_back(level, std::move(f));
        } else {
          bad = "new file";
        }
        break;
      }
      default:
        bad = "unknown tag";
        break;
    }
  }
  if (bad != nullptr) {
    absl::Status s = absl::DataLossError(
        absl::StrCat("VersionEdit: malformed ", bad, " at byte ",
                     src.size() - input.size()));
    Clear();
    return s;
  }
  return absl::OkStatus();
}

std::string VersionEdit::DebugString() const {
  std::string r = "VersionEdit {";
  if (comparator_) absl::StrAppend(&r, "\n  Comparator: ", *comparator_);
  if (log_number_) absl::StrAppend(&r, "\n  LogNumber: ", *log_number_);
  if (next_file_number_) {
    absl::StrAppend(&r, "\n  NextFile: ", *next_file_number_);
  }
  if (last_sequence_) absl::StrAppend(&r, "\n  LastSeq: ", *last_sequence_);
  for (const auto& [level, key] : compact_pointers_) {
    absl::StrAppend(&r, "\n  CompactPointer: ", level, " ", Hex(key));
  }
  for (const auto& [level, number] : deleted_files_) {
    absl::StrAppend(&r, "\n  RemoveFile: ", level, " ", number);
  }
  for (const auto& [level, f] : new_files_) {
    absl::StrAppend(&r, "\n  AddFile: ", level, " ", f.number, " ", f.file_size,
                    " ", Hex(f.smallest), " .. ", Hex(f.largest));
  }
  r += "\n}\n";
  return r;
}

}  // namespace kvs
