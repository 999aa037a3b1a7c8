#ifndef KVS_SSTABLE_BLOCK_H_
#define KVS_SSTABLE_BLOCK_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "lsm/comparator.h"
#include "lsm/iterator.h"
#include "sstable/format.h"
#include "util/coding.h"

namespace kvs {

// A parsed, read-only block (the format written by BlockBuilder). Construction
// checks the restart array; a malformed block is still constructed, and every
// iterator over it reports DataLoss. Entries between restart points are checked
// as iterators reach them, so damage there shows up as an iterator error, never
// as an out-of-bounds read.
//
// Thread-safety: immutable after construction (and after CacheRestartKeys), so
// any number of threads may iterate over it at once.
class Block {
 public:
  // Takes over contents (owned, or borrowed memory that must outlive the
  // block).
  explicit Block(BlockContents contents);
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;

  // Decodes the key at every restart point once so that Seek's binary search
  // compares string_views instead of decoding varints; worth it for blocks that
  // live long and are searched often (the index block). Marks the block
  // malformed if a restart entry is damaged. Not thread-safe: call before
  // sharing the block.
  void CacheRestartKeys();

  // OK, or DataLoss when the block is malformed.
  const absl::Status& status() const { return status_; }
  // Bytes of block contents (what a cache entry for it is charged).
  size_t size() const { return contents_.data.size(); }
  uint32_t num_restarts() const { return num_restarts_; }
  // True if the block owns its memory (false: it borrows it).
  bool owns_data() const { return contents_.owned(); }

  class Iter;
  // A new heap iterator over the block, ordered by comparator (which must
  // outlive it, as must the block).
  Iterator* NewIterator(const Comparator* comparator) const;

 private:
  friend class Iter;

  uint32_t RestartOffset(uint32_t i) const {
    return DecodeFixed32(restarts_ + 4 * size_t{i});
  }

  BlockContents contents_;
  const char* data_ = nullptr;
  const char* restarts_ =
      nullptr;                 // Start of the restart array == end of entries.
  uint32_t entries_size_ = 0;  // Bytes of entries before the restart array.
  uint32_t num_restarts_ = 0;
  std::vector<std::string_view> restart_keys_;  // Empty unless cached.
  absl::Status status_;
};

// An iterator over one block; public so that point lookups can keep it on the
// stack.
class Block::Iter final : public Iterator {
 public:
  Iter(const Block* block, const Comparator* comparator);

  bool Valid() const override { return current_ < block_->entries_size_; }
  void SeekToFirst() override;
  void SeekToLast() override;
  void Seek(std::string_view target) override;
  void Next() override;
  void Prev() override;
  std::string_view key() const override { return key_; }
  std::string_view value() const override { return value_; }
  absl::Status status() const override { return status_; }

 private:
  void Invalidate();
  void Corrupt();
  void SeekToRestartPoint(uint32_t index);
  // Decodes the entry at next_; false (and invalid) at the end or on damage.
  bool ParseNextEntry();
  // Makes key_ the first shared bytes of the current key_ followed by suffix.
  void SetDeltaKey(uint32_t shared, std::string_view suffix);
  // Scans the entries from restart point index and stops at the last one that
  // ends at or after limit (or at the end), remembering every entry passed in
  // prev_entries_.
  void ScanToLastBefore(uint32_t index, uint32_t limit);
  // Positions at prev_entries_[pos].
  void MoveToPrevEntry(size_t pos);
  // The full key stored at restart point index; false (after Corrupt) if
  // damaged.
  bool RestartKey(uint32_t index, std::string_view* key);

  const Block* const block_;
  const Comparator* const comparator_;
  uint32_t current_;   // Offset of the current entry; entries_size_ if invalid.
  uint32_t next_ = 0;  // Offset of the entry after the current one.
  uint32_t restart_index_;  // Restart block holding current_.
  std::string_view key_;    // Into the block, inline_key_ or long_key_.
  // The current key when it is prefix-compressed: in inline_key_ if it fits
  // (internal keys of short user keys do, so a new iterator allocates
  // nothing), else in long_key_.
  char inline_key_[48];
  std::string long_key_;
  std::string_view value_;
  absl::Status status_;

  // Entries are delta-encoded forward, so going back means scanning forward
  // from a restart point. Each scan keeps what it decoded, so the other Prev
  // calls within the same restart interval are O(1) instead of a rescan each.
  struct PrevEntry {
    uint32_t offset;   // Of the entry in the block.
    uint32_t key_end;  // Its key is prev_keys_ from the previous key_end.
    uint32_t value_offset;
    uint32_t value_size;
  };
  std::vector<PrevEntry> prev_entries_;
  std::string prev_keys_;
  uint32_t prev_restart_index_ = 0;  // The interval prev_entries_ covers.
  size_t prev_pos_ = 0;  // The entry of prev_entries_ last moved to.
};

}  // namespace kvs

#endif  // KVS_SSTABLE_BLOCK_H_
