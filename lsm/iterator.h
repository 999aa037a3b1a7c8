#ifndef KVS_LSM_ITERATOR_H_
#define KVS_LSM_ITERATOR_H_

#include <functional>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace kvs {

// A position in a sorted sequence of key/value pairs. Every layer of kvs
// (memtable, block, table, level, database) returns its data through this
// interface.
//
// key() and value() are valid only while the iterator is Valid() and only until
// the next call that moves it (Seek*, Next, Prev) or its destruction.
//
// Thread-safety: an iterator is not safe for concurrent use; use one iterator
// per thread. Distinct iterators over the same data may be used concurrently.
class Iterator {
 public:
  Iterator() = default;
  Iterator(const Iterator&) = delete;
  Iterator& operator=(const Iterator&) = delete;

  // Runs the registered cleanup functions, in the order they were registered.
  virtual ~Iterator() {
    for (auto& fn : cleanups_) fn();
  }

  // True when the iterator is positioned at an entry. After an error it is
  // false, and status() says what went wrong.
  virtual bool Valid() const = 0;

  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  // Positions at the first entry whose key is >= target, or makes the iterator
  // invalid.
  virtual void Seek(std::string_view target) = 0;
  // REQUIRES: Valid().
  virtual void Next() = 0;
  // REQUIRES: Valid().
  virtual void Prev() = 0;

  // REQUIRES: Valid().
  virtual std::string_view key() const = 0;
  // REQUIRES: Valid().
  virtual std::string_view value() const = 0;

  // OK, or the first error met (DataLoss for corrupted data, an I/O error,
  // ...). An iterator that met an error is not Valid().
  virtual absl::Status status() const = 0;

  // Arranges for fn to run when this iterator is destroyed: how an iterator
  // keeps alive (and then releases) the blocks, tables and versions it reads
  // from.
  void RegisterCleanup(std::function<void()> fn) {
    cleanups_.push_back(std::move(fn));
  }

 private:
  std::vector<std::function<void()>> cleanups_;
};

}  // namespace kvs

#endif  // KVS_LSM_ITERATOR_H_
