#include "sstable/lru_cache.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>

#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace kvs {
namespace {

// One cache entry. It is allocated in a single block together with its key,
// which is stored right after the struct, so an Insert costs one allocation and
// a lookup touches one object.
struct LRUEntry {
  void* value;
  Cache::Deleter deleter;
  // Hash-bucket chain while the entry is in the table; afterwards it links
  // entries that a shard call unhooked under the lock, so their deleters can
  // run after the lock is dropped.
  LRUEntry* next_hash;
  // The shard's LRU list, which holds exactly the entries that are in the cache
  // and unpinned.
  LRUEntry* next;
  LRUEntry* prev;
  size_t charge;
  size_t key_length;
  size_t hash;
  uint32_t refs;  // Outstanding handles.
  bool in_cache;  // Reachable through the shard's hash table.

  char* key_data() { return reinterpret_cast<char*>(this + 1); }
  std::string_view key() { return std::string_view(key_data(), key_length); }
};

LRUEntry* NewEntry(std::string_view key, size_t hash, void* value,
                   size_t charge, Cache::Deleter deleter) {
  void* mem = ::operator new(sizeof(LRUEntry) + key.size());
  LRUEntry* e = new (mem) LRUEntry;
  e->value = value;
  e->deleter = deleter;
  e->next_hash = nullptr;
  e->next = e->prev = nullptr;
  e->charge = charge;
  e->key_length = key.size();
  e->hash = hash;
  e->refs = 1;  // The handle Insert returns.
  e->in_cache = true;
  if (!key.empty()) std::memcpy(e->key_data(), key.data(), key.size());
  return e;
}

// Runs the deleters of a next_hash-linked chain of entries and frees them.
void FreeChain(LRUEntry* e) {
  while (e != nullptr) {
    LRUEntry* next = e->next_hash;
    if (e->deleter != nullptr) e->deleter(e->key(), e->value);
    e->~LRUEntry();
    ::operator delete(e);
    e = next;
  }
}

// A chained hash table of entries, keyed by (hash, key). The chains are
// intrusive (next_hash), so lookups and removals never allocate; the bucket
// array doubles when the table holds more entries than buckets, which keeps
// chains about one entry long.
class HashTable {
 public:
  HashTable() { Resize(); }

  LRUEntry* Lookup(std::string_view key, size_t hash) {
    return *FindSlot(key, hash);
  }

  // Adds e and returns the entry with the same key that it displaced, if any.
  LRUEntry* Insert(LRUEntry* e) {
    LRUEntry** slot = FindSlot(e->key(), e->hash);
    LRUEntry* old = *slot;
    e->next_hash = old == nullptr ? nullptr : old->next_hash;
    *slot = e;
    if (old == nullptr && ++elems_ > length_) Resize();
    return old;
  }

  LRUEntry* Remove(std::string_view key, size_t hash) {
    LRUEntry** slot = FindSlot(key, hash);
    LRUEntry* e = *slot;
    if (e != nullptr) {
      *slot = e->next_hash;
      --elems_;
    }
    return e;
  }

 private:
  LRUEntry** FindSlot(std::string_view key, size_t hash) {
    LRUEntry** slot = &buckets_[hash & (length_ - 1)];
    while (*slot != nullptr &&
           ((*slot)->hash != hash || (*slot)->key() != key)) {
      slot = &(*slot)->next_hash;
    }
    return slot;
  }

  void Resize() {
    size_t new_length = length_ == 0 ? 16 : length_ * 2;
    auto new_buckets = std::make_unique<LRUEntry*[]>(new_length);  // Zeroed.
    for (size_t i = 0; i < length_; i++) {
      LRUEntry* e = buckets_[i];
      while (e != nullptr) {
        LRUEntry* next = e->next_hash;
        LRUEntry** head = &new_buckets[e->hash & (new_length - 1)];
        e->next_hash = *head;
        *head = e;
        e = next;
      }
    }
    buckets_ = std::move(new_buckets);
    length_ = new_length;
  }

