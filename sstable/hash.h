#ifndef KVS_SSTABLE_HASH_H_
#define KVS_SSTABLE_HASH_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kvs {

// XXH64, the 64-bit xxHash of data (an implementation of the published
// algorithm, bit-for-bit compatible with the reference, so the values are
// stable across versions and machines). The Bloom filter stores nothing but
// bits derived from it, which makes the filter format depend on this exact
// function: never change it. Thread-safe (pure).
uint64_t Hash64(const char* data, size_t n, uint64_t seed = 0);

inline uint64_t Hash64(std::string_view data, uint64_t seed = 0) {
  return Hash64(data.data(), data.size(), seed);
}

}  // namespace kvs

#endif  // KVS_SSTABLE_HASH_H_
