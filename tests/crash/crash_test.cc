// A bounded run of the process-crash test (tests/crash/crash_harness.h) on the
// real file system, under the test's temporary directory.

#include <cstdio>
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "tests/crash/crash_harness.h"

namespace kvs::crash_testing {
namespace {

#if defined(KVS_ASAN) || defined(KVS_TSAN)
constexpr int kCycles = 15;
#else
constexpr int kCycles = 30;
#endif

std::string TempDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  return std::string(tmp != nullptr ? tmp : "/tmp") + "/" + name;
}

TEST(CrashTest, KilledWriterLosesNothingAcknowledged) {
  for (uint64_t seed : {1, 2}) {
    CrashTestConfig config;
    config.dir = TempDir("crash_db_" + std::to_string(seed));
    config.seed = seed;
    config.cycles = kCycles / 2;
    absl::StatusOr<CrashTestSummary> summary = RunCrashTest(config);
    ASSERT_TRUE(summary.ok()) << "seed " << seed << ": " << summary.status();
    std::printf("seed %llu: %s\n", static_cast<unsigned long long>(seed),
                summary->ToString().c_str());
    EXPECT_EQ(summary->cycles, config.cycles);
    // The run checked something: writes were acknowledged and read back.
    EXPECT_GT(summary->ops_acknowledged, 0u);
    EXPECT_GT(summary->keys_verified, 0u);
  }
}

// Half the cycles kill the child within a few milliseconds of the fork, which
// mostly lands before or during DB::Open and its recovery; the database must
// still come back every time.
TEST(CrashTest, KillsDuringOpenAndRecovery) {
  CrashTestConfig config;
  config.dir = TempDir("crash_db_open");
  config.seed = 7;
  config.cycles = kCycles / 2;
  config.kill_early_one_in = 2;
  config.kill_early_ms = 15;
  config.max_kill_delay_ms = 100;
  absl::StatusOr<CrashTestSummary> summary = RunCrashTest(config);
  ASSERT_TRUE(summary.ok()) << summary.status();
  std::printf("%s\n", summary->ToString().c_str());
  EXPECT_EQ(summary->cycles, config.cycles);
}

}  // namespace
}  // namespace kvs::crash_testing
