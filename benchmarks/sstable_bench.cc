// Micro-benchmarks of the table format: block seeks, Bloom probes, point
// lookups (filtered out, cached, uncached), scans, and building a 64 MiB table
// with and without Snappy. Files live in memory, so the figures are CPU costs
// without the device.

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lsm/cache.h"
#include "lsm/filter_policy.h"
#include "sstable/block.h"
#include "sstable/block_builder.h"
#include "sstable/table.h"
#include "sstable/table_builder.h"
#include "util/random.h"

namespace kvs {
namespace {

class StringFile final : public RandomAccessFile {
 public:
  explicit StringFile(std::string data) : data_(std::move(data)) {}
  absl::Status Read(uint64_t offset, size_t n, std::string_view* result,
                    char* scratch) const override {
    if (offset >= data_.size()) {
      *result = {};
      return absl::OkStatus();
    }
    n = std::min<size_t>(n, data_.size() - offset);
    std::memcpy(scratch, data_.data() + offset, n);
    *result = std::string_view(scratch, n);
    return absl::OkStatus();
  }

 private:
  const std::string data_;
};

class StringSink final : public WritableFile {
 public:
  explicit StringSink(std::string* out) : out_(out) {}
  absl::Status Append(std::string_view data) override {
    if (out_ != nullptr) out_->append(data.data(), data.size());
    bytes_ += data.size();
    return absl::OkStatus();
  }
  absl::Status Flush() override { return absl::OkStatus(); }
  absl::Status Sync() override { return absl::OkStatus(); }
  absl::Status Close() override { return absl::OkStatus(); }
  uint64_t bytes() const { return bytes_; }

 private:
  std::string* const out_;
  uint64_t bytes_ = 0;
};

std::string Key(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%013llu",
                static_cast<unsigned long long>(i));
  return buf;  // 16 bytes.
}

// 100-byte values that Snappy shrinks to about half.
std::string Value(Random* rnd) {
  return rnd->RandomBytes(50) + std::string(50, 'v');
}

void BM_BlockSeek(benchmark::State& state) {
  const bool cached_restarts = state.range(0) != 0;
  BlockBuilder builder(16);
  Random rnd(1);
  std::vector<std::string> keys;
  for (uint64_t i = 0; builder.CurrentSizeEstimate() < 4096; i++) {
    keys.push_back(Key(i * 7));
    builder.Add(keys.back(), rnd.RandomBytes(24));
  }
  std::string data(builder.Finish());
  Block block(BlockContents{data, nullptr});
  if (cached_restarts) block.CacheRestartKeys();
  Block::Iter it(&block, BytewiseComparator());
  size_t i = 0;
  for (auto _ : state) {
    it.Seek(keys[i]);
    benchmark::DoNotOptimize(it.value().data());
    i = (i + 37) % keys.size();
  }
  state.SetLabel(std::to_string(keys.size()) + " entries");
}
BENCHMARK(BM_BlockSeek)->ArgName("cached_restarts")->Arg(0)->Arg(1);

void BM_BloomProbe(benchmark::State& state) {
  const bool present = state.range(0) != 0;
  auto policy = NewBloomFilterPolicy(10);
  constexpr uint64_t kKeys = 1000000;
  std::vector<std::string> storage;
  for (uint64_t i = 0; i < kKeys; i++) storage.push_back(Key(i * 2));
  std::vector<std::string_view> keys(storage.begin(), storage.end());
  std::string filter;
  policy->CreateFilter(keys, &filter);
  std::vector<std::string> probes;
  for (uint64_t i = 0; i < 4096; i++) {
    probes.push_back(Key((i * 7919 % kKeys) * 2 + (present ? 0 : 1)));
  }
  size_t i = 0;
  uint64_t matches = 0;
  for (auto _ : state) {
    matches += policy->KeyMayMatch(probes[i], filter);
    i = (i + 1) & 4095;
  }
  state.counters["match_rate"] =
      static_cast<double>(matches) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_BloomProbe)->ArgName("present")->Arg(0)->Arg(1);

// One table of kTableKeys entries, shared by the lookup benchmarks.
constexpr uint64_t kTableKeys = 200000;

struct TableFixture {
  std::shared_ptr<Cache> cache = NewLRUCache(256 << 20);
  std::unique_ptr<Table> cached;    // Reads through the cache.
  std::unique_ptr<Table> uncached;  // No block cache.

