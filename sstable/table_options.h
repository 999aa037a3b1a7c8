#ifndef KVS_SSTABLE_TABLE_OPTIONS_H_
#define KVS_SSTABLE_TABLE_OPTIONS_H_

#include <cstddef>
#include <memory>

#include "lsm/cache.h"
#include "lsm/comparator.h"
#include "lsm/filter_policy.h"
#include "lsm/options.h"

namespace kvs {

// How tables are written (TableBuilder) and read (Table). The DB derives these
// from Options, passing its internal-key comparator and a filter policy over
// user keys.
struct TableOptions {
  // Order of the keys; its name is stored in the table and checked when it is
  // opened. Must outlive every builder and table using it.
  const Comparator* comparator = BytewiseComparator();

  // Filter over the table's keys (as the policy sees them); nullptr for none. A
  // table is read with its filter only if it was written by a policy of the
  // same name.
  std::shared_ptr<const FilterPolicy> filter_policy;

  // Cache of uncompressed data blocks, shared by tables; nullptr to read blocks
  // from the file every time. Must outlive every table using it.
  Cache* block_cache = nullptr;

  // Writing only: target uncompressed size of a data block (a block closes once
  // it reaches this size), entries between restart points, and the compression
  // tried on each block.
  size_t block_size = 4096;
  int block_restart_interval = 16;
  CompressionType compression = CompressionType::kSnappy;
};

}  // namespace kvs

#endif  // KVS_SSTABLE_TABLE_OPTIONS_H_
