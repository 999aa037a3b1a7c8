#ifndef KVS_TESTS_STRESS_STRESS_HARNESS_H_
#define KVS_TESTS_STRESS_STRESS_HARNESS_H_

// The concurrent stress test: writer threads (puts, deletes, batches, some
// synced), point readers, iterator threads (bounded scans both ways) and
// snapshot readers run against one database while a maintenance thread forces
// flushes and compactions of random ranges. Every value names its key, a
// version and a checksum (tests/crash/test_value.h). Each key belongs to one
// writer, which publishes, per key, the version it is about to write and the
// version last acknowledged; so a reader can check that what it sees is at
// least as new as what was acknowledged before its read began and no newer
// than what had been started when it ended. Snapshot readers also check that a
// snapshot answers the same twice, with writes in between, and that its point
// reads and its iterator agree. At the end the database is compared with the
// final acknowledged state, closed, reopened and compared again.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace kvs::stress_testing {

struct StressConfig {
  // Database directory on the POSIX file system (destroyed first); empty for
  // the in-memory file system.
  std::string dir;
  // Stop after this long (seconds), or, when 0, once every writer has done
  // ops_per_writer operations.
  double duration_seconds = 0;
  uint64_t ops_per_writer = 2000;
  int writers = 3;
  int readers = 2;
  int iterators = 2;
  int snapshot_readers = 2;
  bool maintenance = true;  // The flush/CompactRange thread.
  int num_keys = 2000;
  uint64_t seed = 1;
  // Progress once a second on stderr (duration runs).
  bool verbose = false;
};

struct StressSummary {
  double seconds = 0;
  uint64_t puts = 0, deletes = 0, batches = 0;
  uint64_t gets = 0, gets_found = 0;
  uint64_t scans = 0, scan_entries = 0;
  uint64_t snapshot_checks = 0, snapshot_reads = 0;
  uint64_t flushes = 0, compactions = 0;
  std::string files_per_level;  // At the end, e.g. "0 2 7 0".
  std::string db_stats;         // The "kvs.stats" property at the end.

  std::string ToString() const;
};

// Runs the stress test; the first inconsistency found (DataLoss) or error
// returned by the database, or the summary.
absl::StatusOr<StressSummary> RunStress(const StressConfig& config);

}  // namespace kvs::stress_testing

#endif  // KVS_TESTS_STRESS_STRESS_HARNESS_H_
