#ifndef KVS_SSTABLE_MERGING_ITERATOR_H_
#define KVS_SSTABLE_MERGING_ITERATOR_H_

#include <vector>

#include "lsm/comparator.h"
#include "lsm/iterator.h"

namespace kvs {

// An iterator over the union of children's entries, in comparator order.
// Entries with equal keys in several children are all returned, the child with
// the lower index first (the DB passes its sources newest first, so the newest
// version of a key comes first); going backward yields the exact reverse of
// that order. Moving forward and backward may be mixed freely.
//
// Takes ownership of children (deleting them with the result). With no children
// the result is empty; with one child the result is that child itself.
//
// Errors: when a child becomes invalid with a non-OK status, the merged
// iterator becomes invalid too; status() returns the non-OK status of the
// lowest-index child that has one, else OK. A new Seek* tries again.
//
// Thread-safety: like any iterator, for one thread at a time. cmp must outlive
// the result.
Iterator* NewMergingIterator(const Comparator* cmp,
                             std::vector<Iterator*> children);

}  // namespace kvs

#endif  // KVS_SSTABLE_MERGING_ITERATOR_H_
