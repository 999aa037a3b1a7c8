#ifndef KVS_SSTABLE_EMPTY_ITERATOR_H_
#define KVS_SSTABLE_EMPTY_ITERATOR_H_

#include "absl/status/status.h"
#include "lsm/iterator.h"

namespace kvs {

// An iterator over nothing, with an OK status. The caller owns the result.
Iterator* NewEmptyIterator();

// An iterator over nothing whose status() is status: how a factory that failed
// (a table that would not open, a block that would not read) still returns an
// iterator. The caller owns the result.
Iterator* NewErrorIterator(absl::Status status);

}  // namespace kvs

#endif  // KVS_SSTABLE_EMPTY_ITERATOR_H_
