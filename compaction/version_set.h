#ifndef KVS_COMPACTION_VERSION_SET_H_
#define KVS_COMPACTION_VERSION_SET_H_

// The set of table files that make up the database, level by level, and its
// history.
//
// A Version is an immutable list of files per level. Readers pin the Version
// they read from, so the files it names stay on disk while they read. The
// VersionSet holds the current Version and all older Versions still pinned, and
// persists every change as a VersionEdit appended to the MANIFEST.
//
// Thread-safety: every method of Version and VersionSet requires the DB mutex
// unless it says otherwise. Version::Get and Version::AddIterators only read
// the Version's immutable file lists, so they may run without the mutex while
// the caller holds a reference.

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "compaction/version_edit.h"
#include "lsm/file_system.h"
#include "lsm/iterator.h"
#include "lsm/options.h"
#include "memtable/internal_key.h"
#include "sstable/table_cache.h"
#include "util/mutex.h"
#include "wal/writer.h"

namespace kvs {

class VersionSet;

// What a point lookup in the tables found.
enum class LookupResult { kNotFound, kFound, kDeleted };

// Which file a point lookup searched first when it had to search more than one:
// the file that lookup "wasted" a search on (Version::UpdateStats).
struct GetStats {
  FileMetaData* seek_file = nullptr;
  int seek_file_level = -1;
};

// Lookups a file of file_size bytes may pass through to a deeper level before a
// compaction pushes it down. See docs/design.md, "Read-triggered compaction".
int64_t AllowedSeeksForFile(uint64_t file_size);

class Version {
 public:
  Version(const Version&) = delete;
  Version& operator=(const Version&) = delete;

  void Ref() { refs_++; }
  // Deletes the Version when the last reference goes. REQUIRES: the DB mutex.
  void Unref();

  // Looks key up in the tables, newest data first: level-0 files from the
  // newest, then one file per deeper level. *value is set when kFound. DataLoss
  // or an I/O error when a table needed is damaged or unreadable. *stats (if
  // not null) names the first file searched when more than one was.
  absl::StatusOr<LookupResult> Get(const ReadOptions& options,
                                   const LookupKey& key, std::string* value,
                                   GetStats* stats = nullptr);

  // Charges the lookup that produced stats to its first file. Returns true when
  // that file has used up its allowed seeks and should now be compacted (it
  // becomes file_to_compact). REQUIRES: the DB mutex.
  bool UpdateStats(const GetStats& stats);

  // True if the compaction picker has work here: a level over its target or a
  // file that has used up its seeks.
  bool NeedsCompaction() const {
    return compaction_score >= 1 || file_to_compact != nullptr;
  }

  // Appends iterators over every file of this Version (internal keys) to
  // *iters: one per level-0 file, newest first, then one lazily-opening
  // iterator per non-empty deeper level.
  void AddIterators(const ReadOptions& options, std::vector<Iterator*>* iters);

  int NumFiles(int level) const {
    return static_cast<int>(files_[level].size());
  }
  const std::vector<FileMetaData*>& files(int level) const {
    return files_[level];
  }
  uint64_t LevelBytes(int level) const;

  // The files of level overlapping the user-key range [begin, end] (nullptr:
  // open end). For level 0, whose files may overlap each other, the range is
  // widened until it covers every file that overlaps a chosen file, so that all
  // versions of a user key go together.
  std::vector<FileMetaData*> GetOverlappingInputs(
      int level, const std::string_view* begin,
      const std::string_view* end) const;

  // True if some file of level overlaps the user-key range [smallest, largest].
  bool OverlapInLevel(int level, std::string_view smallest_user_key,
                      std::string_view largest_user_key) const;

  // Checks that every level >= 1 is sorted and free of overlaps and that no
  // file appears twice. Returns Internal describing the first violation.
  absl::Status CheckInvariants() const;

  // Approximate byte offset of key (an internal key) in the data of this
  // Version.
  uint64_t ApproximateOffsetOf(std::string_view internal_key) const;

  std::string DebugString() const;

  VersionSet* vset() const { return vset_; }

 private:
  friend class VersionSet;
  class Builder;

  explicit Version(VersionSet* vset);
  ~Version();

  VersionSet* const vset_;
  Version* next_ = this;  // Linked list of live Versions in the VersionSet.
  Version* prev_ = this;
  int refs_ = 0;
  std::vector<FileMetaData*> files_[kMaxNumLevels];

