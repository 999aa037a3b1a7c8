#ifndef KVS_LSM_CACHE_H_
#define KVS_LSM_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace kvs {

// A map from keys to values with a capacity in bytes, evicting the least
// recently used entries that nobody is using. kvs uses it for uncompressed data
// blocks (the block cache) and for open tables (the table cache); users may
// share one block cache between databases, or supply their own implementation.
//
// Thread-safety: every method may be called concurrently from any thread.
class Cache {
 public:
  // An entry pinned by a caller. An entry is freed (its deleter runs) only once
  // it has been erased or evicted and every handle to it has been released.
  struct Handle {};

  using Deleter = void (*)(std::string_view key, void* value);

  struct Stats {
    uint64_t hits = 0;
    uint64_t misses = 0;
    uint64_t inserts = 0;
    uint64_t evictions = 0;
    size_t usage = 0;         // Total charge of entries held, pinned or not.
    size_t pinned_usage = 0;  // Charge of entries some handle still pins.
    size_t capacity = 0;
  };

  Cache() = default;
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;
  // Runs the deleter of every remaining entry. REQUIRES: no handle is
  // outstanding.
  virtual ~Cache() = default;

  // Maps key to value, charging charge bytes against the capacity, replacing
  // any existing entry for key, and returns a handle pinning the new entry
  // (Release it when done). deleter(key, value) runs when the entry is finally
  // freed. When the capacity is exceeded, unpinned entries are evicted oldest
  // first; pinned entries may make usage exceed the capacity for a while.
  virtual Handle* Insert(std::string_view key, void* value, size_t charge,
                         Deleter deleter) = 0;

  // A handle pinning the entry for key, or nullptr if there is none. Counts a
  // hit or a miss.
  virtual Handle* Lookup(std::string_view key) = 0;

  // Unpins. REQUIRES: handle came from this cache and was not released yet.
  virtual void Release(Handle* handle) = 0;

  // The value of a pinned entry. REQUIRES: handle is not released.
  virtual void* Value(Handle* handle) = 0;

  // Removes key's entry from the cache; it is freed when its last handle is
  // released.
  virtual void Erase(std::string_view key) = 0;

  // A new id, unique for this cache: clients sharing a cache prefix their keys
  // with one so their keys never collide.
  virtual uint64_t NewId() = 0;

  // Frees every unpinned entry.
  virtual void Prune() = 0;

  virtual Stats GetStats() const = 0;
};

// A sharded LRU cache holding up to capacity bytes of charge. Defined in
// //sstable (linked by
// //lsm).
std::shared_ptr<Cache> NewLRUCache(size_t capacity);

}  // namespace kvs

#endif  // KVS_LSM_CACHE_H_