  TableFixture() {
    TableOptions options;
    options.filter_policy = NewBloomFilterPolicy(10);
    std::string contents;
    StringSink sink(&contents);
    TableBuilder builder(options, &sink);
    Random rnd(2);
    for (uint64_t i = 0; i < kTableKeys; i++) {
      (void)builder.Add(Key(i * 2), Value(&rnd));
    }
    (void)builder.Finish();
    uncached = *Table::Open(options, std::make_unique<StringFile>(contents),
                            contents.size());
    options.block_cache = cache.get();
    cached = *Table::Open(options, std::make_unique<StringFile>(contents),
                          contents.size());
  }

  static TableFixture& Get() {
    static TableFixture* fixture = new TableFixture;
    return *fixture;
  }
};

void RunLookups(benchmark::State& state, const Table& table, bool present) {
  // Keys spread over the table, so consecutive lookups hit different blocks;
  // made up front so the loop times only the lookup.
  std::vector<std::string> keys;
  for (uint64_t i = 0; i < 8192; i++) {
    keys.push_back(Key(((i * 104729) % kTableKeys) * 2 + (present ? 0 : 1)));
  }
  size_t i = 0;
  uint64_t found = 0;
  for (auto _ : state) {
    const std::string& key = keys[i];
    absl::Status s = table.InternalGet(
        ReadOptions(), key,
        [&](std::string_view k, std::string_view) { found += (k == key); });
    benchmark::DoNotOptimize(s);
    i = (i + 1) & 8191;
  }
  state.counters["found_rate"] =
      static_cast<double>(found) / static_cast<double>(state.iterations());
}

void BM_TableGetFilteredOut(benchmark::State& state) {
  RunLookups(state, *TableFixture::Get().uncached, /*present=*/false);
}
BENCHMARK(BM_TableGetFilteredOut);

void BM_TableGetCached(benchmark::State& state) {
  const Table& table = *TableFixture::Get().cached;
  // Warm the cache with every block.
  std::unique_ptr<Iterator> it(table.NewIterator(ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
  }
  Cache::Stats before = TableFixture::Get().cache->GetStats();
  RunLookups(state, table, /*present=*/true);
  Cache::Stats after = TableFixture::Get().cache->GetStats();
  state.counters["cache_hit_rate"] =
      static_cast<double>(after.hits - before.hits) /
      static_cast<double>(after.hits - before.hits + after.misses -
                          before.misses);
}
BENCHMARK(BM_TableGetCached);

void BM_TableGetUncached(benchmark::State& state) {
  RunLookups(state, *TableFixture::Get().uncached, /*present=*/true);
}
BENCHMARK(BM_TableGetUncached);

void BM_TableScan(benchmark::State& state) {
  const Table& table = *TableFixture::Get().uncached;
  for (auto _ : state) {
    std::unique_ptr<Iterator> it(table.NewIterator(ReadOptions()));
    uint64_t n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) n++;
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(state.iterations() * kTableKeys);
}
BENCHMARK(BM_TableScan)->Unit(benchmark::kMillisecond);

void BM_BuildTable64MiB(benchmark::State& state) {
  TableOptions options;
  options.compression =
      state.range(0) != 0 ? CompressionType::kSnappy : CompressionType::kNone;
  options.filter_policy = NewBloomFilterPolicy(10);
  // 64 MiB of keys and values.
  constexpr uint64_t kEntries = (64ull << 20) / (16 + 100);
  Random rnd(3);
  std::vector<std::string> values;
  for (int i = 0; i < 1024; i++) values.push_back(Value(&rnd));
  std::vector<std::string> keys;
  keys.reserve(kEntries);
  for (uint64_t i = 0; i < kEntries; i++) keys.push_back(Key(i));
  uint64_t file_bytes = 0;
  for (auto _ : state) {
    StringSink sink(nullptr);
    TableBuilder builder(options, &sink);
    for (uint64_t i = 0; i < kEntries; i++) {
      (void)builder.Add(keys[i], values[i & 1023]);
    }
    (void)builder.Finish();
    file_bytes = sink.bytes();
  }
  state.SetBytesProcessed(state.iterations() * kEntries * (16 + 100));
  state.counters["file_MiB"] = static_cast<double>(file_bytes) / (1 << 20);
}
BENCHMARK(BM_BuildTable64MiB)
    ->ArgName("snappy")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2);

}  // namespace
}  // namespace kvs
