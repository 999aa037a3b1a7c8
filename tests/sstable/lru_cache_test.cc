#include "sstable/lru_cache.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "lsm/cache.h"
#include "util/random.h"

namespace kvs {
namespace {

// Values are small integers smuggled through void*; the deleter records (key,
// value) so tests can check exactly which entries were freed and when.
std::vector<std::pair<std::string, int>>* deleted = nullptr;

void RecordingDeleter(std::string_view key, void* value) {
  deleted->emplace_back(std::string(key),
                        static_cast<int>(reinterpret_cast<intptr_t>(value)));
}

void* V(int v) { return reinterpret_cast<void*>(static_cast<intptr_t>(v)); }
int AsInt(void* v) { return static_cast<int>(reinterpret_cast<intptr_t>(v)); }

class LRUCacheTest : public ::testing::Test {
 protected:
  LRUCacheTest() { deleted = &log_; }
  ~LRUCacheTest() override {
    cache_.reset();
    deleted = nullptr;
  }

  // A single shard, so the LRU order is exact across all keys.
  void MakeCache(size_t capacity) { cache_ = NewShardedLRUCache(capacity, 0); }

  Cache::Handle* Insert(std::string_view key, int value, size_t charge = 1) {
    return cache_->Insert(key, V(value), charge, &RecordingDeleter);
  }

  void InsertAndRelease(std::string_view key, int value, size_t charge = 1) {
    cache_->Release(Insert(key, value, charge));
  }

  // The value for key, or -1 if it is not cached.
  int Lookup(std::string_view key) {
    Cache::Handle* h = cache_->Lookup(key);
    if (h == nullptr) return -1;
    int v = AsInt(cache_->Value(h));
    cache_->Release(h);
    return v;
  }

  bool WasDeleted(std::string_view key, int value) const {
    for (const auto& [k, v] : log_) {
      if (k == key && v == value) return true;
    }
    return false;
  }

