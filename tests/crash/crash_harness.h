#ifndef KVS_TESTS_CRASH_CRASH_HARNESS_H_
#define KVS_TESTS_CRASH_CRASH_HARNESS_H_

// The process-crash test: a parent process forks a writer child whose threads
// apply puts, deletes and batches (some synced, most not) to a database on the
// real POSIX file system and report each operation to the parent over a pipe,
// once before the call ("attempting") and once after it returned OK
// ("acknowledged"). The parent SIGKILLs the child at a random moment, reopens
// the database itself and checks it against its model:
//  - every acknowledged operation is visible, synced or not (a killed process
//    leaves its writes in the page cache), unless a later acknowledged or the
//    in-flight operation on the same key replaced it;
//  - each thread's in-flight operation (attempted, never acknowledged) is
//    either wholly applied or wholly absent, a batch included;
//  - every value passes its checksum and names its key, and no version newer
//    than the last one attempted for a key appears;
//  - forward and backward iteration agree with the point reads.
// Then it adopts what it saw as its new model and starts the next cycle on the
// same directory, so the state (and any damage) carries over.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace kvs::crash_testing {

struct CrashTestConfig {
  // Database directory; created if missing. Left in place afterwards.
  std::string dir;
  // Start from an empty database (DestroyDB first).
  bool destroy_first = true;
  int cycles = 30;
  uint64_t seed = 1;
  // Keys are KeyName(0 .. num_keys - 1).
  int num_keys = 3000;
  // The child is killed a uniformly random time up to this long after it has
  // opened the database, or, in one cycle in kill_early_one_in, up to
  // kill_early_ms after the fork, which may land in the middle of recovery.
  int max_kill_delay_ms = 200;
  int kill_early_one_in = 10;
  int kill_early_ms = 30;
  // One operation in sync_one_in asks for a synced write.
  int sync_one_in = 16;
  // Writer threads in the child, each on its own keys: more than one makes
  // the kill land in group commits.
  int writer_threads = 2;
  // Progress lines on stderr.
  bool verbose = false;
};

struct CrashTestSummary {
  int cycles = 0;
  int kills = 0;               // Children ended by SIGKILL.
  int kills_before_ready = 0;  // ... before they had opened the database.
  int clean_exits = 0;         // Children that ran out of work first.
  uint64_t ops_attempted = 0;
  uint64_t ops_acknowledged = 0;
  uint64_t sync_ops_acknowledged = 0;
  uint64_t in_flight_applied = 0;      // Killed mid-call, found applied.
  uint64_t in_flight_not_applied = 0;  // Killed mid-call, found absent.
  uint64_t keys_verified = 0;          // Point reads checked, over all cycles.
  uint64_t entries_scanned = 0;        // Iterator entries checked.
  // Tables per level at the last reopen, e.g. "1 3 9 0 0": evidence that the
  // run flushed and compacted.
  std::string files_per_level;

  std::string ToString() const;
};

// Runs config.cycles crash-and-verify cycles. Returns the summary, or the first
// inconsistency found (DataLoss for a verification failure, Internal for a
// child that failed or died otherwise) with the cycle and key named.
//
// Must be called from a single-threaded process: it forks.
absl::StatusOr<CrashTestSummary> RunCrashTest(const CrashTestConfig& config);

}  // namespace kvs::crash_testing

#endif  // KVS_TESTS_CRASH_CRASH_HARNESS_H_
