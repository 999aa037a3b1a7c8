#include "benchmarks/db_bench_util.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <system_error>

#include "util/random.h"

namespace kvs::bench {

KeyFormatter::KeyFormatter(int key_size)
    : key_size_(key_size < 1 ? 1 : key_size) {
  buffer_.reserve(static_cast<size_t>(key_size_) + 24);
}

std::string_view KeyFormatter::Format(uint64_t k) {
  char digits[24];
  int n = std::snprintf(digits, sizeof(digits), "%llu",
                        static_cast<unsigned long long>(k));
  buffer_.clear();
  if (n < key_size_) buffer_.append(static_cast<size_t>(key_size_ - n), '0');
  buffer_.append(digits, static_cast<size_t>(n));
  return buffer_;
}

std::string_view KeyFormatter::FormatMissing(uint64_t k) {
  Format(k);
  buffer_.push_back('.');
  return buffer_;
}

ValueGenerator::ValueGenerator(double compression_ratio, uint64_t seed,
                               size_t max_len) {
  constexpr size_t kPiece = 100;
  size_t pool_size = std::max<size_t>(size_t{1} << 20, 2 * max_len);
  double ratio = std::clamp(compression_ratio, 0.0, 1.0);
  size_t distinct = std::max<size_t>(
      1, static_cast<size_t>(ratio * static_cast<double>(kPiece)));
  Random rnd(seed);
  pool_.reserve(pool_size + kPiece);
  std::string prefix;
  while (pool_.size() < pool_size) {
    // A piece is a random printable prefix repeated: Snappy keeps the prefix
    // and replaces every repetition by a short back-reference.
    prefix.clear();
    for (size_t i = 0; i < distinct; i++) {
      prefix.push_back(static_cast<char>(' ' + rnd.Uniform(95)));
    }
    for (size_t i = 0; i < kPiece; i++) pool_.push_back(prefix[i % distinct]);
  }
  pool_.resize(pool_size);
}

std::string_view ValueGenerator::Generate(size_t len) {
  if (position_ + len > pool_.size()) position_ = 0;
  std::string_view value(pool_.data() + position_, len);
  position_ += len;
  return value;
}

void LatencyRecorder::Merge(const LatencyRecorder& other) {
  samples_.insert(samples_.end(), other.samples_.begin(), other.samples_.end());
  sorted_ = false;
}

double LatencyRecorder::PercentileMicros(double p) {
  if (samples_.empty()) return 0;
  if (!sorted_) {
    std::sort(samples_.begin(), samples_.end());
    sorted_ = true;
  }
  // Nearest rank: the smallest sample with at least p% of samples at or
  // below it. The epsilon keeps 99.9% of 1000 at rank 999 despite rounding.
  double rank =
      std::ceil(p / 100.0 * static_cast<double>(samples_.size()) - 1e-9);
  size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  index = std::min(index, samples_.size() - 1);
  return static_cast<double>(samples_[index]) / 1000.0;
}

double LatencyRecorder::MeanMicros() const {
  if (samples_.empty()) return 0;
  long double sum = std::accumulate(samples_.begin(), samples_.end(), 0.0L);
  return static_cast<double>(sum / samples_.size() / 1000.0L);
}

double LatencyRecorder::MaxMicros() const {
  if (samples_.empty()) return 0;
  return static_cast<double>(
             *std::max_element(samples_.begin(), samples_.end())) /
         1000.0;
}

IoCounters ReadIoCounters() {
  IoCounters counters;
  std::ifstream in("/proc/self/io");
  if (!in) return counters;
  std::string name;
  uint64_t value;
  while (in >> name >> value) {
    if (name == "wchar:") counters.wchar = value;
    if (name == "write_bytes:") counters.write_bytes = value;
  }
  counters.ok = true;
  return counters;
}

uint64_t DirectorySize(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  uint64_t total = 0;
  fs::recursive_directory_iterator it(path, ec), end;
  while (!ec && it != end) {
    // Files come and go while an engine's background threads run; a file
    // that vanished between listing and stat simply does not count.
    std::error_code file_ec;
    if (it->is_regular_file(file_ec)) {
      uint64_t size = it->file_size(file_ec);
      if (!file_ec) total += size;
    }
    it.increment(ec);
  }
  return total;
}

uint64_t NowNanos() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        size_t start = line.find_first_not_of(' ', colon + 1);
        if (start != std::string::npos) return line.substr(start);
      }
    }
  }
  return "unknown CPU";
}

int CpuCount() {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

std::string MemoryTotal() {
  std::ifstream in("/proc/meminfo");
  std::string name, unit;
  uint64_t kib;
  while (in >> name >> kib >> unit) {
    if (name == "MemTotal:") {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.1f GiB",
                    static_cast<double>(kib) / (1024.0 * 1024.0));
      return buf;
    }
  }
  return "unknown";
}

std::string KernelRelease() {
  struct utsname name;
  if (uname(&name) != 0) return "unknown";
  return std::string(name.sysname) + " " + name.release;
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  if (!(in >> a >> b >> c)) return "unknown";
  return a + " " + b + " " + c;
}

}  // namespace kvs::bench
