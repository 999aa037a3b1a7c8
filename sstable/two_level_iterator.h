#ifndef KVS_SSTABLE_TWO_LEVEL_ITERATOR_H_
#define KVS_SSTABLE_TWO_LEVEL_ITERATOR_H_

#include <functional>
#include <string_view>

#include "lsm/iterator.h"
#include "lsm/options.h"

namespace kvs {

// Makes the iterator over the entries one index entry points to, given that
// entry's value (for a table: a block handle; for a level: a file's number and
// size). Must not return nullptr; report failure with NewErrorIterator(status).
using DataIteratorFunction =
    std::function<Iterator*(std::string_view index_value)>;

// Iterates over the concatenation of the data iterators named by index_iter's
// values, in index order: how a table iterates over its blocks and a level over
// its files. The index's keys must separate the data: every key of data
// iterator i is <= index key i and > index key i-1. Empty data iterators are
// skipped in both directions. Errors (from the index or any data iterator) are
// sticky: once one is met the iterator stays invalid and status() returns the
// first.
//
// Takes ownership of index_iter. The result is owned by the caller; it is not
// thread-safe (as any iterator).
Iterator* NewTwoLevelIterator(Iterator* index_iter,
                              DataIteratorFunction data_iterator_function);

// The same data-iterator factory as a plain function: arg is the caller's
// object (a table), options a copy of the read's options. Unlike a
// DataIteratorFunction, whose captures rarely fit std::function's inline
// buffer, it costs no allocation per iterator.
using DataBlockFunction = Iterator* (*)(const void* arg,
                                        const ReadOptions& options,
                                        std::string_view index_value);

// As above, with data iterators made by data_block_function(arg, options,
// index value). arg must outlive the result.
Iterator* NewTwoLevelIterator(Iterator* index_iter,
                              DataBlockFunction data_block_function,
                              const void* arg, const ReadOptions& options);

}  // namespace kvs

#endif  // KVS_SSTABLE_TWO_LEVEL_ITERATOR_H_
