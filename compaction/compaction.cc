#include "compaction/compaction.h"

namespace kvs {

namespace {}  // namespace

Compaction::Compaction(const Options* options, int level, int output_level,
                       Version* input_version)
    : level_(level),
      output_level_(output_level),
      input_version_(input_version),
      max_grandparent_overlap_bytes_(10 * options->max_file_size) {
  input_version_->Ref();
}

Compaction::~Compaction() { input_version_->Unref(); }

uint64_t Compaction::InputBytes(int which) const {
  return TotalFileSize(inputs_[which]);
}

std::string_view Compaction::LargestInputKey() const {
  const InternalKeyComparator* icmp = input_version_->vset()->icmp();
  const FileMetaData* last = inputs_[0][0];
  for (const FileMetaData* f : inputs_[0]) {
    if (icmp->Compare(f->largest, last->largest) > 0) last = f;
  }
  return last->largest;
}

bool Compaction::IsTrivialMove() const {
  return !is_manual && num_input_files(0) == 1 && num_input_files(1) == 0 &&
         TotalFileSize(grandparents_) <= max_grandparent_overlap_bytes_;
}

void Compaction::AddInputDeletions(VersionEdit* edit) const {
  for (int which = 0; which < 2; which++) {
    for (const FileMetaData* f : inputs_[which]) {
      edit->RemoveFile(which == 0 ? level_ : level_ + 1, f->number);
    }
  }
}

bool Compaction::IsBaseLevelForKey(std::string_view user_key) {
  const Comparator* ucmp = input_version_->vset()->icmp()->user_comparator();
  for (int level = output_level_ + 1;
       level < input_version_->vset()->NumLevels(); level++) {
    const std::vector<FileMetaData*>& files = input_version_->files(level);
    while (level_ptrs_[level] < files.size()) {
      const FileMetaData* f = files[level_ptrs_[level]];
      if (ucmp->Compare(user_key, ExtractUserKey(f->largest)) <= 0) {
        // Keys only grow, so files before this one will never matter again.
        if (ucmp->Compare(user_key, ExtractUserKey(f->smallest)) >= 0) {
          return false;
        }
        break;
      }
      level_ptrs_[level]++;
    }
  }
  return true;
}

bool Compaction::ShouldStopBefore(std::string_view internal_key) {
  const InternalKeyComparator* icmp = input_version_->vset()->icmp();
  while (grandparent_index_ < grandparents_.size() &&
         icmp->Compare(internal_key,
                       grandparents_[grandparent_index_]->largest) > 0) {
    if (seen_key_) {
      overlapped_bytes_ += grandparents_[grandparent_index_]->file_size;
    }
    grandparent_index_++;
  }
  seen_key_ = true;
  if (overlapped_bytes_ > max_grandparent_overlap_bytes_) {
    overlapped_bytes_ = 0;
    return true;
  }
  return false;
}

}  // namespace kvs
