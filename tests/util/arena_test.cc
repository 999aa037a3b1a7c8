#include "util/arena.h"

#include <cstdint>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "util/random.h"

namespace kvs {
namespace {

TEST(ArenaTest, Empty) {
  Arena arena;
  EXPECT_EQ(arena.MemoryUsage(), 0u);
}

TEST(ArenaTest, AllocationsKeepTheirContentsAndUsageGrows) {
  std::vector<std::pair<size_t, char*>> allocated;
  Arena arena;
  Random rnd(301);
  size_t bytes = 0;
  for (int i = 0; i < 100000; i++) {
    size_t s;
    if (i % (100000 / 10) == 0) {
      s = i;
    } else {
      s = rnd.OneIn(4000)
              ? rnd.Uniform(6000)
              : (rnd.OneIn(10) ? rnd.Uniform(100) : rnd.Uniform(20));
    }
    if (s == 0) s = 1;  // Zero-byte allocations are not allowed.
    char* r = rnd.OneIn(10) ? arena.AllocateAligned(s) : arena.Allocate(s);
    for (size_t b = 0; b < s; b++) r[b] = static_cast<char>(i % 256);
    bytes += s;
    allocated.emplace_back(s, r);
    ASSERT_GE(arena.MemoryUsage(), bytes);
    if (i > 10000) ASSERT_LE(arena.MemoryUsage(), bytes * 1.10);
  }
  for (size_t i = 0; i < allocated.size(); i++) {
    auto [num_bytes, p] = allocated[i];
    for (size_t b = 0; b < num_bytes; b++) {
      ASSERT_EQ(static_cast<int>(p[b]) & 0xff, static_cast<int>(i % 256));
    }
  }
}

TEST(ArenaTest, AlignedAllocationsAreAligned) {
  Arena arena;
  arena.Allocate(1);  // Misalign the bump pointer.
  for (int i = 1; i < 2000; i += 7) {
    char* p = arena.AllocateAligned(i);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % alignof(std::max_align_t), 0u);
    arena.Allocate(3);
  }
}

}  // namespace
}  // namespace kvs
