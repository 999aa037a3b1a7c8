#ifndef KVS_LSM_ITERATOR_H_
#define KVS_LSM_ITERATOR_H_

#include <cstddef>
#include <new>
#include <string_view>
#include <type_traits>
#include <utility>

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
    first_cleanup_.Run();
    for (Cleanup* c = more_cleanups_; c != nullptr;) {
      Cleanup* next = c->next;
      c->Run();
      delete c;
      c = next;
    }
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

  // Arranges for fn (any callable taking no arguments) to run when this
  // iterator is destroyed: how an iterator keeps alive (and then releases) the
  // blocks, tables and versions it reads from.
  //
  // Iterators are made per read, so the usual case, one cleanup capturing at
  // most four pointers, allocates nothing: it is kept inside the iterator.
  template <typename F>
  void RegisterCleanup(F fn) {
    static_assert(std::is_invocable_v<F&>, "a cleanup takes no arguments");
    Cleanup* slot = &first_cleanup_;
    if (!first_cleanup_.empty()) {
      Cleanup** link = &more_cleanups_;
      while (*link != nullptr) link = &(*link)->next;
      slot = *link = new Cleanup;
    }
    slot->Set(std::move(fn));
  }

 private:
  // One registered function, stored inline when it fits (and may be moved
  // without throwing), else on the heap. Never copied or moved once set.
  class Cleanup {
   public:
    Cleanup() = default;
    Cleanup(const Cleanup&) = delete;
    Cleanup& operator=(const Cleanup&) = delete;

    bool empty() const { return run_ == nullptr; }

    template <typename F>
    void Set(F fn) {
      if constexpr (sizeof(F) <= kInlineSize && alignof(F) <= alignof(void*) &&
                    std::is_nothrow_move_constructible_v<F>) {
        ::new (static_cast<void*>(storage_)) F(std::move(fn));
        run_ = [](void* p) {
          F* f = static_cast<F*>(p);
          (*f)();
          f->~F();
        };
      } else {
        ::new (static_cast<void*>(storage_)) F*(new F(std::move(fn)));
        run_ = [](void* p) {
          F* f = *static_cast<F**>(p);
          (*f)();
          delete f;
        };
      }
    }

    // Runs the function and destroys it; nothing if none was set.
    void Run() {
      if (run_ != nullptr) run_(storage_);
    }

    Cleanup* next = nullptr;  // The cleanup registered after this one.

   private:
    static constexpr size_t kInlineSize = 4 * sizeof(void*);

    void (*run_)(void* storage) = nullptr;
    alignas(void*) unsigned char storage_[kInlineSize];
  };

  Cleanup first_cleanup_;
  // The cleanups after the first, in registration order. Rare (an iterator
  // normally registers one), so appending walks the list.
  Cleanup* more_cleanups_ = nullptr;
};

}  // namespace kvs

#endif  // KVS_LSM_ITERATOR_H_
