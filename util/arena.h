#ifndef KVS_UTIL_ARENA_H_
#define KVS_UTIL_ARENA_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

namespace kvs {

// Bump allocator for the memtable: many small allocations freed all at once
// when the arena dies. Allocation is not thread-safe (the memtable has one
// writer at a time); MemoryUsage may be read from any thread.
class Arena {
 public:
  Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena();

  // Returns bytes bytes of uninitialised memory. REQUIRES: bytes > 0.
  char* Allocate(size_t bytes) {
    if (bytes <= remaining_) {
      char* result = ptr_;
      ptr_ += bytes;
      remaining_ -= bytes;
      return result;
    }
    return AllocateFallback(bytes);
  }

  // As Allocate, aligned for any object of fundamental alignment.
  char* AllocateAligned(size_t bytes);

  // Bytes of memory reserved from the system, including bookkeeping: what the
  // memtable reports as its size.
  size_t MemoryUsage() const {
    return memory_usage_.load(std::memory_order_relaxed);
  }

 private:
  static constexpr size_t kBlockSize = 4096;

  char* AllocateFallback(size_t bytes);
  char* AllocateNewBlock(size_t block_bytes);

  char* ptr_ = nullptr;
  size_t remaining_ = 0;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::atomic<size_t> memory_usage_{0};
};

}  // namespace kvs

#endif  // KVS_UTIL_ARENA_H_
