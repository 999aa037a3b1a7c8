#ifndef KVS_LSM_OPTIONS_H_
#define KVS_LSM_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace kvs {

class Cache;
class Comparator;
class FileSystem;
class FilterPolicy;
class Logger;
class Snapshot;

// How table blocks are compressed. The value is the byte stored in each block
// trailer.
enum class CompressionType : uint8_t {
  kNone = 0,
  kSnappy = 1,
};

// How a compaction chooses which file of a level to push down.
enum class CompactionPriority : uint8_t {
  // The file whose overlap with the next level is smallest relative to its own
  // size: the least
  // rewriting per byte moved down.
  kMinOverlappingRatio,
  // Files in key order, resuming after the last one compacted (LevelDB's
  // policy).
  kRoundRobin,
};

// Options fixed when a database is opened. DB::Open checks them and returns
// InvalidArgument, naming the offending field, for values that make no sense.
struct Options {
  // --- Opening ---
  bool create_if_missing = false;  // Create the database if it does not exist.
  bool error_if_exists = false;    // Fail the open if the database exists.
  // Treat any damage found (a corrupt WAL record, a bad block) as an error
  // (DataLoss) instead of dropping the damaged part and going on. A WAL record
  // cut short at the very end of the log is not damage but the trace of a
  // crash during an unacknowledged write: it is a clean end either way.
  bool paranoid_checks = false;

  // --- Environment ---
  // Order of keys. Must be the one the database was created with (its name is
  // checked). nullptr means BytewiseComparator().
  const Comparator* comparator = nullptr;
  // All I/O and background threads. nullptr means DefaultFileSystem() (POSIX).
  FileSystem* file_system = nullptr;
  // Where progress and errors are logged. nullptr means a LOG file in the
  // database directory.
  std::shared_ptr<Logger> info_log;

  // --- Memory and files ---
  // Bytes of updates the memtable gathers before it is flushed to a level-0
  // table. Larger values mean fewer, bigger level-0 files and longer recovery.
  size_t write_buffer_size = 4 << 20;
  // Tables kept open at once (the table cache). At least 20.
  int max_open_files = 1000;
  // Cache of uncompressed data blocks; nullptr means a private cache of
  // block_cache_size bytes.
  std::shared_ptr<Cache> block_cache;
  size_t block_cache_size = 8 << 20;

  // --- Tables ---
  size_t block_size = 4096;         // Target uncompressed size of a data block.
  int block_restart_interval = 16;  // Keys between restart points in a block.
  CompressionType compression = CompressionType::kSnappy;
  // Filter kept per table, over user keys. nullptr means a Bloom filter of
  // bloom_bits_per_key bits per key; set bloom_bits_per_key to 0 for no filter
  // at all.
  std::shared_ptr<const FilterPolicy> filter_policy;
  double bloom_bits_per_key = 10;
  // Target size of the tables written by compactions.
  size_t max_file_size = 2 << 20;

  // --- Levels and compaction ---
  int num_levels = 7;
  int level0_file_num_compaction_trigger = 4;
  int level0_slowdown_writes_trigger = 8;
  int level0_stop_writes_trigger = 12;
  uint64_t max_bytes_for_level_base = 10ull << 20;
  double max_bytes_for_level_multiplier = 10;
  CompactionPriority compaction_priority =
      CompactionPriority::kMinOverlappingRatio;
};

// Options for one read.
struct ReadOptions {
  // Check the CRC of every block read from disk (blocks found in the cache were
  // checked when read).
  bool verify_checksums = false;
  // Put blocks read by this operation into the block cache. Bulk scans may turn
  // this off so they do not evict the working set.
  bool fill_cache = true;
  // Read as of this snapshot (from DB::GetSnapshot); nullptr reads the latest
  // state.
  const Snapshot* snapshot = nullptr;
  // Iterators only: restrict to keys in [lower, upper). The bounded memory must
  // outlive the iterator. Unset bounds are open.
  const std::string_view* iterate_lower_bound = nullptr;
  const std::string_view* iterate_upper_bound = nullptr;
};

// Options for one write.
struct WriteOptions {
  // Make the write durable (fdatasync of the WAL) before acknowledging it.
  // Without sync, a process crash loses nothing, but a machine crash may lose
  // the latest writes.
  bool sync = false;
};

}  // namespace kvs

#endif  // KVS_LSM_OPTIONS_H_
