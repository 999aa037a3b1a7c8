#ifndef KVS_MEMTABLE_MEMTABLE_H_
#define KVS_MEMTABLE_MEMTABLE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "lsm/iterator.h"
#include "memtable/internal_key.h"
#include "memtable/skiplist.h"
#include "util/arena.h"

namespace kvs {

// What MemTable::Get found for a user key as of the lookup's sequence number.
enum class MemTableGetResult {
  kAbsent,   // No version of the key: look in older memtables and tables.
  kFound,    // The newest visible version is a value (stored in *value).
  kDeleted,  // The newest visible version is a deletion: the key does not
             // exist; stop looking.
};

// The in-memory table that collects recent updates until it is flushed to a
// level-0 table. Every update is kept (not overwritten) as an internal key, so
// reads at older sequence numbers still see older versions.
//
// Lifetime: reference counted. A new MemTable has no references; the creator
// calls Ref(), and whoever else needs it (a read, an iterator, the flush of an
// immutable memtable) holds its own reference. Unref() deletes it when the
// count reaches zero. The destructor is private: always allocate with new and
// release with Unref().
//
// Thread-safety: Add needs external synchronisation (one writer at a time).
// Get, NewIterator, iterators and ApproximateMemoryUsage may run concurrently
// with each other and with the writer, without locks. Ref/Unref are safe from
// any thread.
class MemTable {
 public:
  // The comparator is copied; its user comparator must outlive the memtable.
  explicit MemTable(const InternalKeyComparator& comparator);
  MemTable(const MemTable&) = delete;
  MemTable& operator=(const MemTable&) = delete;

  void Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  // Drops a reference; deletes this memtable when it was the last.
  void Unref();

  // Adds the entry (key, sequence, type) -> value. For kTypeDeletion the value
  // is normally empty. REQUIRES: sequence <= kMaxSequenceNumber; no entry with
  // the same key and sequence and type was added before (sequence numbers are
  // unique per update); no concurrent Add.
  void Add(SequenceNumber sequence, ValueType type, std::string_view key,
           std::string_view value);

  // Looks up the newest version of key.user_key() with sequence <= the lookup's
  // sequence. On kFound, *value holds the value; otherwise *value is unchanged.
  MemTableGetResult Get(const LookupKey& key, std::string* value) const;

  // An iterator over all entries in internal-key order; key() is the internal
  // key, value() the value. Seek takes an internal key. The caller owns the
  // iterator. The iterator holds its own reference to the memtable, so it stays
  // usable after the caller's reference is dropped. REQUIRES: the caller holds
  // a reference while calling this.
  Iterator* NewIterator();

  // Bytes of memory the memtable holds: what triggers a flush.
  size_t ApproximateMemoryUsage() const { return arena_.MemoryUsage(); }

  // Number of entries added (values and deletions).
  uint64_t num_entries() const {
    return num_entries_.load(std::memory_order_relaxed);
  }

  const InternalKeyComparator& comparator() const {
    return comparator_.comparator;
  }

 private:
  class MemTableIterator;

  // Orders skip-list entries, each a pointer to an encoded entry (see
  // memtable.cc) or to a LookupKey::memtable_key(): both start with a
  // length-prefixed internal key.
  struct KeyComparator {
    InternalKeyComparator comparator;
    explicit KeyComparator(const InternalKeyComparator& c) : comparator(c) {}
    int operator()(const char* a, const char* b) const;
  };
  using Table = SkipList<const char*, KeyComparator>;

  ~MemTable();

  std::atomic<int> refs_{0};
  std::atomic<uint64_t> num_entries_{0};
  KeyComparator comparator_;
  Arena arena_;
  Table table_;
};

}  // namespace kvs

#endif  // KVS_MEMTABLE_MEMTABLE_H_
