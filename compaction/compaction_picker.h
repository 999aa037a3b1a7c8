#ifndef KVS_COMPACTION_COMPACTION_PICKER_H_
#define KVS_COMPACTION_COMPACTION_PICKER_H_

// Chooses what to compact next (docs/design.md, "Compaction policy").

#include <memory>
#include <string_view>

#include "compaction/compaction.h"
#include "compaction/version_set.h"

namespace kvs {

// The compaction the current Version most needs: the level with the highest
// score (level 0 by file count against level0_file_num_compaction_trigger,
// deeper levels by bytes against their target), if that score is >= 1; else
// the file reads keep passing through (Version::file_to_compact), pushed down
// one level; nullptr if neither. Records the choice in the level's compaction
// pointer (and in the returned compaction's edit). REQUIRES: the DB mutex.
std::unique_ptr<Compaction> PickCompaction(VersionSet* vset);

// A manual compaction of the files of level overlapping the user-key range
// [begin, end] (nullptr: open end), limited to a bounded amount of input for
// levels >= 1 (the caller repeats from the end of the returned inputs to cover
// the rest). nullptr if nothing in level overlaps the range. REQUIRES: the DB
// mutex. With in_place, the files are rewritten into level itself (for the
// deepest level holding the range). Files whose keys are all <= *after (if
// given) are skipped: how the caller resumes.
std::unique_ptr<Compaction> PickManualCompaction(VersionSet* vset, int level,
                                                 bool in_place,
                                                 const std::string_view* begin,
                                                 const std::string_view* end,
                                                 const std::string_view* after);

}  // namespace kvs

#endif  // KVS_COMPACTION_COMPACTION_PICKER_H_
