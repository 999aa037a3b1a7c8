#ifndef KVS_SSTABLE_LRU_CACHE_H_
#define KVS_SSTABLE_LRU_CACHE_H_

#include <cstddef>
#include <memory>

#include "lsm/cache.h"

namespace kvs {

// The Cache that NewLRUCache (declared in lsm/cache.h) returns: the keys are
// split over 2^num_shard_bits shards by hash, each shard with its own lock,
// hash table and LRU list, so that threads touching different keys rarely
// contend. The capacity is divided exactly between the shards (their capacities
// add up to `capacity`), so the total charge of unpinned entries never exceeds
// `capacity`; eviction order is least recently used first within a shard.
//
// Accounting (Cache::Stats):
//  - usage counts every entry not yet freed: entries in the cache plus entries
//  that were erased,
//    replaced or evicted but are still pinned by a handle (they still hold
//    memory). Eviction keeps usage <= capacity whenever enough unpinned entries
//    exist.
//  - pinned_usage counts entries with at least one outstanding handle.
//  - evictions counts entries dropped to respect the capacity (not Erase, Prune
//  or
//    replacement by Insert).
//
// A capacity of 0 keeps nothing once released: every Insert is evicted at its
// last Release.
//
// Thread-safety: every method may be called concurrently. Deleters run on the
// thread whose call freed the entry, never while a shard lock is held, so a
// deleter may use the cache.

// The number of shard bits NewLRUCache picks: 4 (16 shards), fewer for
// capacities so small that a shard would hold fewer than 16 units of charge (a
// table cache of a few tables is one shard, so its LRU order is exact).
int DefaultLRUShardBits(size_t capacity);

// A cache as above with 2^num_shard_bits shards. REQUIRES: 0 <= num_shard_bits
// <= 8.
std::shared_ptr<Cache> NewShardedLRUCache(size_t capacity, int num_shard_bits);

}  // namespace kvs

#endif  // KVS_SSTABLE_LRU_CACHE_H_
