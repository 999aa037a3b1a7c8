#ifndef KVS_BENCHMARKS_DB_BENCH_UTIL_H_
#define KVS_BENCHMARKS_DB_BENCH_UTIL_H_

// Pieces of db_bench that are independent of any engine: key and value
// generation, latency percentiles, the process's I/O counters, database size
// on disk and a description of the machine.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kvs::bench {

// Writes keys as zero-padded decimal numbers of a fixed width (16 by
// default), the layout LevelDB's db_bench uses, into a reused buffer. A number
// with more digits than the width is written in full. Not thread-safe: one per
// thread.
class KeyFormatter {
 public:
  explicit KeyFormatter(int key_size);
  // The key for k; valid until the next call.
  std::string_view Format(uint64_t k);
  // The key for k with a '.' appended: sorts between k and k+1, so it is
  // never present (readmissing).
  std::string_view FormatMissing(uint64_t k);

 private:
  int key_size_;
  std::string buffer_;
};

// Values that Snappy compresses to about compression_ratio of their size:
// each 100-byte piece of a 1 MiB pool repeats a random printable prefix of
// ratio * 100 bytes, and a value is a window of the pool. Deterministic for a
// seed. One per thread (Generate advances a private position).
class ValueGenerator {
 public:
  // The pool holds at least 1 MiB and at least two values of max_len bytes.
  ValueGenerator(double compression_ratio, uint64_t seed, size_t max_len);
  // len bytes of the pool, valid while the generator lives. REQUIRES:
  // len <= max_len.
  std::string_view Generate(size_t len);

 private:
  std::string pool_;
  size_t position_ = 0;
};

// Latencies of individual operations, in nanoseconds.
class LatencyRecorder {
 public:
  void Add(uint64_t nanos) { samples_.push_back(nanos); }
  void Merge(const LatencyRecorder& other);
  size_t count() const { return samples_.size(); }
  // The p-th percentile (0 < p <= 100) in microseconds; 0 with no samples.
  // Sorts the samples (not const for that reason).
  double PercentileMicros(double p);
  double MeanMicros() const;
  double MaxMicros() const;

 private:
  std::vector<uint64_t> samples_;
  bool sorted_ = false;
};

// /proc/self/io: counted for every thread of the process, including the
// engines' background threads.
struct IoCounters {
  uint64_t wchar = 0;        // Bytes passed to write-like system calls.
  uint64_t write_bytes = 0;  // Bytes sent towards the block layer (page
                             // cache dirtied); 0 on some file systems/kernels.
  bool ok = false;           // False if the file could not be read.
};
IoCounters ReadIoCounters();

// Total size (st_size) of the regular files under path, recursively; 0 if it
// does not exist.
uint64_t DirectorySize(const std::string& path);

// Monotonic clock.
uint64_t NowNanos();

// One-line descriptions for report headers.
std::string CpuModel();       // From /proc/cpuinfo.
int CpuCount();               // Online processors.
std::string MemoryTotal();    // MemTotal from /proc/meminfo, e.g. "24 GiB".
std::string KernelRelease();  // uname -r.
std::string LoadAverage();    // /proc/loadavg's first three fields.

}  // namespace kvs::bench

#endif  // KVS_BENCHMARKS_DB_BENCH_UTIL_H_
