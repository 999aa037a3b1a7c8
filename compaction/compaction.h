#ifndef KVS_COMPACTION_COMPACTION_H_
#define KVS_COMPACTION_COMPACTION_H_

// A compaction: a set of files of level L and the files of level L+1 they
// overlap, to be merged into new files of level L+1. The picker
// (compaction_picker.h) chooses one; the job (compaction_job.h) runs it.

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "compaction/version_edit.h"
#include "compaction/version_set.h"

namespace kvs {

class Compaction {
 public:
  // Pins input_version until the compaction is destroyed. REQUIRES: the DB
  // mutex (for the pin and for the destructor's unpin). output_level is level +
  // 1, or level itself to rewrite the last level holding data in place
  // (CompactRange uses that to purge deletion markers and old versions).
  Compaction(const Options* options, int level, int output_level,
             Version* input_version);
  Compaction(const Compaction&) = delete;
  Compaction& operator=(const Compaction&) = delete;
  ~Compaction();

  int level() const { return level_; }
  int output_level() const { return output_level_; }
  Version* input_version() const { return input_version_; }

  // which is 0 for the files of level(), 1 for those of level() + 1 (always
  // empty for an in-place compaction).
  std::vector<FileMetaData*>& inputs(int which) { return inputs_[which]; }
  const std::vector<FileMetaData*>& inputs(int which) const {
    return inputs_[which];
  }
  int num_input_files(int which) const {
    return static_cast<int>(inputs_[which].size());
  }
  uint64_t InputBytes(int which) const;
  // Files of output_level() + 1 overlapping the inputs: the outputs are cut so
  // that none overlaps too many of them (which would make its own later
  // compaction expensive).
  std::vector<FileMetaData*>& grandparents() { return grandparents_; }

  VersionEdit* edit() { return &edit_; }

  // The largest internal key among inputs(0): where the next compaction of
  // level() resumes.
  std::string_view LargestInputKey() const;

  // A single input file that overlaps nothing in the output level and little in
  // the level below: it can move down by editing the MANIFEST alone.
  bool IsTrivialMove() const;

  // Adds the removal of every input file to edit().
  void AddInputDeletions(VersionEdit* edit) const;

  // True if no level below the output level can hold user_key, so a deletion
  // marker for it may be dropped. Calls must come in increasing user-key order
  // (it keeps cursors per level).
  bool IsBaseLevelForKey(std::string_view user_key);

  // True if the current output should end before internal_key because it
  // already overlaps too many grandparent bytes. Calls must come in increasing
  // key order.
  bool ShouldStopBefore(std::string_view internal_key);

  // Manual compactions (CompactRange) never move files trivially: they exist to
  // rewrite data.
  bool is_manual = false;

 private:
  const int level_;
  const int output_level_;
  Version* const input_version_;
  const uint64_t max_grandparent_overlap_bytes_;
  VersionEdit edit_;
  std::vector<FileMetaData*> inputs_[2];
  std::vector<FileMetaData*> grandparents_;

  // ShouldStopBefore state.
  size_t grandparent_index_ = 0;
  bool seen_key_ = false;
  uint64_t overlapped_bytes_ = 0;

  // IsBaseLevelForKey state: a cursor into each level's file list.
  size_t level_ptrs_[kMaxNumLevels] = {};
};

}  // namespace kvs

#endif  // KVS_COMPACTION_COMPACTION_H_
