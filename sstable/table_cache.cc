#include "sstable/table_cache.h"

#include <algorithm>
#include <string>
#include <utility>

#include "sstable/empty_iterator.h"
#include "sstable/lru_cache.h"
#include "util/coding.h"

namespace kvs {
namespace {

// Cache keys are the file number in fixed 8 bytes: cheap to build and hash, no
// allocation.
struct FileKey {
  explicit FileKey(uint64_t file_number) { EncodeFixed64(buf, file_number); }
  std::string_view view() const { return std::string_view(buf, sizeof(buf)); }
  char buf[8];
};

void DeleteTable(std::string_view, void* value) {
  delete static_cast<Table*>(value);
}

}  // namespace

size_t TableCache::TablesForMaxOpenFiles(int max_open_files) {
  return static_cast<size_t>(std::max(max_open_files - kReservedOpenFiles, 1));
}

TableCache::TableCache(FileSystem* fs, FileNameFunction file_name,
                       const TableOptions& table_options,
                       size_t max_open_tables)
    : fs_(fs),
      file_name_(std::move(file_name)),
      table_options_(table_options),
      cache_(NewLRUCache(std::max<size_t>(max_open_tables, 1))) {}

TableCache::~TableCache() = default;

TableCache::TableRef::TableRef(TableRef&& other) noexcept
    : cache_(other.cache_), handle_(other.handle_), table_(other.table_) {
  other.cache_ = nullptr;
  other.handle_ = nullptr;
  other.table_ = nullptr;
}

TableCache::TableRef& TableCache::TableRef::operator=(
    TableRef&& other) noexcept {
  if (this != &other) {
    Reset();
    std::swap(cache_, other.cache_);
    std::swap(handle_, other.handle_);
    std::swap(table_, other.table_);
  }
  return *this;
}

TableCache::TableRef::~TableRef() { Reset(); }

void TableCache::TableRef::Reset() {
  if (handle_ != nullptr) cache_->Release(handle_);
  cache_ = nullptr;
  handle_ = nullptr;
  table_ = nullptr;
}

absl::StatusOr<std::unique_ptr<Table>> TableCache::OpenTable(
    uint64_t file_number, uint64_t file_size) {
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> file =
      fs_->NewRandomAccessFile(file_name_(file_number));
  if (!file.ok()) return file.status();
  return Table::Open(table_options_, *std::move(file), file_size);
}

absl::StatusOr<Cache::Handle*> TableCache::FindHandle(uint64_t file_number,
                                                      uint64_t file_size) {
  const FileKey key(file_number);
  if (Cache::Handle* h = cache_->Lookup(key.view()); h != nullptr) return h;

  // A miss. Either join an open already under way or become the opener. The
  // opener inserts into the cache before it retires its PendingOpen, so a
  // thread that finds no PendingOpen under mu_ also finds the table in the
  // cache if it was just opened.
  std::shared_ptr<PendingOpen> pending;
  {
    MutexLock lock(&mu_);
    while (true) {
      auto it = pending_.find(file_number);
      if (it != pending_.end()) {
        std::shared_ptr<PendingOpen> other = it->second;
        WaitUntilDone(other.get());
        if (!other->status.ok()) return other->status;
        // The opener succeeded: the table is in the cache, unless it was
        // already evicted, in which case we loop and may open it ourselves.
      }
      if (Cache::Handle* h = cache_->Lookup(key.view()); h != nullptr) {
        return h;
      }
      if (pending_.count(file_number) == 0) break;
    }
    pending = std::make_shared<PendingOpen>(&mu_);
    pending_.emplace(file_number, pending);
  }

  // Slow I/O happens outside mu_, so opens of different files run in parallel.
  absl::StatusOr<std::unique_ptr<Table>> table =
      OpenTable(file_number, file_size);
  Cache::Handle* handle = nullptr;
  if (table.ok()) {
    handle = cache_->Insert(key.view(), table->release(), 1, &DeleteTable);
  }

  MutexLock lock(&mu_);
  pending->done = true;
  pending->status = table.status();
  pending_.erase(file_number);
  pending->done_cv.SignalAll();
  if (!table.ok()) return table.status();
  return handle;
}

void TableCache::WaitUntilDone(PendingOpen* pending) {
  while (!pending->done) pending->done_cv.Wait();
}

absl::StatusOr<TableCache::TableRef> TableCache::FindTable(uint64_t file_number,
                                                           uint64_t file_size) {
  absl::StatusOr<Cache::Handle*> handle = FindHandle(file_number, file_size);
  if (!handle.ok()) return handle.status();
  return TableRef(cache_.get(), *handle,
                  static_cast<const Table*>(cache_->Value(*handle)));
}

Iterator* TableCache::NewIterator(const ReadOptions& options,
                                  uint64_t file_number, uint64_t file_size,
                                  const Table** table) {
  if (table != nullptr) *table = nullptr;
  absl::StatusOr<Cache::Handle*> handle = FindHandle(file_number, file_size);
  if (!handle.ok()) return NewErrorIterator(handle.status());
  const Table* t = static_cast<const Table*>(cache_->Value(*handle));
  Iterator* iter = t->NewIterator(options);
  // The iterator keeps the table open. This TableCache outlives its iterators
  // (see the destructor's contract), so the cleanup can hold plain pointers.
  Cache* cache = cache_.get();
  Cache::Handle* h = *handle;
  iter->RegisterCleanup([cache, h] { cache->Release(h); });
  if (table != nullptr) *table = t;
  return iter;
}

absl::Status TableCache::Get(const ReadOptions& options, uint64_t file_number,
                             uint64_t file_size, std::string_view key,
                             Table::FoundFunction found) {
  absl::StatusOr<Cache::Handle*> handle = FindHandle(file_number, file_size);
  if (!handle.ok()) return handle.status();
  const Table* t = static_cast<const Table*>(cache_->Value(*handle));
  absl::Status s = t->InternalGet(options, key, found);
  cache_->Release(*handle);
  return s;
}

void TableCache::Evict(uint64_t file_number) {
  cache_->Erase(FileKey(file_number).view());
}

}  // namespace kvs
