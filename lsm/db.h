#ifndef KVS_LSM_DB_H_
#define KVS_LSM_DB_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lsm/iterator.h"
#include "lsm/options.h"
#include "lsm/write_batch.h"

namespace kvs {

// A consistent, read-only view of the database as of the moment it was taken.
// Obtained from DB::GetSnapshot and given back with DB::ReleaseSnapshot.
class Snapshot {
 protected:
  virtual ~Snapshot() = default;
};

// A key range [start, limit) for GetApproximateSizes.
struct Range {
  std::string_view start;
  std::string_view limit;
};

// A persistent, ordered map from byte-string keys to byte-string values.
//
// Thread-safety: every method may be called concurrently from any number of
// threads; a DB needs no external synchronisation. Iterators and snapshots it
// returns follow their own rules (an Iterator is used by one thread at a time).
//
// Durability: a write acknowledged with WriteOptions::sync survives a machine
// crash; a write without it survives a process crash. After a background I/O
// error (WAL, flush, compaction or MANIFEST write) every later write fails with
// that error; reads keep working.
class DB {
 public:
  // Opens the database in directory path. Errors: InvalidArgument for
  // nonsensical options or a missing database without create_if_missing (or an
  // existing one with error_if_exists); Unavailable if another DB object (in
  // this or another process) has it open; DataLoss when recovery finds damage
  // it may not skip (any damage with paranoid_checks); I/O errors.
  static absl::StatusOr<std::unique_ptr<DB>> Open(const Options& options,
                                                  const std::string& path);

  DB() = default;
  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;
  // Waits for running background work, then closes. Unreleased snapshots and
  // live iterators must be gone before the DB is destroyed.
  virtual ~DB() = default;

  // Sets key to value. Returns the background error if writes are stopped, or
  // the I/O error of this write's WAL append/sync.
  virtual absl::Status Put(const WriteOptions& options, std::string_view key,
                           std::string_view value) = 0;
  // Removes key; not an error if it does not exist.
  virtual absl::Status Delete(const WriteOptions& options,
                              std::string_view key) = 0;
  // Applies every update of batch atomically. A null or empty batch is a no-op
  // that still waits for (and with sync, syncs) earlier writes.
  virtual absl::Status Write(const WriteOptions& options,
                             WriteBatch* batch) = 0;

  // The value of key, or NotFound if it is absent. DataLoss if the data needed
  // is damaged.
  virtual absl::StatusOr<std::string> Get(const ReadOptions& options,
                                          std::string_view key) = 0;

  // An iterator over the whole database (or the bounds in options) as of
  // options.snapshot or now. It starts unpositioned. Errors show up in its
  // status(). The caller deletes it before the DB.
  virtual std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) = 0;

  // A snapshot of the current state; release it with ReleaseSnapshot. Never
  // fails.
  virtual const Snapshot* GetSnapshot() = 0;
  virtual void ReleaseSnapshot(const Snapshot* snapshot) = 0;

  // Introspection; returns false for an unknown property. Properties:
  //   "kvs.stats"                        multi-line statistics: levels,
  //   flushes, compactions,
  //                                      stalls, write amplification
  //   "kvs.num-files-at-level<N>"        number of tables at level N
  //   "kvs.approximate-memory-usage"     bytes held by memtables and the block
  //   cache "kvs.sstables"                     one line per table: level,
  //   number, size, key range
  virtual bool GetProperty(std::string_view property, std::string* value) = 0;

  // For each range, the approximate bytes of table files holding its keys
  // (memtables excluded).
  virtual std::vector<uint64_t> GetApproximateSizes(
      const std::vector<Range>& ranges) = 0;

  // Writes the memtable to a level-0 table and waits until it is durable. An
  // empty memtable is a no-op. Returns the flush's error, if any.
  virtual absl::Status Flush() = 0;

  // Compacts every level overlapping [*begin, *end] (nullptr for an open end)
  // down to the last level, so deleted and overwritten data in the range leave
  // the disk. Waits for completion.
  virtual absl::Status CompactRange(const std::string_view* begin,
                                    const std::string_view* end) = 0;
};

// Deletes the database in path and its files. OK if it does not exist.
// Unavailable if it is open.
absl::Status DestroyDB(const std::string& path, const Options& options);

// Rebuilds the MANIFEST (and CURRENT) of the database in path from the tables
// and WALs present, for when they are lost or damaged; the database must not
// be open. WALs are replayed into level-0 tables (skipping damaged records);
// every table is read in full with checksums, and those that cannot be read
// are moved to the path/lost/ directory; the new MANIFEST lists all the good
// tables at level 0, and the old MANIFESTs and replayed WALs go to lost/ too.
// When the tables' key ranges and update order overlap, the result is
// compacted once before returning. Data in lost tables or damaged WAL records
// is gone from the database; what repair did is written to the LOG. Errors:
// NotFound if path does not exist; Unavailable if the database is open;
// InvalidArgument for nonsensical options or tables written with another
// comparator (nothing is changed then); I/O errors. Defined in lsm/repair.cc.
absl::Status RepairDB(const std::string& path, const Options& options);

}  // namespace kvs

#endif  // KVS_LSM_DB_H_
