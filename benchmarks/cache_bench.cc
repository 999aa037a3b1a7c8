// Throughput of the sharded LRU cache on its hot paths: lookups that hit (the
// block cache's common case), and inserts that evict (a scan through more data
// than fits).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "lsm/cache.h"
#include "util/coding.h"
#include "util/random.h"

namespace kvs {
namespace {

constexpr int kKeys = 1 << 16;

void NoopDeleter(std::string_view, void*) {}

// Block-cache-like keys: a 8-byte cache id followed by an 8-byte block offset.
std::string BlockKey(uint64_t id, uint64_t offset) {
  std::string key;
  PutFixed64(&key, id);
  PutFixed64(&key, offset);
  return key;
}

std::shared_ptr<Cache> shared_cache;

void BM_LookupHit(benchmark::State& state) {
  if (state.thread_index() == 0) {
    shared_cache = NewLRUCache(size_t{1} << 30);
    for (int i = 0; i < kKeys; i++) {
      shared_cache->Release(
          shared_cache->Insert(BlockKey(1, i), nullptr, 4096, &NoopDeleter));
    }
  }
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; i++) keys.push_back(BlockKey(1, i));
  Random rnd(state.thread_index() + 1);
  for (auto _ : state) {
    Cache::Handle* h = shared_cache->Lookup(keys[rnd.Uniform(kKeys)]);
    benchmark::DoNotOptimize(h);
    shared_cache->Release(h);
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) shared_cache.reset();
}
BENCHMARK(BM_LookupHit)->Threads(1)->Threads(2)->UseRealTime();

void BM_InsertEvict(benchmark::State& state) {
  // Room for a quarter of the keys, so most inserts evict.
  auto cache = NewLRUCache(size_t{kKeys / 4} * 4096);
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; i++) keys.push_back(BlockKey(1, i));
  int i = 0;
  for (auto _ : state) {
    cache->Release(cache->Insert(keys[i], nullptr, 4096, &NoopDeleter));
    i = (i + 1) & (kKeys - 1);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InsertEvict);

void BM_LookupMiss(benchmark::State& state) {
  auto cache = NewLRUCache(size_t{1} << 30);
  for (int i = 0; i < kKeys; i++) {
    cache->Release(cache->Insert(BlockKey(1, i), nullptr, 4096, &NoopDeleter));
  }
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; i++) keys.push_back(BlockKey(2, i));
  Random rnd(1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(cache->Lookup(keys[rnd.Uniform(kKeys)]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LookupMiss);

}  // namespace
}  // namespace kvs

BENCHMARK_MAIN();
