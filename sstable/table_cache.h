#ifndef KVS_SSTABLE_TABLE_CACHE_H_
#define KVS_SSTABLE_TABLE_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lsm/cache.h"
#include "lsm/file_system.h"
#include "lsm/iterator.h"
#include "lsm/options.h"
#include "sstable/table.h"
#include "sstable/table_options.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace kvs {

// Keeps recently used tables open, keyed by file number, so that reads do not
// reopen a file (and re-read its index and filter) every time. At most
// max_open_tables tables are held open by the cache, least recently used closed
// first; a table that an iterator or a call is using stays open until that use
// ends, even if it is evicted meanwhile.
//
// Opening is done once per file even under concurrency: while one thread opens
// a table, other threads asking for it wait for that open and share its result
// (a failed open is not cached, so a later call tries again).
//
// Errors: the file system's error if the file cannot be opened (NotFound when
// it is missing); Table::Open's error if it is not a valid table (DataLoss for
// damage).
//
// Thread-safety: every method may be called concurrently.
class TableCache {
 public:
  // The path of the table file with a given number.
  using FileNameFunction = std::function<std::string(uint64_t file_number)>;

  // Files a database keeps open besides tables (WAL, MANIFEST, LOG, LOCK, ...),
  // subtracted from Options::max_open_files by TablesForMaxOpenFiles.
  static constexpr int kReservedOpenFiles = 10;

  // How many tables to keep open for a given Options::max_open_files (at least
  // 1).
  static size_t TablesForMaxOpenFiles(int max_open_files);

  // fs must outlive the cache; so must table_options.comparator and
  // table_options.block_cache. max_open_tables of 0 is treated as 1.
  TableCache(FileSystem* fs, FileNameFunction file_name,
             const TableOptions& table_options, size_t max_open_tables);
  TableCache(const TableCache&) = delete;
  TableCache& operator=(const TableCache&) = delete;
  // REQUIRES: no iterator or TableRef from this cache is alive.
  ~TableCache();

  // An open table pinned by the caller: it stays open until the TableRef is
  // destroyed, even if the cache evicts it. Movable.
  class TableRef {
   public:
    TableRef() = default;
    TableRef(TableRef&& other) noexcept;
    TableRef& operator=(TableRef&& other) noexcept;
    ~TableRef();

    const Table* get() const { return table_; }
    const Table* operator->() const { return table_; }
    const Table& operator*() const { return *table_; }

   private:
    friend class TableCache;
    TableRef(Cache* cache, Cache::Handle* handle, const Table* table)
        : cache_(cache), handle_(handle), table_(table) {}
    void Reset();

    Cache* cache_ = nullptr;
    Cache::Handle* handle_ = nullptr;
    const Table* table_ = nullptr;
  };

  // The table with this number, opening it if it is not open. file_size is the
  // file's size as recorded by the caller (the MANIFEST).
  absl::StatusOr<TableRef> FindTable(uint64_t file_number, uint64_t file_size);

  // An iterator over the table's entries. It pins the table for its lifetime.
  // If table is not null, *table is set to the table (valid while the iterator
  // lives), or to nullptr on error. On error returns an iterator that is not
  // Valid() and whose status() is the error. The caller owns the result.
  Iterator* NewIterator(const ReadOptions& options, uint64_t file_number,
                        uint64_t file_size, const Table** table = nullptr);

  // Point lookup through Table::InternalGet: calls found(k, v) at most once,
  // with the first entry whose key is >= key in the block that would hold key
  // (see Table::InternalGet). Returns OK if nothing was found, or the error
  // that opening or reading the table met.
  absl::Status Get(const ReadOptions& options, uint64_t file_number,
                   uint64_t file_size, std::string_view key,
                   Table::FoundFunction found);

  // Drops the table from the cache (call when its file is deleted). Uses in
  // progress keep it open until they end.
  void Evict(uint64_t file_number);

  // The cache holding the open tables, for its statistics (charge 1 per table).
  // A lookup that misses checks the cache a second time before opening, so each
  // open counts two misses.
  const Cache& cache() const { return *cache_; }

 private:
  // An open in progress, which later askers for the same file wait for.
  struct PendingOpen {
    explicit PendingOpen(Mutex* mu) : done_cv(mu) {}
    CondVar done_cv;
    // Guarded by TableCache::mu_.
    bool done = false;
    absl::Status status;
  };

  // Blocks until pending's opener is done. The analysis is off because
  // CondVar::Wait names its own pointer to the mutex, which the analysis cannot
  // match with mu_, held here.
  void WaitUntilDone(PendingOpen* pending)
      KVS_REQUIRES(mu_) KVS_NO_THREAD_SAFETY_ANALYSIS;
  absl::StatusOr<Cache::Handle*> FindHandle(uint64_t file_number,
                                            uint64_t file_size);
  absl::StatusOr<std::unique_ptr<Table>> OpenTable(uint64_t file_number,
                                                   uint64_t file_size);

  FileSystem* const fs_;
  const FileNameFunction file_name_;
  const TableOptions table_options_;
  const std::shared_ptr<Cache> cache_;

  Mutex mu_;
  std::map<uint64_t, std::shared_ptr<PendingOpen>> pending_ KVS_GUARDED_BY(mu_);
};

}  // namespace kvs

#endif  // KVS_SSTABLE_TABLE_CACHE_H_
