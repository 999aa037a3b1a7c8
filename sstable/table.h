#ifndef KVS_SSTABLE_TABLE_H_
#define KVS_SSTABLE_TABLE_H_

#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lsm/file_system.h"
#include "lsm/iterator.h"
#include "lsm/options.h"
#include "sstable/block.h"
#include "sstable/format.h"
#include "sstable/table_options.h"
#include "sstable/table_properties.h"

namespace kvs {

// An open, immutable table file. The index and filter are read once at Open and
// stay in memory; data blocks are read on demand, through the block cache when
// there is one.
//
// Thread-safety: every method is const and may be called from many threads at
// once. The Table must outlive every iterator it returns.
class Table {
 public:
  // Opens the table held by file, whose size is file_size. Reads the footer and
  // the metadata behind the data blocks (normally with one read), checking
  // every checksum. Errors: DataLoss if the file is not a table or is damaged
  // or truncated; InvalidArgument if it was written with a comparator of
  // another name; the file's error if a read fails.
  static absl::StatusOr<std::unique_ptr<Table>> Open(
      const TableOptions& options, std::unique_ptr<RandomAccessFile> file,
      uint64_t file_size);

  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;
  ~Table();

  // An iterator over every entry, in comparator order. Damage or read errors
  // make it invalid with a non-OK status(). The caller owns it.
  Iterator* NewIterator(const ReadOptions& options) const;

  // Receives the entry a point lookup found.
  using FoundFunction =
      absl::FunctionRef<void(std::string_view key, std::string_view value)>;

  // Point lookup: calls found(k, v) with the first entry whose key k >= key, if
  // the filter does not rule key out and that entry is in the data block the
  // index names for key. So found runs at most once, and whether k matches key
  // is up to the caller. Returns OK when nothing was found, DataLoss for
  // damage, or the file's read error.
  absl::Status InternalGet(const ReadOptions& options, std::string_view key,
                           FoundFunction found) const;

  // Approximate offset in the file of the data for key: the start of the data
  // block that would hold it, or the end of the data blocks for a key past the
  // last one. Non-decreasing in key.
  uint64_t ApproximateOffsetOf(std::string_view key) const;

  const TableProperties& properties() const { return props_; }
  // True if the table has a filter usable with options.filter_policy.
  bool has_filter() const { return !filter_.empty(); }
  // Bytes this object keeps in memory (index, filter and other metadata).
  size_t MemoryUsage() const;

 private:
  // A data block pinned for reading: released from the cache or deleted on
  // destruction.
  class BlockRef;

  Table(const TableOptions& options, std::unique_ptr<RandomAccessFile> file,
        uint64_t file_size);

  absl::Status ReadMetadata();
  absl::Status GetDataBlock(const ReadOptions& options,
                            std::string_view index_value, BlockRef* ref) const;
  Iterator* NewDataBlockIterator(const ReadOptions& options,
                                 std::string_view index_value) const;
  // NewDataBlockIterator as a DataBlockFunction; table is the Table.
  static Iterator* DataBlockIterator(const void* table,
                                     const ReadOptions& options,
                                     std::string_view index_value);

  const TableOptions options_;
  const std::unique_ptr<RandomAccessFile> file_;
  const uint64_t file_size_;
  uint64_t cache_id_ = 0;

  Footer footer_;
  // The bytes from footer_.meta_offset to the end of the file: filter, index,
  // properties and metaindex blocks, which the members below may point into.
  std::unique_ptr<char[]> tail_;
  size_t tail_size_ = 0;
  std::unique_ptr<Block> index_;
  BlockContents filter_contents_;
  std::string_view filter_;  // Empty if there is no usable filter.
  TableProperties props_;
};

}  // namespace kvs

#endif  // KVS_SSTABLE_TABLE_H_
