// Bounded runs of the concurrent stress test (tests/stress/stress_harness.h):
// a fixed number of operations per writer, so the amount of checking does not
// depend on the machine's speed. Meant to run under ThreadSanitizer too.

#include <cstdio>
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "tests/stress/stress_harness.h"

namespace kvs::stress_testing {
namespace {

#if defined(KVS_ASAN) || defined(KVS_TSAN)
constexpr uint64_t kOpsPerWriter = 3000;
#else
constexpr uint64_t kOpsPerWriter = 6000;
#endif

void Check(const StressConfig& config) {
  absl::StatusOr<StressSummary> summary = RunStress(config);
  ASSERT_TRUE(summary.ok())
      << "seed " << config.seed << ": " << summary.status();
  std::printf("%s\n", summary->ToString().c_str());
  EXPECT_EQ(summary->puts + summary->deletes + summary->batches,
            config.ops_per_writer * config.writers);
}

TEST(StressTest, InMemory) {
  StressConfig config;
  config.ops_per_writer = kOpsPerWriter;
  config.seed = 1;
  Check(config);
}

TEST(StressTest, PosixFileSystem) {
  StressConfig config;
  const char* tmp = std::getenv("TEST_TMPDIR");
  config.dir = std::string(tmp != nullptr ? tmp : "/tmp") + "/stress_db";
  config.ops_per_writer = kOpsPerWriter / 2;
  config.seed = 2;
  Check(config);
}

// Many writers on few keys: group commit and contention on the same blocks.
TEST(StressTest, ManyWritersFewKeys) {
  StressConfig config;
  config.writers = 6;
  config.readers = 1;
  config.iterators = 1;
  config.snapshot_readers = 1;
  config.num_keys = 120;
  config.ops_per_writer = kOpsPerWriter / 3;
  config.seed = 3;
  Check(config);
}

}  // namespace
}  // namespace kvs::stress_testing
