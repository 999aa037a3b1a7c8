#ifndef KVS_LSM_FILTER_POLICY_H_
#define KVS_LSM_FILTER_POLICY_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kvs {

// Builds a small summary (a filter) of a set of keys that can answer "is key k
// perhaps in the set?" with no false negatives and few false positives. Each
// table stores one filter over the user keys it holds, so a point read for a
// key the table lacks usually costs no data-block read.
//
// The name is stored in each table; a table whose filter was built by a policy
// of a different name is read without its filter (correct, only slower).
//
// Thread-safety: implementations must be safe for concurrent use (they are
// normally stateless).
class FilterPolicy {
 public:
  virtual ~FilterPolicy() = default;

  virtual const char* Name() const = 0;

  // Appends to *dst a filter summarising keys (which may repeat and are in any
  // order).
  virtual void CreateFilter(const std::vector<std::string_view>& keys,
                            std::string* dst) const = 0;

  // False only if key was certainly not among the keys the filter was built
  // from. A malformed filter answers true (the read falls back to the data).
  virtual bool KeyMayMatch(std::string_view key,
                           std::string_view filter) const = 0;
};

// A Bloom filter using about bits_per_key bits per key, with every probe of a
// key inside one 64-byte cache line (one memory miss per check). At 10 bits per
// key the false-positive rate is about 1%. bits_per_key is clamped to [1, 100].
// Defined in //sstable (linked by //lsm).
std::shared_ptr<const FilterPolicy> NewBloomFilterPolicy(double bits_per_key);

}  // namespace kvs

#endif  // KVS_LSM_FILTER_POLICY_H_
