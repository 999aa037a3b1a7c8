#ifndef KVS_COMPACTION_COMPACTION_JOB_H_
#define KVS_COMPACTION_COMPACTION_JOB_H_

// Runs a Compaction: merges its inputs and writes the surviving entries to new
// tables of the output level. Installing the result (one VersionEdit) is the
// caller's job.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "compaction/compaction.h"
#include "lsm/file_system.h"
#include "memtable/internal_key.h"
#include "sstable/table_cache.h"
#include "sstable/table_options.h"

namespace kvs {

class TableBuilder;

struct CompactionJobStats {
  uint64_t micros = 0;
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
  uint64_t entries_read = 0;
  uint64_t entries_dropped = 0;
  int files_in = 0;
  int files_out = 0;
};

class CompactionJob {
 public:
  struct Context {
    std::string dbname;
    FileSystem* fs = nullptr;
    TableOptions table_options;
    TableCache* table_cache = nullptr;
    const InternalKeyComparator* icmp = nullptr;
    uint64_t max_file_size = 0;
    bool paranoid_checks = false;
    // Hands out a number for an output file and protects it from deletion until
    // the result is installed. Takes the DB mutex itself.
    std::function<uint64_t()> new_file_number;
    // Checked between entries: a closing DB abandons the compaction.
    const std::atomic<bool>* shutting_down = nullptr;
  };

  // snapshots: the sequence numbers of live snapshots, ascending.
  // latest_sequence: the newest sequence at the start (the view of readers
  // without a snapshot).
  CompactionJob(Context context, Compaction* compaction,
                std::vector<uint64_t> snapshots);
  ~CompactionJob();

  // Does the merge. Runs without the DB mutex; the compaction's input Version
  // stays pinned. Errors: I/O errors, DataLoss for a damaged input, Cancelled
  // when the DB is shutting down. On error the outputs written so far are
  // abandoned (the caller's file cleanup deletes them).
  absl::Status Run();

  // Adds the removal of the inputs and the addition of the outputs to edit.
  void AddResultToEdit(VersionEdit* edit) const;

  const std::vector<FileMetaData>& outputs() const { return outputs_; }
  const CompactionJobStats& stats() const { return stats_; }

 private:
  absl::Status OpenOutput();
  absl::Status FinishOutput();

  const Context ctx_;
  Compaction* const compaction_;
  const std::vector<uint64_t> snapshots_;

  std::vector<FileMetaData> outputs_;
  std::unique_ptr<WritableFile> outfile_;
  std::unique_ptr<TableBuilder> builder_;
  CompactionJobStats stats_;
};

}  // namespace kvs

#endif  // KVS_COMPACTION_COMPACTION_JOB_H_
