// The concurrent stress test as a program:
//   bazel run //tests:stress -- --duration=60
// Flags: --duration=SECONDS (default 10) --dir=PATH (default a fresh
// directory under /tmp; the database is destroyed first) --mem (in-memory file
// system instead) --writers=N --readers=N --iterators=N --snapshots=N
// --keys=N --seed=N --verbose (progress every second).
// Prints a summary line and exits 0, or the first inconsistency and exits 1.

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "tests/stress/stress_harness.h"

namespace {

bool NumberFlag(std::string_view arg, std::string_view name, double* out) {
  if (arg.substr(0, name.size()) != name) return false;
  std::string value(arg.substr(name.size()));
  char* end = nullptr;
  *out = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || *out < 0) {
    std::fprintf(stderr, "bad value in %s\n", std::string(arg).c_str());
    std::exit(2);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  kvs::stress_testing::StressConfig config;
  config.duration_seconds = 10;
  config.dir = "/tmp/kvs_stress_" + std::to_string(getpid());
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    double v;
    if (NumberFlag(arg, "--duration=", &v)) {
      config.duration_seconds = v;
    } else if (NumberFlag(arg, "--writers=", &v)) {
      config.writers = static_cast<int>(v);
    } else if (NumberFlag(arg, "--readers=", &v)) {
      config.readers = static_cast<int>(v);
    } else if (NumberFlag(arg, "--iterators=", &v)) {
      config.iterators = static_cast<int>(v);
    } else if (NumberFlag(arg, "--snapshots=", &v)) {
      config.snapshot_readers = static_cast<int>(v);
    } else if (NumberFlag(arg, "--keys=", &v)) {
      config.num_keys = static_cast<int>(v);
    } else if (NumberFlag(arg, "--seed=", &v)) {
      config.seed = static_cast<uint64_t>(v);
    } else if (arg.substr(0, 6) == "--dir=") {
      config.dir = std::string(arg.substr(6));
    } else if (arg == "--mem") {
      config.dir.clear();
    } else if (arg == "--verbose") {
      config.verbose = true;
    } else {
      std::fprintf(stderr, "unknown flag %s (see stress_main.cc)\n", argv[i]);
      return 2;
    }
  }
  if (config.duration_seconds <= 0) {
    std::fprintf(stderr, "--duration must be > 0\n");
    return 2;
  }
  std::printf(
      "stress: %s, %.0f s, %d writers, %d readers, %d iterators, "
      "%d snapshot readers, %d keys, seed %llu\n",
      config.dir.empty() ? "in memory" : config.dir.c_str(),
      config.duration_seconds, config.writers, config.readers, config.iterators,
      config.snapshot_readers, config.num_keys,
      static_cast<unsigned long long>(config.seed));
  std::fflush(stdout);
  auto summary = kvs::stress_testing::RunStress(config);
  if (!summary.ok()) {
    std::printf("FAILED (seed %llu): %s\n",
                static_cast<unsigned long long>(config.seed),
                summary.status().ToString().c_str());
    return 1;
  }
  std::printf("%s\n", summary->ToString().c_str());
  if (config.verbose) std::printf("%s\n", summary->db_stats.c_str());
  return 0;
}
