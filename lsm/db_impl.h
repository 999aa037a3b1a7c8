#ifndef KVS_LSM_DB_IMPL_H_
#define KVS_LSM_DB_IMPL_H_

// The database: write path (lsm/db_write.cc), flush and file housekeeping
// (lsm/db_flush.cc), reads, iterators and snapshots (lsm/db_read.cc), open,
// recovery and introspection (lsm/db_impl.cc). See docs/design.md for how the
// parts fit together.

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "compaction/version_set.h"
#include "lsm/cache.h"
#include "lsm/db.h"
#include "lsm/file_system.h"
#include "lsm/options.h"
#include "lsm/snapshot_list.h"
#include "memtable/internal_key.h"
#include "memtable/memtable.h"
#include "sstable/table_cache.h"
#include "util/mutex.h"
#include "wal/writer.h"

namespace kvs {

class DBImpl final : public DB {
 public:
  DBImpl(const Options& sanitized_options, std::string dbname);
  ~DBImpl() override;

  absl::Status Put(const WriteOptions& options, std::string_view key,
                   std::string_view value) override;
  absl::Status Delete(const WriteOptions& options,
                      std::string_view key) override;
  absl::Status Write(const WriteOptions& options, WriteBatch* batch) override;
  absl::StatusOr<std::string> Get(const ReadOptions& options,
                                  std::string_view key) override;
  std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) override;
  const Snapshot* GetSnapshot() override;
  void ReleaseSnapshot(const Snapshot* snapshot) override;
  bool GetProperty(std::string_view property, std::string* value) override;
  std::vector<uint64_t> GetApproximateSizes(
      const std::vector<Range>& ranges) override;
  absl::Status Flush() override;
  absl::Status CompactRange(const std::string_view* begin,
                            const std::string_view* end) override;

  // Opens or creates the files, recovers and starts a new WAL. Called once by
  // DB::Open.
  absl::Status OpenAndRecover();

  // For tests: waits until no flush or compaction is running or needed (or a
  // background error stopped them), and returns the background error.
  absl::Status WaitForBackgroundWork() KVS_EXCLUDES(mutex_);
  // For tests: the level invariants of the current Version
  // (Version::CheckInvariants).
  absl::Status CheckInvariants() KVS_EXCLUDES(mutex_);

 private:
  struct Writer;
  struct RecoveryReporter;

  // Counters shown by "kvs.stats". Guarded by mutex_.
  struct Stats {
    uint64_t user_bytes_written = 0;  // Encoded batch bytes accepted.
    uint64_t wal_bytes_written = 0;
    uint64_t writes = 0;
    uint64_t write_groups = 0;
    uint64_t syncs = 0;
    uint64_t flushes = 0;
    uint64_t flush_bytes = 0;  // Table bytes written by flushes.
    uint64_t flush_micros = 0;
    uint64_t memtable_stalls = 0;  // Writers that waited for a flush.
    uint64_t level0_slowdowns =
        0;  // Writes delayed ~1 ms for too many level-0 files.
    uint64_t level0_stops = 0;  // Writers that waited for level 0 to shrink.
    uint64_t stall_micros = 0;
    // Per output level.
    struct Compactions {
      uint64_t count = 0;
      uint64_t trivial_moves = 0;
      uint64_t micros = 0;
      uint64_t bytes_read = 0;
      uint64_t bytes_written = 0;
      uint64_t files_in = 0;
      uint64_t files_out = 0;
    } compactions[kMaxNumLevels];
  };

  // A CompactRange step waiting for the background thread.
  struct ManualCompaction {
    int level = 0;
    bool in_place =
        false;  // Rewrite level into itself (the deepest level of the range).
    std::optional<std::string>
        resume_after;  // The user key the last step ended at.
    bool done = false;
    std::optional<std::string> begin;  // User keys; unset means open.
    std::optional<std::string> end;
    absl::Status status;
  };

  // --- open and recovery (db_impl.cc) ---
  absl::Status NewDB();
  // Replays one WAL into level-0 tables. *next_sequence is the sequence the
  // replayed logs so far end before (0: unknown); if this log's opening record
  // says it starts elsewhere, the previous log lost its tail, and *gap is set
  // instead of replaying anything past that point.
  absl::Status RecoverLogFile(uint64_t log_number, VersionEdit* edit,
                              SequenceNumber* max_sequence,
                              SequenceNumber* next_sequence, bool* gap)
      KVS_REQUIRES(mutex_);
  // Creates WAL number and makes it the one writes go to, opening it with a
  // record of the sequence it starts at. Its directory entry is synced, so a
  // sync write to it survives a power loss. The previous WAL is not synced
  // here (that would stall writers at every memtable switch): it joins
  // unsynced_logs_.
  absl::Status SwitchToNewLog(uint64_t number) KVS_REQUIRES(mutex_);
  // Closes, without syncing, the unsynced WALs numbered below number.
  void CloseUnsyncedLogsBefore(uint64_t number) KVS_REQUIRES(mutex_);

