#include "sstable/block.h"

#include <cstring>

#include "util/coding.h"

namespace kvs {
namespace {

// Decodes the three varints heading an entry within [p, limit). Returns the
// first byte of the key delta, or nullptr if the header is damaged or claims
// more bytes than remain.
inline const char* DecodeEntryHeader(const char* p, const char* limit,
                                     uint32_t* shared, uint32_t* unshared,
                                     uint32_t* value_length) {
  if (limit - p >= 3 &&
      ((static_cast<unsigned char>(p[0]) | static_cast<unsigned char>(p[1]) |
        static_cast<unsigned char>(p[2])) &
       0x80) == 0) {
    // The usual case: all three fit in one byte each (keys and values under
    // 128 bytes).
    *shared = static_cast<unsigned char>(p[0]);
    *unshared = static_cast<unsigned char>(p[1]);
    *value_length = static_cast<unsigned char>(p[2]);
    p += 3;
  } else {
    if ((p = DecodeVarint32(p, limit, shared)) == nullptr) return nullptr;
    if ((p = DecodeVarint32(p, limit, unshared)) == nullptr) return nullptr;
    if ((p = DecodeVarint32(p, limit, value_length)) == nullptr) return nullptr;
  }
  size_t remaining = static_cast<size_t>(limit - p);
  if (*unshared > remaining || *value_length > remaining - *unshared) {
    return nullptr;
  }
  return p;
}

}  // namespace

Block::Block(BlockContents contents) : contents_(std::move(contents)) {
  data_ = contents_.data.data();
  size_t size = contents_.data.size();
  restarts_ = data_;
  if (size < sizeof(uint32_t)) {
    status_ = absl::DataLossError("block too short");
    return;
  }
  uint32_t num_restarts = DecodeFixed32(data_ + size - sizeof(uint32_t));
  size_t max_restarts = (size - sizeof(uint32_t)) / sizeof(uint32_t);
  if (num_restarts > max_restarts) {
    status_ = absl::DataLossError("bad block restart count");
    return;
  }
  size_t entries_size = size - sizeof(uint32_t) * (1 + size_t{num_restarts});
  if (entries_size > UINT32_MAX) {
    status_ = absl::DataLossError("block too large");
    return;
  }
  const char* restarts = data_ + entries_size;
  // Restart offsets must start at 0 and increase strictly within the entries:
  // the binary search and Prev rely on that order, and every later offset check
  // relies on them being in bounds.
  if (entries_size > 0) {
    if (num_restarts == 0 || DecodeFixed32(restarts) != 0) {
      status_ = absl::DataLossError("bad block restart array");
      return;
    }
    uint32_t prev = 0;
    for (uint32_t i = 1; i < num_restarts; i++) {
      uint32_t offset = DecodeFixed32(restarts + 4 * size_t{i});
      if (offset <= prev || offset >= entries_size) {
        status_ = absl::DataLossError("bad block restart array");
        return;
      }
      prev = offset;
    }
  } else {
    // An empty block. The builder writes a single restart at 0; tolerate none
    // as well.
    num_restarts = 0;
  }
  restarts_ = restarts;
  entries_size_ = static_cast<uint32_t>(entries_size);
  num_restarts_ = num_restarts;
}

void Block::CacheRestartKeys() {
  if (!status_.ok() || !restart_keys_.empty()) return;
  std::vector<std::string_view> keys;
  keys.reserve(num_restarts_);
  for (uint32_t i = 0; i < num_restarts_; i++) {
    uint32_t shared, unshared, value_length;
    const char* p = DecodeEntryHeader(data_ + RestartOffset(i), restarts_,
                                      &shared, &unshared, &value_length);
    if (p == nullptr || shared != 0) {
      status_ = absl::DataLossError("bad entry at block restart point");
      return;
    }
    keys.emplace_back(p, unshared);
  }
  restart_keys_ = std::move(keys);
}

Iterator* Block::NewIterator(const Comparator* comparator) const {
  return new Iter(this, comparator);
}

Block::Iter::Iter(const Block* block, const Comparator* comparator)
    : block_(block),
      comparator_(comparator),
      current_(block->entries_size_),
      restart_index_(block->num_restarts_),
      status_(block->status_) {}

void Block::Iter::Invalidate() {
  current_ = block_->entries_size_;
  restart_index_ = block_->num_restarts_;
  key_ = {};
  value_ = {};
}

void Block::Iter::Corrupt() {
  Invalidate();
  if (status_.ok()) status_ = absl::DataLossError("bad entry in block");
}

void Block::Iter::SeekToRestartPoint(uint32_t index) {
  key_ = {};
  value_ = {};
  restart_index_ = index;
  next_ = block_->RestartOffset(index);
}

bool Block::Iter::ParseNextEntry() {
  current_ = next_;
  if (current_ >= block_->entries_size_) {
    Invalidate();
    return false;
  }
  const char* entry = block_->data_ + current_;
  uint32_t shared, unshared, value_length;
  const char* p = DecodeEntryHeader(entry, block_->restarts_, &shared,
                                    &unshared, &value_length);
  if (p == nullptr || shared > key_.size()) {
    Corrupt();
    return false;
  }
  // Entries must start exactly at each restart point, with a whole key, and
  // none may extend over one (checked below). Otherwise the block is damaged,
  // and scans starting at different restart points would disagree.
  while (restart_index_ + 1 < block_->num_restarts_ &&
         block_->RestartOffset(restart_index_ + 1) <= current_) {
    restart_index_++;
    if (block_->RestartOffset(restart_index_) != current_ || shared != 0) {
      Corrupt();
      return false;
    }
  }
  if (shared == 0) {
    // The whole key is in the block (always so at restart points, and for every
    // key of an index block): point at it instead of copying.
    key_ = std::string_view(p, unshared);
  } else {
    SetDeltaKey(shared, std::string_view(p, unshared));
  }
  value_ = std::string_view(p + unshared, value_length);
  next_ = static_cast<uint32_t>(value_.data() + value_.size() - block_->data_);
  if (restart_index_ + 1 < block_->num_restarts_ &&
      block_->RestartOffset(restart_index_ + 1) < next_) {
    Corrupt();
    return false;
  }
  return true;
}

void Block::Iter::SetDeltaKey(uint32_t shared, std::string_view suffix) {
  const size_t size = size_t{shared} + suffix.size();
  if (size <= sizeof(inline_key_)) {
    // The prefix may already be in place (the previous key was inline too), or
    // be in the block or long_key_.
    if (key_.data() != inline_key_)
      std::memcpy(inline_key_, key_.data(), shared);
    std::memcpy(inline_key_ + shared, suffix.data(), suffix.size());
    key_ = std::string_view(inline_key_, size);
    return;
  }
  if (key_.data() == long_key_.data()) {
    long_key_.resize(shared);
  } else {
    long_key_.assign(key_.data(), shared);
  }
  long_key_.append(suffix.data(), suffix.size());
  key_ = long_key_;
}

bool Block::Iter::RestartKey(uint32_t index, std::string_view* key) {
  if (!block_->restart_keys_.empty()) {
    *key = block_->restart_keys_[index];
    return true;
  }
  uint32_t shared, unshared, value_length;
  const char* p =
      DecodeEntryHeader(block_->data_ + block_->RestartOffset(index),
                        block_->restarts_, &shared, &unshared, &value_length);
  if (p == nullptr || shared != 0) {
    Corrupt();
    return false;
  }
  *key = std::string_view(p, unshared);
  return true;
}

void Block::Iter::SeekToFirst() {
  if (!status_.ok() || block_->num_restarts_ == 0) return Invalidate();
  SeekToRestartPoint(0);
  ParseNextEntry();
}

void Block::Iter::SeekToLast() {
  if (!status_.ok() || block_->num_restarts_ == 0) return Invalidate();
  ScanToLastBefore(block_->num_restarts_ - 1, block_->entries_size_);
}

void Block::Iter::ScanToLastBefore(uint32_t index, uint32_t limit) {
  SeekToRestartPoint(index);
  prev_entries_.clear();
  prev_keys_.clear();
  while (ParseNextEntry()) {
    prev_keys_.append(key_.data(), key_.size());
    const auto value_offset =
        static_cast<uint32_t>(value_.data() - block_->data_);
    prev_entries_.push_back(
        PrevEntry{current_, static_cast<uint32_t>(prev_keys_.size()),
                  value_offset, static_cast<uint32_t>(value_.size())});
    if (next_ >= limit) break;
  }
  if (!Valid()) {  // Damage.
    prev_entries_.clear();
    return;
  }
  prev_restart_index_ = index;
  prev_pos_ = prev_entries_.size() - 1;
  MoveToPrevEntry(prev_pos_);
}

void Block::Iter::MoveToPrevEntry(size_t pos) {
  const PrevEntry& e = prev_entries_[pos];
  const uint32_t key_begin = pos == 0 ? 0 : prev_entries_[pos - 1].key_end;
  current_ = e.offset;
  next_ = e.value_offset + e.value_size;
  restart_index_ = prev_restart_index_;
  key_ = std::string_view(prev_keys_.data() + key_begin, e.key_end - key_begin);
  value_ = std::string_view(block_->data_ + e.value_offset, e.value_size);
}

void Block::Iter::Seek(std::string_view target) {
  if (!status_.ok() || block_->num_restarts_ == 0) return Invalidate();
  // Find the last restart point whose key is < target; the answer is in its run
  // of entries (or is the first entry of the next run, which the scan below
  // reaches).
  uint32_t left = 0;
  uint32_t right = block_->num_restarts_ - 1;
  while (left < right) {
    uint32_t mid = left + (right - left + 1) / 2;
    std::string_view mid_key;
    if (!RestartKey(mid, &mid_key)) return;
    if (comparator_->Compare(mid_key, target) < 0) {
      left = mid;
    } else {
      right = mid - 1;
    }
  }
  SeekToRestartPoint(left);
  while (ParseNextEntry()) {
    if (comparator_->Compare(key_, target) >= 0) return;
  }
}

void Block::Iter::Next() {
  if (!Valid()) return;
  ParseNextEntry();
}

void Block::Iter::Prev() {
  if (!Valid()) return;
  // The entry before this one was decoded by the scan that reached this one.
  if (prev_pos_ > 0 && prev_pos_ < prev_entries_.size() &&
      prev_entries_[prev_pos_].offset == current_) {
    MoveToPrevEntry(--prev_pos_);
    return;
  }
  // Back up to the restart point before the current entry, then scan forward to
  // the entry just before it.
  const uint32_t original = current_;
  uint32_t index = restart_index_;
  while (block_->RestartOffset(index) >= original) {
    if (index == 0) return Invalidate();
    index--;
  }
  ScanToLastBefore(index, original);
}

}  // namespace kvs
