#ifndef KVS_SSTABLE_TABLE_PROPERTIES_H_
#define KVS_SSTABLE_TABLE_PROPERTIES_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "lsm/options.h"

namespace kvs {

// Facts about a table, recorded by TableBuilder in the table's properties
// block.
struct TableProperties {
  uint64_t num_entries = 0;
  uint64_t raw_key_size = 0;    // Sum of the sizes of all keys added.
  uint64_t raw_value_size = 0;  // Sum of the sizes of all values added.
  uint64_t data_size = 0;       // Bytes of data blocks, trailers included.
  uint64_t index_size = 0;      // Stored bytes of the index block.
  uint64_t filter_size = 0;     // Bytes of the filter block (0 if none).
  uint64_t num_data_blocks = 0;
  std::string smallest_key;  // Empty if the table is empty.
  std::string largest_key;
  CompressionType compression = CompressionType::kNone;  // As configured.
  std::string filter_policy_name;  // Empty if the table has no filter.
  std::string comparator_name;

  // The properties block's contents: a block (restart interval 1) whose entries
  // are the property names of docs/format.md in sorted order.
  std::string Encode() const;

  // Parses a properties block. Unknown names are ignored, so newer writers can
  // add properties; missing ones keep their defaults. DataLoss if the block or
  // a value is malformed.
  absl::Status Decode(std::string_view block);
};

}  // namespace kvs

#endif  // KVS_SSTABLE_TABLE_PROPERTIES_H_