  // --- write path (db_write.cc) ---
  using UnsyncedLogs =
      std::vector<std::pair<uint64_t, std::unique_ptr<WritableFile>>>;
  // Syncs and closes logs (taken out of unsynced_logs_ by the caller, so no
  // one else touches them meanwhile); the first error.
  static absl::Status SyncAndCloseLogs(UnsyncedLogs* logs);
  // Makes sure the memtable has room, switching to a new memtable and WAL (and
  // waiting for the previous flush) as needed. force switches even when there
  // is room (used by Flush).
  absl::Status MakeRoomForWrite(bool force) KVS_REQUIRES(mutex_);
  // Queues w and, once it is at the head, writes for its group. Returns w's
  // outcome.
  absl::Status WriteInternal(Writer* w) KVS_EXCLUDES(mutex_);
  // Merges the batches of the head writer and those queued behind it into one,
  // up to a size bound. Sets *last_writer to the last writer included and *sync
  // if any of them asked for it. nullptr if none of them carries a batch.
  WriteBatch* BuildBatchGroup(Writer** last_writer, bool* sync)
      KVS_REQUIRES(mutex_);
  void RecordBackgroundError(const absl::Status& s) KVS_REQUIRES(mutex_);

  // --- flush and housekeeping (db_flush.cc) ---
  void MaybeScheduleFlush() KVS_REQUIRES(mutex_);
  void BackgroundFlushCall() KVS_EXCLUDES(mutex_);
  // Writes imm_ to a level-0 table and installs it.
  absl::Status FlushImmutableMemTable() KVS_REQUIRES(mutex_);
  // Writes mem to a new level-0 table (none if mem is empty) and records it in
  // edit.
  absl::Status WriteLevel0Table(MemTable* mem, VersionEdit* edit)
      KVS_REQUIRES(mutex_);
  // Drops the files edit adds from pending_outputs_, once edit is installed or
  // abandoned.
  void ReleasePendingOutputs(const VersionEdit& edit) KVS_REQUIRES(mutex_);
  // Deletes files no live Version, pending output or recovery needs.
  void RemoveObsoleteFiles() KVS_REQUIRES(mutex_);

  // --- compaction (db_compaction.cc) ---
  void MaybeScheduleCompaction() KVS_REQUIRES(mutex_);
  void BackgroundCompactionCall() KVS_EXCLUDES(mutex_);
  // Runs one compaction (manual if one is waiting, else the one most needed).
  absl::Status BackgroundCompaction() KVS_REQUIRES(mutex_);
  absl::Status RunManualCompaction(int level, bool in_place,
                                   const std::string_view* begin,
                                   const std::string_view* end)
      KVS_EXCLUDES(mutex_);

  // --- reads (db_read.cc) ---
  // A merging iterator over memtables and tables, pinning what it reads.
  Iterator* NewInternalIterator(const ReadOptions& options,
                                SequenceNumber* latest_snapshot)
      KVS_EXCLUDES(mutex_);

  std::string StatsString() KVS_REQUIRES(mutex_);

  // Constant after construction.
  const std::string dbname_;
  const Options
      options_;  // Sanitized: comparator, file system, cache and filter set.
  FileSystem* const fs_;
  const InternalKeyComparator internal_comparator_;
  const std::shared_ptr<const FilterPolicy> internal_filter_policy_;
  const std::shared_ptr<Cache> block_cache_;
  const TableOptions
      table_options_;  // For the tables flushes and compactions write.
  std::shared_ptr<Logger> info_log_;
  std::unique_ptr<TableCache> table_cache_;
  std::unique_ptr<FileLock> db_lock_;

  Mutex mutex_;
  std::atomic<bool> shutting_down_{false};
  CondVar
      background_work_finished_cv_;  // Signalled whenever background work ends.

  MemTable* mem_ KVS_GUARDED_BY(mutex_) = nullptr;
  MemTable* imm_ KVS_GUARDED_BY(mutex_) = nullptr;  // Being flushed.
  std::unique_ptr<WritableFile> logfile_ KVS_GUARDED_BY(mutex_);
  uint64_t logfile_number_ KVS_GUARDED_BY(mutex_) = 0;
  std::unique_ptr<wal::Writer> log_ KVS_GUARDED_BY(mutex_);
  // Earlier WALs (number, file) written since their last sync. A sync write
  // syncs them before the current WAL: everything before it must be durable.
  UnsyncedLogs unsynced_logs_ KVS_GUARDED_BY(mutex_);

  // Writers waiting their turn; the head one writes for the group.
  std::deque<Writer*> writers_ KVS_GUARDED_BY(mutex_);
  WriteBatch group_batch_ KVS_GUARDED_BY(mutex_);  // Scratch for merged groups.

  SnapshotList snapshots_ KVS_GUARDED_BY(mutex_);

  // Table files being written, protected from RemoveObsoleteFiles.
  std::set<uint64_t> pending_outputs_ KVS_GUARDED_BY(mutex_);

  bool flush_scheduled_ KVS_GUARDED_BY(mutex_) = false;
  bool compaction_scheduled_ KVS_GUARDED_BY(mutex_) = false;
  ManualCompaction* manual_compaction_ KVS_GUARDED_BY(mutex_) = nullptr;
  // The first background error; once set, every write fails with it.
  absl::Status bg_error_ KVS_GUARDED_BY(mutex_);

  std::unique_ptr<VersionSet> versions_ KVS_GUARDED_BY(mutex_);
  Stats stats_ KVS_GUARDED_BY(mutex_);
};

// Checks options and fills in defaults (comparator, file system, cache,
// filter). InvalidArgument naming the field for nonsense. Defined in
// lsm/options_check.cc.
absl::StatusOr<Options> SanitizeOptions(const Options& options);

}  // namespace kvs

#endif  // KVS_LSM_DB_IMPL_H_