  std::vector<std::pair<std::string, int>> log_;
  std::shared_ptr<Cache> cache_;
};

TEST_F(LRUCacheTest, HitAndMiss) {
  MakeCache(100);
  EXPECT_EQ(-1, Lookup("a"));
  InsertAndRelease("a", 101);
  EXPECT_EQ(101, Lookup("a"));
  EXPECT_EQ(-1, Lookup("b"));
  InsertAndRelease("b", 201);
  EXPECT_EQ(101, Lookup("a"));
  EXPECT_EQ(201, Lookup("b"));

  Cache::Stats s = cache_->GetStats();
  EXPECT_EQ(3u, s.hits);
  EXPECT_EQ(2u, s.misses);
  EXPECT_EQ(2u, s.inserts);
  EXPECT_EQ(0u, s.evictions);
  EXPECT_TRUE(log_.empty());
}

TEST_F(LRUCacheTest, EmptyAndLongKeys) {
  MakeCache(100);
  std::string long_key(100000, 'x');
  long_key[5000] = '\0';
  InsertAndRelease("", 1);
  InsertAndRelease(long_key, 2);
  std::string prefix = long_key.substr(0, 99999);
  EXPECT_EQ(1, Lookup(""));
  EXPECT_EQ(2, Lookup(long_key));
  EXPECT_EQ(-1, Lookup(prefix));
  cache_->Erase(long_key);
  EXPECT_EQ(-1, Lookup(long_key));
  ASSERT_EQ(1u, log_.size());
  EXPECT_EQ(long_key, log_[0].first);
}

TEST_F(LRUCacheTest, EvictsLeastRecentlyUsedFirst) {
  MakeCache(3);
  InsertAndRelease("1", 1);
  InsertAndRelease("2", 2);
  InsertAndRelease("3", 3);
  EXPECT_EQ(1, Lookup("1"));  // "2" is now the least recently used.
  InsertAndRelease("4", 4);
  ASSERT_EQ(1u, log_.size());
  EXPECT_EQ("2", log_[0].first);
  EXPECT_EQ(-1, Lookup("2"));
  InsertAndRelease("5", 5);  // Evicts "3".
  ASSERT_EQ(2u, log_.size());
  EXPECT_EQ("3", log_[1].first);
  EXPECT_EQ(1, Lookup("1"));
  EXPECT_EQ(4, Lookup("4"));
  EXPECT_EQ(5, Lookup("5"));
  EXPECT_EQ(2u, cache_->GetStats().evictions);
}

TEST_F(LRUCacheTest, CapacityCountsCharge) {
  MakeCache(100);
  InsertAndRelease("big", 1, 60);
  InsertAndRelease("small", 2, 30);
  EXPECT_EQ(90u, cache_->GetStats().usage);
  InsertAndRelease("mid", 3, 40);  // 130 > 100: "big" goes.
  EXPECT_EQ(-1, Lookup("big"));
  EXPECT_EQ(70u, cache_->GetStats().usage);
  InsertAndRelease("huge", 4, 100);  // Evicts everything else.
  EXPECT_EQ(-1, Lookup("small"));
  EXPECT_EQ(-1, Lookup("mid"));
  EXPECT_EQ(4, Lookup("huge"));
  Cache::Stats s = cache_->GetStats();
  EXPECT_EQ(100u, s.usage);
  EXPECT_EQ(3u, s.evictions);
  EXPECT_EQ(100u, s.capacity);
}

TEST_F(LRUCacheTest, ShardedCapacityIsEnforcedInTotal) {
  const size_t kCapacity = 1000;
  cache_ = NewLRUCache(kCapacity);
  EXPECT_EQ(kCapacity, cache_->GetStats().capacity);
  for (int i = 0; i < 5000; i++) {
    InsertAndRelease(std::to_string(i), i, 1 + i % 7);
    ASSERT_LE(cache_->GetStats().usage, kCapacity);
  }
  Cache::Stats s = cache_->GetStats();
  EXPECT_EQ(5000u, s.inserts);
  EXPECT_EQ(s.evictions, log_.size());
  EXPECT_GT(s.evictions, 0u);
  // The most recent insert always survives.
  EXPECT_EQ(4999, Lookup("4999"));
  int cached = 0;
  for (int i = 0; i < 5000; i++) cached += Lookup(std::to_string(i)) == i;
  EXPECT_EQ(5000 - static_cast<int>(log_.size()), cached);
}

TEST_F(LRUCacheTest, DefaultShardBits) {
  EXPECT_EQ(0, DefaultLRUShardBits(0));
  EXPECT_EQ(0, DefaultLRUShardBits(20));
  EXPECT_EQ(1, DefaultLRUShardBits(32));
  EXPECT_EQ(3, DefaultLRUShardBits(200));
  EXPECT_EQ(4, DefaultLRUShardBits(990));
  EXPECT_EQ(4, DefaultLRUShardBits(size_t{8} << 20));
}

TEST_F(LRUCacheTest, PinnedEntriesAreNotEvicted) {
  MakeCache(2);
  Cache::Handle* pinned = Insert("pinned", 7);
  for (int i = 0; i < 10; i++) InsertAndRelease(std::to_string(i), i);
  EXPECT_FALSE(WasDeleted("pinned", 7));
  EXPECT_EQ(7, AsInt(cache_->Value(pinned)));
  EXPECT_EQ(7, Lookup("pinned"));
  // Only one slot was left for the others.
  EXPECT_EQ(9, Lookup("9"));
  EXPECT_EQ(-1, Lookup("8"));
  Cache::Stats s = cache_->GetStats();
  EXPECT_EQ(2u, s.usage);
  EXPECT_EQ(1u, s.pinned_usage);
  cache_->Release(pinned);
  EXPECT_EQ(0u, cache_->GetStats().pinned_usage);
  EXPECT_EQ(7, Lookup("pinned"));  // Released but still cached.
}

TEST_F(LRUCacheTest, PinnedEntriesMayExceedCapacityUntilReleased) {
  MakeCache(10);
  InsertAndRelease("a", 1, 4);
  Cache::Handle* h1 = Insert("b", 2, 8);  // Evicts "a".
  Cache::Handle* h2 = Insert("c", 3, 8);  // Nothing evictable: usage 16.
  EXPECT_TRUE(WasDeleted("a", 1));
  Cache::Stats s = cache_->GetStats();
  EXPECT_EQ(16u, s.usage);
  EXPECT_EQ(16u, s.pinned_usage);
  cache_->Release(h1);  // Now "b" is evictable, and evicted at once.
  EXPECT_TRUE(WasDeleted("b", 2));
  EXPECT_EQ(8u, cache_->GetStats().usage);
  EXPECT_FALSE(WasDeleted("c", 3));
  cache_->Release(h2);
  EXPECT_EQ(3, Lookup("c"));
  EXPECT_EQ(8u, cache_->GetStats().usage);
}

TEST_F(LRUCacheTest, MultipleHandlesToOneEntry) {
  MakeCache(1);
  Cache::Handle* h1 = Insert("k", 1);
  Cache::Handle* h2 = cache_->Lookup("k");
  ASSERT_NE(nullptr, h2);
  EXPECT_EQ(h1, h2);
  cache_->Erase("k");
  cache_->Release(h1);
  EXPECT_TRUE(log_.empty());
  EXPECT_EQ(1, AsInt(cache_->Value(h2)));
  cache_->Release(h2);
  ASSERT_EQ(1u, log_.size());
}

TEST_F(LRUCacheTest, InsertReplacesExistingKey) {
  MakeCache(100);
  Cache::Handle* old_handle = Insert("k", 1, 10);
  InsertAndRelease("k", 2, 20);
  EXPECT_EQ(2, Lookup("k"));
  EXPECT_EQ(1, AsInt(cache_->Value(old_handle)));
  EXPECT_FALSE(WasDeleted("k", 1));
  Cache::Stats s = cache_->GetStats();
  EXPECT_EQ(30u, s.usage);  // The old value still holds memory.
  EXPECT_EQ(10u, s.pinned_usage);
  cache_->Release(old_handle);
  EXPECT_TRUE(WasDeleted("k", 1));
  EXPECT_EQ(20u, cache_->GetStats().usage);
  EXPECT_EQ(2, Lookup("k"));

  // Replacing an unpinned entry frees it at once.
  InsertAndRelease("k", 3, 5);
  EXPECT_TRUE(WasDeleted("k", 2));
  EXPECT_EQ(5u, cache_->GetStats().usage);
  EXPECT_EQ(3, Lookup("k"));
  EXPECT_EQ(0u, cache_->GetStats().evictions);
}

TEST_F(LRUCacheTest, EraseWhilePinned) {
  MakeCache(100);
  Cache::Handle* h = Insert("k", 1, 3);
  cache_->Erase("k");
  EXPECT_EQ(-1, Lookup("k"));
  EXPECT_TRUE(log_.empty());
  EXPECT_EQ(1, AsInt(cache_->Value(h)));
  EXPECT_EQ(3u, cache_->GetStats().usage);
  // A new entry under the same key is independent of the erased one.
  InsertAndRelease("k", 2, 4);
  cache_->Release(h);
  ASSERT_EQ(1u, log_.size());
  EXPECT_TRUE(WasDeleted("k", 1));
  EXPECT_EQ(2, Lookup("k"));
  EXPECT_EQ(4u, cache_->GetStats().usage);
}

TEST_F(LRUCacheTest, EraseUnpinnedFreesAtOnce) {
  MakeCache(100);
  InsertAndRelease("a", 1);
  InsertAndRelease("b", 2);
  cache_->Erase("a");
  cache_->Erase("missing");
  ASSERT_EQ(1u, log_.size());
  EXPECT_TRUE(WasDeleted("a", 1));
  EXPECT_EQ(-1, Lookup("a"));
  EXPECT_EQ(2, Lookup("b"));
  EXPECT_EQ(1u, cache_->GetStats().usage);
}

TEST_F(LRUCacheTest, PruneFreesOnlyUnpinned) {
  MakeCache(100);
  InsertAndRelease("a", 1, 5);
  InsertAndRelease("b", 2, 6);
  Cache::Handle* h = Insert("c", 3, 7);
  cache_->Prune();
  EXPECT_TRUE(WasDeleted("a", 1));
  EXPECT_TRUE(WasDeleted("b", 2));
  EXPECT_FALSE(WasDeleted("c", 3));
  EXPECT_EQ(-1, Lookup("a"));
  Cache::Stats s = cache_->GetStats();
  EXPECT_EQ(7u, s.usage);
  EXPECT_EQ(7u, s.pinned_usage);
  EXPECT_EQ(0u, s.evictions);
  cache_->Release(h);
  EXPECT_EQ(3, Lookup("c"));  // Prune does not affect later releases.
}

TEST_F(LRUCacheTest, ZeroCapacityKeepsNothingReleased) {
  MakeCache(0);
  Cache::Handle* h = Insert("k", 1, 1);
  ASSERT_NE(nullptr, h);
  EXPECT_EQ(1, AsInt(cache_->Value(h)));
  EXPECT_TRUE(log_.empty());
  cache_->Release(h);
  EXPECT_TRUE(WasDeleted("k", 1));
  EXPECT_EQ(-1, Lookup("k"));
  Cache::Stats s = cache_->GetStats();
  EXPECT_EQ(0u, s.usage);
  EXPECT_EQ(0u, s.capacity);

  cache_ = NewLRUCache(0);
  InsertAndRelease("x", 2);
  EXPECT_EQ(-1, Lookup("x"));
  EXPECT_TRUE(WasDeleted("x", 2));
}

TEST_F(LRUCacheTest, ZeroChargeEntriesAreKept) {
  MakeCache(0);
  InsertAndRelease("free", 1, 0);
  EXPECT_EQ(1, Lookup("free"));
}

TEST_F(LRUCacheTest, DestructorFreesEverything) {
  MakeCache(1000);
  for (int i = 0; i < 100; i++) InsertAndRelease(std::to_string(i), i);
  EXPECT_TRUE(log_.empty());
  cache_.reset();
  EXPECT_EQ(100u, log_.size());
  std::set<int> values;
  for (const auto& [k, v] : log_) {
    EXPECT_EQ(std::to_string(v), k);
    values.insert(v);
  }
  EXPECT_EQ(100u, values.size());
}

TEST_F(LRUCacheTest, NewIdIsUnique) {
  MakeCache(10);
  std::set<uint64_t> ids;
  for (int i = 0; i < 1000; i++) ids.insert(cache_->NewId());
  EXPECT_EQ(1000u, ids.size());
  EXPECT_EQ(0u, ids.count(0));

  // And across threads.
  const int kThreads = 4, kPerThread = 1000;
  std::vector<std::vector<uint64_t>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; i++) got[t].push_back(cache_->NewId());
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& v : got) ids.insert(v.begin(), v.end());
  EXPECT_EQ(1000u + kThreads * kPerThread, ids.size());
}