 public:
  // Filled by VersionSet::Finalize: the level most in need of compaction and
  // its score (>= 1 means it should be compacted). Read by the compaction
  // picker.
  double compaction_score = -1;
  int compaction_level = -1;
  // Set by UpdateStats: a file that reads keep passing through, to be pushed
  // down when no level is over its target. Guarded by the DB mutex.
  FileMetaData* file_to_compact = nullptr;
  int file_to_compact_level = -1;
};

// An iterator over the files of one sorted level (>= 1), concatenated, opening
// each file only when the iterator reaches it. files must outlive the iterator.
Iterator* NewLevelIterator(const ReadOptions& options, TableCache* table_cache,
                           const InternalKeyComparator* icmp,
                           const std::vector<FileMetaData*>* files);

class VersionSet {
 public:
  // options must already be validated and outlive the VersionSet; icmp
  // likewise.
  VersionSet(std::string dbname, const Options* options, FileSystem* fs,
             TableCache* table_cache, const InternalKeyComparator* icmp);
  VersionSet(const VersionSet&) = delete;
  VersionSet& operator=(const VersionSet&) = delete;
  ~VersionSet();

  // Applies edit to the current Version, records it in the MANIFEST (starting a
  // new MANIFEST holding a full snapshot if none is open), syncs, and installs
  // the result as current. Releases *mu while writing and syncing; concurrent
  // callers are serialised. On error the current Version is unchanged and the
  // open MANIFEST is abandoned (the next call starts a new one).
  absl::Status LogAndApply(VersionEdit* edit, Mutex* mu) KVS_REQUIRES(mu);

  // Reads CURRENT and replays the MANIFEST it names. DataLoss for a damaged
  // CURRENT or MANIFEST (a torn last record is not damage: it was never
  // acknowledged), InvalidArgument for a comparator mismatch.
  absl::Status Recover();

  Version* current() const { return current_; }

  uint64_t NewFileNumber() { return next_file_number_++; }
  // Returns file_number for reuse if it was the last one handed out and went
  // unused.
  void ReuseFileNumber(uint64_t file_number) {
    if (next_file_number_ == file_number + 1) next_file_number_ = file_number;
  }
  // Ensures numbers handed out from now on are above number.
  void MarkFileNumberUsed(uint64_t number) {
    if (next_file_number_ <= number) next_file_number_ = number + 1;
  }

  uint64_t LastSequence() const { return last_sequence_; }
  void SetLastSequence(uint64_t s) { last_sequence_ = s; }
  // The oldest WAL still needed: those numbered below it are obsolete.
  uint64_t LogNumber() const { return log_number_; }
  uint64_t ManifestFileNumber() const { return manifest_file_number_; }
  // True while a LogAndApply is writing (with the mutex released): only then
  // may a temporary file (a CURRENT being replaced) be in use.
  bool ManifestWriteInProgress() const { return manifest_write_in_progress_; }

  int NumLevels() const { return num_levels_; }
  int NumLevelFiles(int level) const { return current_->NumFiles(level); }
  uint64_t NumLevelBytes(int level) const {
    return current_->LevelBytes(level);
  }
  // Target size of level >= 1.
  double MaxBytesForLevel(int level) const;

  // Adds the number of every file any live Version names.
  void AddLiveFiles(std::set<uint64_t>* live) const;

  // Where the next compaction of each level starts (an encoded internal key,
  // empty for the beginning). Used by the compaction picker's round-robin.
  std::string& compact_pointer(int level) { return compact_pointer_[level]; }

  const InternalKeyComparator* icmp() const { return icmp_; }
  const Options* options() const { return options_; }
  TableCache* table_cache() const { return table_cache_; }

 private:
  friend class Version;

  void AppendVersion(Version* v);
  // Computes v's compaction score.
  void Finalize(Version* v) const;
  // A VersionEdit describing the whole of current_, to start a new MANIFEST.
  void WriteSnapshot(VersionEdit* edit) const;

  const std::string dbname_;
  const Options* const options_;
  FileSystem* const fs_;
  TableCache* const table_cache_;
  const InternalKeyComparator* const icmp_;
  const int num_levels_;

  uint64_t next_file_number_ = 2;
  uint64_t manifest_file_number_ = 0;
  uint64_t last_sequence_ = 0;
  uint64_t log_number_ = 0;

  // The open MANIFEST; null until the first LogAndApply after Recover or after
  // a failed write.
  std::unique_ptr<WritableFile> descriptor_file_;
  std::unique_ptr<wal::Writer> descriptor_log_;
  bool manifest_write_in_progress_ = false;
  CondVar* manifest_cv_ = nullptr;
  std::unique_ptr<CondVar> manifest_cv_storage_;

  Version dummy_versions_;  // Head of the circular list of live Versions.
  Version* current_ = nullptr;
  std::string compact_pointer_[kMaxNumLevels];
};

}  // namespace kvs

#endif  // KVS_COMPACTION_VERSION_SET_H_
