#ifndef KVS_LSM_SNAPSHOT_LIST_H_
#define KVS_LSM_SNAPSHOT_LIST_H_

#include <cassert>
#include <cstdint>
#include <vector>

#include "lsm/db.h"

namespace kvs {

// A snapshot is a sequence number: reads through it see exactly the writes
// numbered at or below it.
class SnapshotImpl final : public Snapshot {
 public:
  explicit SnapshotImpl(uint64_t sequence) : sequence_(sequence) {}
  uint64_t sequence() const { return sequence_; }

 private:
  friend class SnapshotList;
  ~SnapshotImpl() override = default;

  const uint64_t sequence_;
  SnapshotImpl* prev_ = nullptr;
  SnapshotImpl* next_ = nullptr;
};

// The live snapshots, oldest first (sequence numbers only grow, so appending
// keeps the order). Compaction keeps every version some snapshot can see.
// Thread-safety: guarded by the DB mutex.
class SnapshotList {
 public:
  SnapshotList() : head_(0) {
    head_.prev_ = &head_;
    head_.next_ = &head_;
  }
  ~SnapshotList() { assert(empty()); }

  bool empty() const { return head_.next_ == &head_; }
  uint64_t oldest() const {
    assert(!empty());
    return head_.next_->sequence_;
  }

  // Sequence numbers of the live snapshots, ascending.
  std::vector<uint64_t> Sequences() const {
    std::vector<uint64_t> result;
    for (const SnapshotImpl* s = head_.next_; s != &head_; s = s->next_) {
      result.push_back(s->sequence_);
    }
    return result;
  }

  const SnapshotImpl* New(uint64_t sequence) {
    assert(empty() || head_.prev_->sequence_ <= sequence);
    auto* s = new SnapshotImpl(sequence);
    s->next_ = &head_;
    s->prev_ = head_.prev_;
    s->prev_->next_ = s;
    s->next_->prev_ = s;
    return s;
  }

  void Delete(const SnapshotImpl* s) {
    s->prev_->next_ = s->next_;
    s->next_->prev_ = s->prev_;
    delete s;
  }

 private:
  SnapshotImpl head_;
};

}  // namespace kvs

#endif  // KVS_LSM_SNAPSHOT_LIST_H_