  std::unique_ptr<LRUEntry*[]> buckets_;
  size_t length_ = 0;  // A power of two.
  size_t elems_ = 0;
};

// One shard: a lock, a hash table and an LRU list. Aligned to a cache line so
// that two shards' locks never share one.
class alignas(64) LRUShard {
 public:
  LRUShard() {
    lru_.next = &lru_;
    lru_.prev = &lru_;
  }
  LRUShard(const LRUShard&) = delete;
  LRUShard& operator=(const LRUShard&) = delete;

  // The cache's contract says no handle is outstanding here, so Prune frees
  // every entry.
  ~LRUShard() { Prune(); }

  void SetCapacity(size_t capacity) {
    MutexLock lock(&mu_);
    capacity_ = capacity;
  }

  Cache::Handle* Insert(std::string_view key, size_t hash, void* value,
                        size_t charge, Cache::Deleter deleter) {
    LRUEntry* e = NewEntry(key, hash, value, charge, deleter);
    LRUEntry* freed = nullptr;
    {
      MutexLock lock(&mu_);
      inserts_++;
      usage_ += charge;
      pinned_usage_ += charge;
      LRUEntry* old = table_.Insert(e);
      if (old != nullptr) Detach(old, &freed);
      EvictExcess(&freed);
    }
    FreeChain(freed);
    return reinterpret_cast<Cache::Handle*>(e);
  }

  Cache::Handle* Lookup(std::string_view key, size_t hash) {
    MutexLock lock(&mu_);
    LRUEntry* e = table_.Lookup(key, hash);
    if (e == nullptr) {
      misses_++;
      return nullptr;
    }
    hits_++;
    if (e->refs == 0) {
      LruRemove(e);
      pinned_usage_ += e->charge;
    }
    e->refs++;
    return reinterpret_cast<Cache::Handle*>(e);
  }

  void Release(LRUEntry* e) {
    LRUEntry* freed = nullptr;
    {
      MutexLock lock(&mu_);
      if (--e->refs == 0) {
        pinned_usage_ -= e->charge;
        if (e->in_cache) {
          LruAppend(e);
          // Pins may have pushed usage over the capacity; now this entry can
          // make room.
          EvictExcess(&freed);
        } else {
          usage_ -= e->charge;
          e->next_hash = nullptr;
          freed = e;
        }
      }
    }
    FreeChain(freed);
  }

  void Erase(std::string_view key, size_t hash) {
    LRUEntry* freed = nullptr;
    {
      MutexLock lock(&mu_);
      LRUEntry* e = table_.Remove(key, hash);
      if (e != nullptr) Detach(e, &freed);
    }
    FreeChain(freed);
  }

  void Prune() {
    LRUEntry* freed = nullptr;
    {
      MutexLock lock(&mu_);
      while (lru_.next != &lru_) Drop(lru_.next, &freed);
    }
    FreeChain(freed);
  }

  void AddStats(Cache::Stats* stats) {
    MutexLock lock(&mu_);
    stats->hits += hits_;
    stats->misses += misses_;
    stats->inserts += inserts_;
    stats->evictions += evictions_;
    stats->usage += usage_;
    stats->pinned_usage += pinned_usage_;
    stats->capacity += capacity_;
  }

 private:
  // Marks e, already removed from the table, as out of the cache; frees it now
  // (via *freed) if nothing pins it, else its last Release will.
  void Detach(LRUEntry* e, LRUEntry** freed) KVS_REQUIRES(mu_) {
    e->in_cache = false;
    if (e->refs == 0) {
      LruRemove(e);
      usage_ -= e->charge;
      e->next_hash = *freed;
      *freed = e;
    }
  }

  // Removes an unpinned entry from the table and the LRU list and queues it on
  // *freed.
  void Drop(LRUEntry* e, LRUEntry** freed) KVS_REQUIRES(mu_) {
    LRUEntry* removed = table_.Remove(e->key(), e->hash);
    (void)removed;  // Always e: keys are unique in the table.
    Detach(e, freed);
  }

  void EvictExcess(LRUEntry** freed) KVS_REQUIRES(mu_) {
    while (usage_ > capacity_ && lru_.next != &lru_) {
      evictions_++;
      Drop(lru_.next, freed);
    }
  }

  static void LruRemove(LRUEntry* e) {
    e->next->prev = e->prev;
    e->prev->next = e->next;
    e->next = e->prev = nullptr;
  }

