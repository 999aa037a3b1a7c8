#ifndef KVS_LSM_DB_ITER_H_
#define KVS_LSM_DB_ITER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "lsm/comparator.h"
#include "lsm/iterator.h"

namespace kvs {

// Turns an iterator over internal keys (every version of every key, newest
// first within a key) into the user's view as of sequence: each user key once,
// with its newest value at or below sequence, deletions hidden, restricted to
// [lower_bound, upper_bound) where given. A malformed internal key stops the
// iterator with a DataLoss status.
//
// Takes ownership of internal_iter. Not thread-safe (as any iterator).
Iterator* NewDBIterator(const Comparator* user_comparator,
                        Iterator* internal_iter, uint64_t sequence,
                        std::optional<std::string> lower_bound,
                        std::optional<std::string> upper_bound);

}  // namespace kvs

#endif  // KVS_LSM_DB_ITER_H_
