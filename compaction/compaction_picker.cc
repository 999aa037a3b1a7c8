#include "compaction/compaction_picker.h"

#include <limits>
#include <string>
#include <vector>

namespace kvs {
namespace {

// The user-key range [*smallest, *largest] covered by files.
void GetRange(const InternalKeyComparator& icmp,
              const std::vector<FileMetaData*>& files, std::string* smallest,
              std::string* largest) {
  const FileMetaData* lo = files[0];
  const FileMetaData* hi = files[0];
  for (const FileMetaData* f : files) {
    if (icmp.Compare(f->smallest, lo->smallest) < 0) lo = f;
    if (icmp.Compare(f->largest, hi->largest) > 0) hi = f;
  }
  *smallest = std::string(ExtractUserKey(lo->smallest));
  *largest = std::string(ExtractUserKey(hi->largest));
}

// Picks the file of level to push down.
FileMetaData* PickFileToCompact(VersionSet* vset, int level) {
  Version* v = vset->current();
  const InternalKeyComparator& icmp = *vset->icmp();
  const std::vector<FileMetaData*>& files = v->files(level);
  if (vset->options()->compaction_priority == CompactionPriority::kRoundRobin) {
    const std::string& pointer = vset->compact_pointer(level);
    for (FileMetaData* f : files) {
      if (pointer.empty() || icmp.Compare(f->largest, pointer) > 0) return f;
    }
    return files[0];  // Wrap around to the start of the key space.
  }
  // Least next-level overlap per byte: moving this file down rewrites the least
  // data.
  FileMetaData* best = nullptr;
  double best_ratio = std::numeric_limits<double>::max();
  for (FileMetaData* f : files) {
    std::string_view begin = ExtractUserKey(f->smallest);
    std::string_view end = ExtractUserKey(f->largest);
    uint64_t overlap =
        TotalFileSize(v->GetOverlappingInputs(level + 1, &begin, &end));
    double ratio = static_cast<double>(overlap) /
                   static_cast<double>(std::max<uint64_t>(f->file_size, 1));
    if (ratio < best_ratio) {
      best_ratio = ratio;
      best = f;
    }
  }
  return best;
}

// The oldest level-0 file whose key range meets no other level-0 file and no
// level-1 file, or nullptr.
FileMetaData* LoneLevel0File(VersionSet* vset) {
  Version* v = vset->current();
  const Comparator* ucmp = vset->icmp()->user_comparator();
  const std::vector<FileMetaData*>& level0 = v->files(0);
  for (FileMetaData* f : level0) {
    std::string_view begin = ExtractUserKey(f->smallest);
    std::string_view end = ExtractUserKey(f->largest);
    bool overlaps = false;
    for (const FileMetaData* g : level0) {
      if (g != f && ucmp->Compare(ExtractUserKey(g->largest), begin) >= 0 &&
          ucmp->Compare(ExtractUserKey(g->smallest), end) <= 0) {
        overlaps = true;
        break;
      }
    }
    if (!overlaps && v->GetOverlappingInputs(1, &begin, &end).empty()) {
      return f;
    }
  }
  return nullptr;
}

// Given inputs(0), adds the overlapping files of the next level, grows
// inputs(0) when that is free (it adds no next-level file) and not too large,
// and notes the grandparents.
void SetupOtherInputs(VersionSet* vset, Compaction* c) {
  const InternalKeyComparator& icmp = *vset->icmp();
  const Options& options = *vset->options();
  Version* v = c->input_version();
  const int level = c->level();

  std::string smallest;
  std::string largest;
  GetRange(icmp, c->inputs(0), &smallest, &largest);
  std::string_view begin = smallest;
  std::string_view end = largest;
  if (c->output_level() != level) {
    c->inputs(1) = v->GetOverlappingInputs(level + 1, &begin, &end);
  }

  std::vector<FileMetaData*> all = c->inputs(0);
  all.insert(all.end(), c->inputs(1).begin(), c->inputs(1).end());
  std::string all_smallest;
  std::string all_largest;
  GetRange(icmp, all, &all_smallest, &all_largest);

  if (!c->inputs(1).empty()) {
    std::string_view all_begin = all_smallest;
    std::string_view all_end = all_largest;
    std::vector<FileMetaData*> expanded0 =
        v->GetOverlappingInputs(level, &all_begin, &all_end);
    const uint64_t limit = 25 * options.max_file_size;
    if (expanded0.size() > c->inputs(0).size() &&
        TotalFileSize(expanded0) + c->InputBytes(1) < limit) {
      std::string new_smallest;
      std::string new_largest;
      GetRange(icmp, expanded0, &new_smallest, &new_largest);
      std::string_view new_begin = new_smallest;
      std::string_view new_end = new_largest;
      std::vector<FileMetaData*> expanded1 =
          v->GetOverlappingInputs(level + 1, &new_begin, &new_end);
      if (expanded1.size() == c->inputs(1).size()) {
        c->inputs(0) = std::move(expanded0);
        c->inputs(1) = std::move(expanded1);
        all = c->inputs(0);
        all.insert(all.end(), c->inputs(1).begin(), c->inputs(1).end());
        GetRange(icmp, all, &all_smallest, &all_largest);
      }
    }
  }

  if (c->output_level() + 1 < vset->NumLevels()) {
    std::string_view all_begin = all_smallest;
    std::string_view all_end = all_largest;
    c->grandparents() =
        v->GetOverlappingInputs(c->output_level() + 1, &all_begin, &all_end);
  }

  // The next compaction of this level starts after these inputs (round-robin),
  // and the MANIFEST remembers it across restarts.
  std::string_view largest_input = c->LargestInputKey();
  vset->compact_pointer(level) = std::string(largest_input);
  c->edit()->SetCompactPointer(level, largest_input);
}

}  // namespace

std::unique_ptr<Compaction> PickCompaction(VersionSet* vset) {
  Version* v = vset->current();
  int level;
  FileMetaData* seek_file = nullptr;
  if (v->compaction_score >= 1 && v->compaction_level >= 0) {
    level = v->compaction_level;
  } else if (v->file_to_compact != nullptr) {
    // Version::UpdateStats never marks a file of the last level.
    level = v->file_to_compact_level;
    seek_file = v->file_to_compact;
  } else {
    return nullptr;
  }
  auto c = std::make_unique<Compaction>(vset->options(), level, level + 1, v);
  if (level == 0) {
    // A level-0 file overlapping no other level-0 file and nothing in level 1
    // (what sequential writes produce) can move down without being rewritten.
    FileMetaData* alone = LoneLevel0File(vset);
    if (alone != nullptr) {
      c->inputs(0).push_back(alone);
    } else {
      // Every level-0 file: they usually all overlap anyway, and taking them
      // together avoids rewriting level 1 once per file.
      c->inputs(0) = v->files(0);
    }
  } else {
    FileMetaData* f =
        seek_file != nullptr ? seek_file : PickFileToCompact(vset, level);
    if (f == nullptr) return nullptr;
    c->inputs(0).push_back(f);
  }
  SetupOtherInputs(vset, c.get());
  return c;
}

std::unique_ptr<Compaction> PickManualCompaction(
    VersionSet* vset, int level, bool in_place, const std::string_view* begin,
    const std::string_view* end, const std::string_view* after) {
  Version* v = vset->current();
  std::vector<FileMetaData*> inputs =
      v->GetOverlappingInputs(level, begin, end);
  if (after != nullptr && level > 0) {
    const Comparator* ucmp = vset->icmp()->user_comparator();
    std::erase_if(inputs, [&](const FileMetaData* f) {
      return ucmp->Compare(ExtractUserKey(f->largest), *after) <= 0;
    });
  }
  if (inputs.empty()) return nullptr;
  if (level > 0) {
    // Bound one step's work; the caller continues after the last input.
    const uint64_t limit = 25 * vset->options()->max_file_size;
    uint64_t total = 0;
    for (size_t i = 0; i < inputs.size(); i++) {
      total += inputs[i]->file_size;
      if (total >= limit) {
        inputs.resize(i + 1);
        break;
      }
    }
  }
  auto c = std::make_unique<Compaction>(vset->options(), level,
                                        in_place ? level : level + 1, v);
  c->is_manual = true;
  c->inputs(0) = std::move(inputs);
  SetupOtherInputs(vset, c.get());
  return c;
}

}  // namespace kvs