  // Appends at the newest end: lru_.next is the oldest entry, lru_.prev the
  // newest.
  void LruAppend(LRUEntry* e) KVS_REQUIRES(mu_) {
    e->next = &lru_;
    e->prev = lru_.prev;
    e->prev->next = e;
    e->next->prev = e;
  }

  Mutex mu_;
  size_t capacity_ KVS_GUARDED_BY(mu_) = 0;
  size_t usage_ KVS_GUARDED_BY(mu_) = 0;
  size_t pinned_usage_ KVS_GUARDED_BY(mu_) = 0;
  uint64_t hits_ KVS_GUARDED_BY(mu_) = 0;
  uint64_t misses_ KVS_GUARDED_BY(mu_) = 0;
  uint64_t inserts_ KVS_GUARDED_BY(mu_) = 0;
  uint64_t evictions_ KVS_GUARDED_BY(mu_) = 0;
  HashTable table_ KVS_GUARDED_BY(mu_);
  // Dummy head of the circular LRU list; only its next/prev are used.
  LRUEntry lru_ KVS_GUARDED_BY(mu_);
};

class ShardedLRUCache final : public Cache {
 public:
  ShardedLRUCache(size_t capacity, int num_shard_bits)
      : shift_(num_shard_bits == 0 ? 0 : kHashBits - num_shard_bits),
        num_shards_(size_t{1} << num_shard_bits),
        shards_(std::make_unique<LRUShard[]>(num_shards_)) {
    // Spread the remainder so the shard capacities add up to exactly
    // `capacity`.
    for (size_t i = 0; i < num_shards_; i++) {
      shards_[i].SetCapacity(capacity / num_shards_ +
                             (i < capacity % num_shards_ ? 1 : 0));
    }
  }

  Handle* Insert(std::string_view key, void* value, size_t charge,
                 Deleter deleter) override {
    size_t hash = Hash(key);
    return ShardFor(hash).Insert(key, hash, value, charge, deleter);
  }

  Handle* Lookup(std::string_view key) override {
    size_t hash = Hash(key);
    return ShardFor(hash).Lookup(key, hash);
  }

  void Release(Handle* handle) override {
    LRUEntry* e = reinterpret_cast<LRUEntry*>(handle);
    ShardFor(e->hash).Release(e);
  }

  void* Value(Handle* handle) override {
    return reinterpret_cast<LRUEntry*>(handle)->value;
  }

  void Erase(std::string_view key) override {
    size_t hash = Hash(key);
    ShardFor(hash).Erase(key, hash);
  }

  uint64_t NewId() override {
    return last_id_.fetch_add(1, std::memory_order_relaxed) + 1;
  }

  void Prune() override {
    for (size_t i = 0; i < num_shards_; i++) shards_[i].Prune();
  }

  Stats GetStats() const override {
    Stats stats;
    for (size_t i = 0; i < num_shards_; i++) shards_[i].AddStats(&stats);
    return stats;
  }

 private:
  static constexpr int kHashBits = static_cast<int>(sizeof(size_t) * 8);

  static size_t Hash(std::string_view key) {
    return absl::Hash<absl::string_view>{}(
        absl::string_view(key.data(), key.size()));
  }

  // The top bits pick the shard; the hash table uses the low bits, so the two
  // stay independent.
  LRUShard& ShardFor(size_t hash) const {
    return shards_[shift_ == 0 ? 0 : hash >> shift_];
  }

  const int shift_;
  const size_t num_shards_;
  const std::unique_ptr<LRUShard[]> shards_;
  std::atomic<uint64_t> last_id_{0};
};

}  // namespace

int DefaultLRUShardBits(size_t capacity) {
  int bits = 4;
  while (bits > 0 && (capacity >> bits) < 16) bits--;
  return bits;
}

std::shared_ptr<Cache> NewShardedLRUCache(size_t capacity, int num_shard_bits) {
  if (num_shard_bits < 0) num_shard_bits = 0;
  if (num_shard_bits > 8) num_shard_bits = 8;
  return std::make_shared<ShardedLRUCache>(capacity, num_shard_bits);
}

std::shared_ptr<Cache> NewLRUCache(size_t capacity) {
  return NewShardedLRUCache(capacity, DefaultLRUShardBits(capacity));
}

}  // namespace kvs
