// Micro-benchmarks of the primitives every block and log record pays for:
// CRC-32C (hardware and table-driven), varint encoding/decoding, and Snappy on
// a 4 KiB block of db_bench-like values (compressible to about half).
//
//   bazel run -c opt //benchmarks:micro -- --benchmark_filter=Crc|Varint|Snappy

#include <cstdint>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "benchmarks/db_bench_util.h"
#include "snappy.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/random.h"

namespace kvs {
namespace {

std::string RandomData(size_t n) {
  Random rnd(301);
  return rnd.RandomBytes(n);
}

void BM_Crc32c(benchmark::State& state) {
  std::string data = RandomData(static_cast<size_t>(state.range(0)));
  uint32_t crc = 0;
  for (auto _ : state) {
    crc = crc32c::Extend(crc, data.data(), data.size());
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          state.range(0));
  state.SetLabel(crc32c::HardwareAccelerated() ? "sse4.2" : "portable");
}
BENCHMARK(BM_Crc32c)->Arg(64)->Arg(4096)->Arg(1 << 20);

void BM_Crc32cPortable(benchmark::State& state) {
  std::string data = RandomData(static_cast<size_t>(state.range(0)));
  uint32_t crc = 0;
  for (auto _ : state) {
    crc = crc32c::ExtendPortable(crc, data.data(), data.size());
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          state.range(0));
}
BENCHMARK(BM_Crc32cPortable)->Arg(4096);

// Values spread over every varint length (1..5 bytes for 32 bits, 1..10 for
// 64), the mix a table's block handles and lengths produce.
std::vector<uint64_t> VarintValues(int max_bits) {
  Random rnd(7);
  std::vector<uint64_t> values(4096);
  for (auto& v : values) {
    int bits =
        static_cast<int>(rnd.Uniform(static_cast<uint64_t>(max_bits))) + 1;
    v = bits == 64 ? rnd.Next64() : rnd.Next64() & ((uint64_t{1} << bits) - 1);
  }
  return values;
}

void BM_VarintEncode64(benchmark::State& state) {
  std::vector<uint64_t> values = VarintValues(64);
  std::string out;
  for (auto _ : state) {
    out.clear();
    for (uint64_t v : values) PutVarint64(&out, v);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(values.size()));
}
BENCHMARK(BM_VarintEncode64);

void BM_VarintDecode64(benchmark::State& state) {
  std::vector<uint64_t> values = VarintValues(64);
  std::string encoded;
  for (uint64_t v : values) PutVarint64(&encoded, v);
  for (auto _ : state) {
    const char* p = encoded.data();
    const char* limit = p + encoded.size();
    uint64_t sum = 0;
    while (p != nullptr && p < limit) {
      uint64_t v;
      p = GetVarint64Ptr(p, limit, &v);
      sum += v;
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(values.size()));
}
BENCHMARK(BM_VarintDecode64);

void BM_VarintDecode32(benchmark::State& state) {
  std::vector<uint64_t> values = VarintValues(32);
  std::string encoded;
  for (uint64_t v : values) PutVarint32(&encoded, static_cast<uint32_t>(v));
  for (auto _ : state) {
    const char* p = encoded.data();
    const char* limit = p + encoded.size();
    uint32_t sum = 0;
    while (p != nullptr && p < limit) {
      uint32_t v;
      p = DecodeVarint32(p, limit, &v);
      sum += v;
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(values.size()));
}
BENCHMARK(BM_VarintDecode32);

// A 4 KiB block of values generated as db_bench generates them.
std::string SnappyBlock() {
  bench::ValueGenerator gen(0.5, 301, 4096);
  return std::string(gen.Generate(4096));
}

void BM_SnappyCompress4K(benchmark::State& state) {
  std::string block = SnappyBlock();
  std::string compressed;
  for (auto _ : state) {
    snappy::Compress(block.data(), block.size(), &compressed);
    benchmark::DoNotOptimize(compressed.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(block.size()));
  state.counters["ratio"] = static_cast<double>(compressed.size()) /
                            static_cast<double>(block.size());
}
BENCHMARK(BM_SnappyCompress4K);

void BM_SnappyUncompress4K(benchmark::State& state) {
  std::string block = SnappyBlock();
  std::string compressed;
  snappy::Compress(block.data(), block.size(), &compressed);
  std::string out(block.size(), '\0');
  for (auto _ : state) {
    bool ok =
        snappy::RawUncompress(compressed.data(), compressed.size(), out.data());
    if (!ok) state.SkipWithError("snappy rejected its own output");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(block.size()));
}
BENCHMARK(BM_SnappyUncompress4K);

}  // namespace
}  // namespace kvs
