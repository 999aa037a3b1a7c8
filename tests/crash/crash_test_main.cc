// The process-crash test as a program, for long runs:
//   bazel run //tests:crash_test -- --cycles=500 --dir=/tmp/kvs_crash
// Flags: --cycles=N --dir=PATH --seed=N --keys=N --max_kill_delay_ms=N
// --sync_one_in=N --writer_threads=N --keep (do not destroy the database first)
// --verbose. Prints a summary line and exits 0, or prints the first
// inconsistency and exits 1.

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "tests/crash/crash_harness.h"

namespace {

bool IntFlag(std::string_view arg, std::string_view name, long long* out) {
  if (arg.substr(0, name.size()) != name) return false;
  std::string value(arg.substr(name.size()));
  char* end = nullptr;
  *out = std::strtoll(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0') {
    std::fprintf(stderr, "bad value in %s\n", std::string(arg).c_str());
    std::exit(2);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  kvs::crash_testing::CrashTestConfig config;
  config.dir = "/tmp/kvs_crash_test_" + std::to_string(getpid());
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    long long v;
    if (IntFlag(arg, "--cycles=", &v)) {
      config.cycles = static_cast<int>(v);
    } else if (IntFlag(arg, "--seed=", &v)) {
      config.seed = static_cast<uint64_t>(v);
    } else if (IntFlag(arg, "--keys=", &v)) {
      config.num_keys = static_cast<int>(v);
    } else if (IntFlag(arg, "--max_kill_delay_ms=", &v)) {
      config.max_kill_delay_ms = static_cast<int>(v);
    } else if (IntFlag(arg, "--writer_threads=", &v)) {
      config.writer_threads = static_cast<int>(v);
    } else if (IntFlag(arg, "--sync_one_in=", &v)) {
      config.sync_one_in = static_cast<int>(v);
    } else if (arg.substr(0, 6) == "--dir=") {
      config.dir = std::string(arg.substr(6));
    } else if (arg == "--keep") {
      config.destroy_first = false;
    } else if (arg == "--verbose") {
      config.verbose = true;
    } else {
      std::fprintf(stderr, "unknown flag %s (see crash_test_main.cc)\n",
                   argv[i]);
      return 2;
    }
  }
  std::printf("crash test: dir=%s seed=%llu cycles=%d keys=%d\n",
              config.dir.c_str(), static_cast<unsigned long long>(config.seed),
              config.cycles, config.num_keys);
  std::fflush(stdout);
  auto summary = kvs::crash_testing::RunCrashTest(config);
  if (!summary.ok()) {
    std::printf("FAILED (seed %llu): %s\n",
                static_cast<unsigned long long>(config.seed),
                summary.status().ToString().c_str());
    return 1;
  }
  std::printf("%s\n", summary->ToString().c_str());
  return 0;
}