// --- Concurrency ---

struct Payload {
  std::string key;
  uint64_t id;
};

constexpr int kThreads = 4;
constexpr int kOpsPerThread = 20000;
// One slot per possible insert: how many times its deleter ran.
std::atomic<int> freed_count[kThreads * kOpsPerThread];
std::atomic<int> bad_deletes{0};

void PayloadDeleter(std::string_view key, void* value) {
  auto* p = static_cast<Payload*>(value);
  if (p->key != key) bad_deletes++;
  freed_count[p->id]++;
  delete p;
}

TEST(LRUCacheConcurrencyTest, RandomOperationsFromManyThreads) {
  for (auto& c : freed_count) c.store(0);
  std::atomic<uint64_t> next_id{0};
  std::atomic<int> mismatches{0};
  auto cache = NewShardedLRUCache(200, 2);

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      Random rnd(1000 + t);
      std::vector<Cache::Handle*> held;
      for (int i = 0; i < kOpsPerThread; i++) {
        std::string key = "key" + std::to_string(rnd.Uniform(300));
        switch (rnd.Uniform(5)) {
          case 0:
          case 1: {
            uint64_t id = next_id.fetch_add(1);
            Cache::Handle* h = cache->Insert(
                key, new Payload{key, id}, 1 + rnd.Uniform(3), &PayloadDeleter);
            held.push_back(h);
            break;
          }
          case 2:
          case 3: {
            Cache::Handle* h = cache->Lookup(key);
            if (h != nullptr) {
              if (static_cast<Payload*>(cache->Value(h))->key != key) {
                mismatches++;
              }
              held.push_back(h);
            }
            break;
          }
          case 4:
            cache->Erase(key);
            break;
        }
        // Keep a few handles for a while so pins overlap other threads' work.
        while (held.size() > rnd.Uniform(8)) {
          size_t victim = rnd.Uniform(held.size());
          Cache::Handle* h = held[victim];
          auto* p = static_cast<Payload*>(cache->Value(h));
          if (freed_count[p->id].load() != 0) mismatches++;
          cache->Release(h);
          held[victim] = held.back();
          held.pop_back();
        }
      }
      for (Cache::Handle* h : held) cache->Release(h);
    });
  }
  for (auto& th : threads) th.join();

  Cache::Stats s = cache->GetStats();
  EXPECT_EQ(0u, s.pinned_usage);
  EXPECT_LE(s.usage, 200u);
  EXPECT_EQ(next_id.load(), s.inserts);
  cache.reset();

  EXPECT_EQ(0, mismatches.load());
  EXPECT_EQ(0, bad_deletes.load());
  uint64_t inserted = next_id.load();
  for (uint64_t id = 0; id < inserted; id++) {
    ASSERT_EQ(1, freed_count[id].load()) << "entry " << id;
  }
}

}  // namespace
}  // namespace kvs
