#ifndef KVS_SSTABLE_TABLE_BUILDER_H_
#define KVS_SSTABLE_TABLE_BUILDER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "lsm/file_system.h"
#include "sstable/block_builder.h"
#include "sstable/format.h"
#include "sstable/table_options.h"
#include "sstable/table_properties.h"

namespace kvs {

// Writes a table (docs/format.md, "SSTable") to a file, front to back: sorted
// entries go into data blocks as they come; Finish appends the filter, index,
// properties, metaindex and footer. Only Finish produces a readable table. The
// builder neither syncs nor closes the file: the caller does, after Finish.
//
// Errors are sticky: after the first failure (a write error, or a key out of
// order) every call returns it and nothing more is written; the caller should
// Abandon and delete the file.
//
// Not thread-safe.
class TableBuilder {
 public:
  // file must outlive the builder. options.comparator and options.filter_policy
  // are used; block_cache is not.
  TableBuilder(const TableOptions& options, WritableFile* file);
  TableBuilder(const TableBuilder&) = delete;
  TableBuilder& operator=(const TableBuilder&) = delete;
  ~TableBuilder();

  // Appends an entry. key must be greater than every key added before (per the
  // comparator): otherwise returns InvalidArgument, writes nothing and keeps
  // that status. An entry whose key and value together reach 2 GiB is
  // rejected the same way. Returns status(). REQUIRES: neither Finish nor
  // Abandon was called.
  absl::Status Add(std::string_view key, std::string_view value);

  // Writes the rest of the table. Returns the final status. REQUIRES: neither
  // Finish nor Abandon was called.
  absl::Status Finish();

  // Gives up on the table: nothing more is written. REQUIRES: neither Finish
  // nor Abandon was called.
  void Abandon();

  uint64_t NumEntries() const { return props_.num_entries; }
  // Bytes written to the file so far (after Finish: the table's size).
  uint64_t FileSize() const { return offset_; }
  absl::Status status() const { return status_; }
  // What the properties block records; complete after a successful Finish.
  const TableProperties& properties() const { return props_; }

 private:
  void FlushDataBlock();
  void WriteBlock(std::string_view raw, BlockHandle* handle);
  void WriteStoredBlock(std::string_view stored, CompressionType type,
                        BlockHandle* handle);

  const TableOptions options_;
  WritableFile* const file_;
  uint64_t offset_ = 0;
  absl::Status status_;
  bool closed_ = false;

  BlockBuilder data_block_;
  BlockBuilder index_block_;
  std::string last_key_;
  // Set after a data block is written: its index entry waits for the next key,
  // so that the separator can be chosen between the block's last key and the
  // next block's first.
  bool pending_index_entry_ = false;
  BlockHandle pending_handle_;

  // Keys for the filter, concatenated, and where each starts.
  std::string filter_keys_;
  std::vector<size_t> filter_key_starts_;

  std::string compressed_;  // Scratch for compression.
  TableProperties props_;
};

}  // namespace kvs

#endif  // KVS_SSTABLE_TABLE_BUILDER_H_
