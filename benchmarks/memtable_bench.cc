// Micro-benchmarks of the in-memory write path: skip-list inserts, memtable
// adds, point lookups and scans. The "ns_per_op" counter is the time per
// insert/lookup/entry.
//
//   bazel run -c opt //benchmarks:memtable_bench

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "benchmark/benchmark.h"
#include "memtable/internal_key.h"
#include "memtable/memtable.h"
#include "memtable/skiplist.h"
#include "util/arena.h"
#include "util/random.h"

namespace kvs {
namespace {

struct U64Compare {
  int operator()(uint64_t a, uint64_t b) const {
    return a < b ? -1 : (a > b ? 1 : 0);
  }
};
using IntList = SkipList<uint64_t, U64Compare>;

// Time per operation, in nanoseconds, from ops done per benchmark iteration.
benchmark::Counter PerOp(double ops_per_iteration) {
  return benchmark::Counter(ops_per_iteration * 1e-9,
                            benchmark::Counter::kIsIterationInvariantRate |
                                benchmark::Counter::kInvert);
}

// Each iteration builds a fresh list of range(0) keys, so the figure is the
// average insert cost while growing to that size.
void BM_SkipListInsertSequential(benchmark::State& state) {
  const auto n = static_cast<uint64_t>(state.range(0));
  for (auto _ : state) {
    Arena arena;
    IntList list(U64Compare(), &arena);
    for (uint64_t i = 0; i < n; i++) list.Insert(i);
    benchmark::DoNotOptimize(&list);
  }
  state.counters["ns_per_op"] = PerOp(static_cast<double>(n));
}
BENCHMARK(BM_SkipListInsertSequential)->Arg(10000)->Arg(100000);

void BM_SkipListInsertRandom(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  std::vector<uint64_t> keys(n);
  Random rnd(301);
  for (auto& k : keys)
    k = rnd.Next64();  // Collisions are vanishingly rare at 64 bits.
  for (auto _ : state) {
    Arena arena;
    IntList list(U64Compare(), &arena);
    for (uint64_t k : keys) list.Insert(k);
    benchmark::DoNotOptimize(&list);
  }
  state.counters["ns_per_op"] = PerOp(static_cast<double>(n));
}
BENCHMARK(BM_SkipListInsertRandom)->Arg(10000)->Arg(100000);

// 16-byte user keys; key i is "key" + 13-digit zero-padded i, so bytewise order
// is numeric order.
std::string UserKey(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%013llu",
                static_cast<unsigned long long>(i));
  return std::string(buf, 16);
}

constexpr int kValueSize = 100;

// Memtable Add of random 16-byte keys with 100-byte values (what a DB write
// does after the WAL).
void BM_MemTableAddRandom(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  std::vector<std::string> keys;
  keys.reserve(n);
  Random rnd(17);
  for (size_t i = 0; i < n; i++)
    keys.push_back(UserKey(rnd.Next64() % (n * 10)));
  const std::string value(kValueSize, 'v');
  InternalKeyComparator icmp(BytewiseComparator());
  for (auto _ : state) {
    auto* mem = new MemTable(icmp);
    mem->Ref();
    SequenceNumber seq = 0;
    for (const auto& key : keys) mem->Add(++seq, kTypeValue, key, value);
    mem->Unref();
  }
  state.counters["ns_per_op"] = PerOp(static_cast<double>(n));
}
BENCHMARK(BM_MemTableAddRandom)->Arg(100000);

// A memtable of n entries with even-numbered keys, shared by the read
// benchmarks.
class ReadFixture {
 public:
  explicit ReadFixture(uint64_t n) : icmp_(BytewiseComparator()), n_(n) {
    mem_ = new MemTable(icmp_);
    mem_->Ref();
    const std::string value(kValueSize, 'v');
    Random rnd(5);
    // Inserted in random order, as real workloads do.
    std::vector<uint64_t> order(n);
    for (uint64_t i = 0; i < n; i++) order[i] = i;
    for (uint64_t i = n; i > 1; i--)
      std::swap(order[i - 1], order[rnd.Uniform(i)]);
    SequenceNumber seq = 0;
    for (uint64_t i : order)
      mem_->Add(++seq, kTypeValue, UserKey(2 * i), value);
  }
  ~ReadFixture() { mem_->Unref(); }
  MemTable* mem() const { return mem_; }
  uint64_t n() const { return n_; }

 private:
  InternalKeyComparator icmp_;
  uint64_t n_;
  MemTable* mem_;
};

constexpr uint64_t kReadEntries = 100000;

const ReadFixture& SharedFixture() {
  static const ReadFixture* const fixture = new ReadFixture(kReadEntries);
  return *fixture;
}

void PointLookups(benchmark::State& state, bool hit) {
  const ReadFixture& f = SharedFixture();
  constexpr size_t kProbes = 4096;
  std::vector<std::string> probes;
  Random rnd(hit ? 1 : 2);
  for (size_t i = 0; i < kProbes; i++) {
    // Hits are even keys; misses odd keys, which fall between present ones.
    probes.push_back(UserKey(2 * rnd.Uniform(f.n()) + (hit ? 0 : 1)));
  }
  const MemTableGetResult expected =
      hit ? MemTableGetResult::kFound : MemTableGetResult::kAbsent;
  std::string value;
  size_t i = 0;
  for (auto _ : state) {
    LookupKey lookup(probes[i++ % kProbes], kMaxSequenceNumber);
    if (f.mem()->Get(lookup, &value) != expected) {
      state.SkipWithError("unexpected lookup result");
      break;
    }
  }
  state.counters["ns_per_op"] = PerOp(1);
}

void BM_MemTableGetHit(benchmark::State& state) { PointLookups(state, true); }
void BM_MemTableGetMiss(benchmark::State& state) { PointLookups(state, false); }
BENCHMARK(BM_MemTableGetHit);
BENCHMARK(BM_MemTableGetMiss);

void BM_MemTableFullScan(benchmark::State& state) {
  const ReadFixture& f = SharedFixture();
  uint64_t entries = 0;
  for (auto _ : state) {
    std::unique_ptr<Iterator> iter(f.mem()->NewIterator());
    entries = 0;
    size_t bytes = 0;
    for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
      bytes += iter->key().size() + iter->value().size();
      entries++;
    }
    benchmark::DoNotOptimize(bytes);
  }
  if (entries != f.n()) state.SkipWithError("scan missed entries");
  state.counters["ns_per_op"] = PerOp(static_cast<double>(f.n()));
}
BENCHMARK(BM_MemTableFullScan);

}  // namespace
}  // namespace kvs
