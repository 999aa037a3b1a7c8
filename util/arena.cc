#include "util/arena.h"

#include <cassert>
#include <cstdint>

namespace kvs {

Arena::Arena() = default;
Arena::~Arena() = default;

char* Arena::AllocateFallback(size_t bytes) {
  if (bytes > kBlockSize / 4) {
    // A large object gets a block of its own, so the current block's remainder
    // is not wasted.
    return AllocateNewBlock(bytes);
  }
  ptr_ = AllocateNewBlock(kBlockSize);
  remaining_ = kBlockSize;
  char* result = ptr_;
  ptr_ += bytes;
  remaining_ -= bytes;
  return result;
}

char* Arena::AllocateAligned(size_t bytes) {
  constexpr size_t kAlign = alignof(std::max_align_t);
  static_assert((kAlign & (kAlign - 1)) == 0, "alignment must be a power of 2");
  size_t misalignment = reinterpret_cast<uintptr_t>(ptr_) & (kAlign - 1);
  size_t slop = misalignment == 0 ? 0 : kAlign - misalignment;
  size_t needed = bytes + slop;
  if (needed <= remaining_) {
    char* result = ptr_ + slop;
    ptr_ += needed;
    remaining_ -= needed;
    return result;
  }
  // New blocks come from operator new[], which aligns to max_align_t.
  char* result = AllocateFallback(bytes);
  assert((reinterpret_cast<uintptr_t>(result) & (kAlign - 1)) == 0);
  return result;
}

char* Arena::AllocateNewBlock(size_t block_bytes) {
  blocks_.push_back(std::make_unique<char[]>(block_bytes));
  memory_usage_.fetch_add(block_bytes + sizeof(void*),
                          std::memory_order_relaxed);
  return blocks_.back().get();
}

}  // namespace kvs
