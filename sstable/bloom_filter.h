#ifndef KVS_SSTABLE_BLOOM_FILTER_H_
#define KVS_SSTABLE_BLOOM_FILTER_H_

// Internals of the cache-line-blocked Bloom filter behind NewBloomFilterPolicy
// (lsm/filter_policy.h), exposed for tests and benchmarks. The layout is
// described in docs/format.md, "SSTable".

#include <cstddef>
#include <cstdint>

namespace kvs::bloom {

// Name of the policy, stored in tables. Independent of bits_per_key: a filter
// records its own geometry, so any bits_per_key can read it.
inline constexpr char kPolicyName[] = "kvs.BlockedBloom";

inline constexpr size_t kLineBytes = 64;
inline constexpr size_t kLineBits = kLineBytes * 8;
// Trailing bytes of a filter: the probe count (1 byte) and the line count
// (fixed32).
inline constexpr size_t kTrailerBytes = 5;
inline constexpr int kMaxProbes = 30;

// Probes per key used for bits_per_key (after clamping to [1, 100]). A blocked
// filter does best with slightly fewer probes than a classic one, because keys
// crowd unevenly into lines.
int NumProbes(double bits_per_key);

}  // namespace kvs::bloom

#endif  // KVS_SSTABLE_BLOOM_FILTER_H_
