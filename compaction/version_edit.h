#ifndef KVS_COMPACTION_VERSION_EDIT_H_
#define KVS_COMPACTION_VERSION_EDIT_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace kvs {

// Levels a database may be configured with (Options::num_levels is checked
// against it).
constexpr int kMaxNumLevels = 16;

// A table file as the version set knows it. smallest and largest are encoded
// internal keys (user key + 8-byte trailer), the first and last entries of the
// table.
struct FileMetaData {
  uint64_t number = 0;
  uint64_t file_size = 0;
  std::string smallest;
  std::string largest;
  // Versions that list this file; owned by the version set's mutex.
  int refs = 0;
  // Lookups that may still pass through this file to a deeper one before it is
  // compacted (see Version::UpdateStats). In memory only; guarded by the DB
  // mutex.
  int64_t allowed_seeks = 0;
};

// Sum of the sizes of files.
inline uint64_t TotalFileSize(const std::vector<FileMetaData*>& files) {
  uint64_t sum = 0;
  for (const FileMetaData* f : files) sum += f->file_size;
  return sum;
}

// A change from one Version to the next: files added and removed per level plus
// counters. The MANIFEST is the sequence of encoded edits (docs/format.md,
// "VersionEdit").
//
// Thread-safety: a plain value; synchronise externally.
class VersionEdit {
 public:
  void Clear() { *this = VersionEdit(); }

  void SetComparatorName(std::string_view name) {
    comparator_ = std::string(name);
  }
  // WAL files numbered below this one are no longer needed for recovery.
  void SetLogNumber(uint64_t number) { log_number_ = number; }
  void SetNextFileNumber(uint64_t number) { next_file_number_ = number; }
  void SetLastSequence(uint64_t seq) { last_sequence_ = seq; }
  // Where the next compaction of level should start (an encoded internal key).
  void SetCompactPointer(int level, std::string_view key) {
    compact_pointers_.emplace_back(level, std::string(key));
  }

  void AddFile(int level, const FileMetaData& file) {
    FileMetaData f = file;
    f.refs = 0;
    new_files_.emplace_back(level, std::move(f));
  }
  void RemoveFile(int level, uint64_t number) {
    deleted_files_.insert({level, number});
  }

  void EncodeTo(std::string* dst) const;
  // Replaces this edit with the decoded one. DataLoss naming the bad field on
  // malformed input.
  absl::Status DecodeFrom(std::string_view src);

  // A readable rendering for the LOG and tests.
  std::string DebugString() const;

  const std::optional<std::string>& comparator() const { return comparator_; }
  const std::optional<uint64_t>& log_number() const { return log_number_; }
  const std::optional<uint64_t>& next_file_number() const {
    return next_file_number_;
  }
  const std::optional<uint64_t>& last_sequence() const {
    return last_sequence_;
  }
  const std::vector<std::pair<int, std::string>>& compact_pointers() const {
    return compact_pointers_;
  }
  const std::set<std::pair<int, uint64_t>>& deleted_files() const {
    return deleted_files_;
  }
  const std::vector<std::pair<int, FileMetaData>>& new_files() const {
    return new_files_;
  }

 private:
  std::optional<std::string> comparator_;
  std::optional<uint64_t> log_number_;
  std::optional<uint64_t> next_file_number_;
  std::optional<uint64_t> last_sequence_;
  std::vector<std::pair<int, std::string>> compact_pointers_;
  std::set<std::pair<int, uint64_t>> deleted_files_;
  std::vector<std::pair<int, FileMetaData>> new_files_;
};

}  // namespace kvs

#endif  // KVS_COMPACTION_VERSION_EDIT_H_
