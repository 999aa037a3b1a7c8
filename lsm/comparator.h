#ifndef KVS_LSM_COMPARATOR_H_
#define KVS_LSM_COMPARATOR_H_

#include <string>
#include <string_view>

namespace kvs {

// A total order over keys. Tables and the MANIFEST record the comparator's
// name, and a database refuses to open with a comparator of a different name,
// so an implementation whose order changes must change its name too.
//
// Thread-safety: implementations must be safe to call from many threads at once
// (they are normally stateless).
class Comparator {
 public:
  virtual ~Comparator() = default;

  // Returns <0, 0 or >0 as a is less than, equal to or greater than b.
  virtual int Compare(std::string_view a, std::string_view b) const = 0;

  // Identifies the order on disk. Names starting with "kvs." are reserved.
  virtual const char* Name() const = 0;

  // Index-size helpers: they may shorten a key, but only to another key that
  // keeps the order the index relies on.
  //
  // If *start < limit, changes *start to a short string in [*start, limit).
  // Leaving *start unchanged is always correct.
  virtual void FindShortestSeparator(std::string* start,
                                     std::string_view limit) const = 0;
  // Changes *key to a short string >= *key. Leaving *key unchanged is always
  // correct.
  virtual void FindShortSuccessor(std::string* key) const = 0;
};

// The default order: lexicographic over unsigned bytes (memcmp). Named
// "kvs.BytewiseComparator". The result is a process-wide singleton that must
// not be deleted. Defined in //util (linked by
// //lsm).
const Comparator* BytewiseComparator();

}  // namespace kvs

#endif  // KVS_LSM_COMPARATOR_H_
