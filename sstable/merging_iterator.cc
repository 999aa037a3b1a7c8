#include "sstable/merging_iterator.h"

#include <cassert>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace kvs {
namespace {

// The children live in a binary heap ordered by (key, child index): a min-heap
// while moving forward and a max-heap while moving backward, so the top is
// always the current entry and a step costs one child move plus O(log n)
// comparisons.
//
// Invariant while moving forward: every child other than the top is positioned
// at its first entry that comes after the current one in (key, index) order, or
// is exhausted. Backward, every other child is at its last entry before the
// current one. So on a change of direction each other child needs only one step
// (or a SeekToFirst/SeekToLast if it was exhausted) instead of a Seek.
class MergingIterator final : public Iterator {
 public:
  MergingIterator(const Comparator* cmp, std::vector<Iterator*> children)
      : cmp_(cmp) {
    children_.reserve(children.size());
    for (Iterator* it : children) children_.push_back(Child{it, {}, false, 0});
  }

  ~MergingIterator() override {
    for (Child& c : children_) delete c.iter;
  }

  bool Valid() const override { return !failed_ && heap_size_ > 0; }

  void SeekToFirst() override {
    failed_ = false;
    for (size_t i = 0; i < children_.size(); i++) {
      children_[i].iter->SeekToFirst();
      Refresh(i);
    }
    direction_ = Direction::kForward;
    BuildHeap();
  }

  void SeekToLast() override {
    failed_ = false;
    for (size_t i = 0; i < children_.size(); i++) {
      children_[i].iter->SeekToLast();
      Refresh(i);
    }
    direction_ = Direction::kReverse;
    BuildHeap();
  }

  void Seek(std::string_view target) override {
    failed_ = false;
    for (size_t i = 0; i < children_.size(); i++) {
      children_[i].iter->Seek(target);
      Refresh(i);
    }
    direction_ = Direction::kForward;
    BuildHeap();
  }

  void Next() override {
    assert(Valid());
    uint32_t current = heap(0);
    if (direction_ == Direction::kForward) {
      children_[current].iter->Next();
      Refresh(current);
      FixTop();
      return;
    }
    // Every other child sits at its last entry before the current one; one step
    // forward puts it at its first entry after it. An exhausted child had
    // nothing before the current entry.
    for (uint32_t i = 0; i < children_.size(); i++) {
      if (i == current) continue;
      Iterator* it = children_[i].iter;
      if (children_[i].valid) {
        it->Next();
      } else {
        it->SeekToFirst();
      }
      Refresh(i);
    }
    children_[current].iter->Next();
    Refresh(current);
    direction_ = Direction::kForward;
    BuildHeap();
  }

  void Prev() override {
    assert(Valid());
    uint32_t current = heap(0);
    if (direction_ == Direction::kReverse) {
      children_[current].iter->Prev();
      Refresh(current);
      FixTop();
      return;
    }
    // Mirror image of the switch in Next.
    for (uint32_t i = 0; i < children_.size(); i++) {
      if (i == current) continue;
      Iterator* it = children_[i].iter;
      if (children_[i].valid) {
        it->Prev();
      } else {
        it->SeekToLast();
      }
      Refresh(i);
    }
    children_[current].iter->Prev();
    Refresh(current);
    direction_ = Direction::kReverse;
    BuildHeap();
  }

  std::string_view key() const override {
    assert(Valid());
    return children_[heap(0)].key;
  }

  std::string_view value() const override {
    assert(Valid());
    return children_[heap(0)].iter->value();
  }

  absl::Status status() const override {
    for (const Child& c : children_) {
      absl::Status s = c.iter->status();
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

 private:
  enum class Direction { kForward, kReverse };

  // A child with its validity and key cached, so heap comparisons make no
  // virtual calls. heap_entry is not about this child: it is slot i of the
  // heap, kept here so that children and heap take one allocation.
  struct Child {
    Iterator* iter;
    std::string_view key;
    bool valid;
    uint32_t heap_entry;
  };

  // Slot pos of the heap: the index of a valid child. REQUIRES: pos <
  // heap_size_.
  uint32_t& heap(size_t pos) { return children_[pos].heap_entry; }
  uint32_t heap(size_t pos) const { return children_[pos].heap_entry; }

  // Re-reads child i's state after it moved. A child that stops with an error
  // makes the whole iterator invalid: skipping its entries would silently
  // return a wrong merge.
  void Refresh(size_t i) {
    Child& c = children_[i];
    c.valid = c.iter->Valid();
    if (c.valid) {
      c.key = c.iter->key();
    } else if (!c.iter->status().ok()) {
      failed_ = true;
    }
  }

  // True if child a's entry must be returned before child b's in the current
  // direction.
  bool Before(uint32_t a, uint32_t b) const {
    int r = cmp_->Compare(children_[a].key, children_[b].key);
    if (direction_ == Direction::kForward) return r < 0 || (r == 0 && a < b);
    return r > 0 || (r == 0 && a > b);
  }

  void SiftDown(size_t pos) {
    const size_t n = heap_size_;
    uint32_t moving = heap(pos);
    while (true) {
      size_t child = 2 * pos + 1;
      if (child >= n) break;
      if (child + 1 < n && Before(heap(child + 1), heap(child))) child++;
      if (!Before(heap(child), moving)) break;
      heap(pos) = heap(child);
      pos = child;
    }
    heap(pos) = moving;
  }

  // After the top child moved in the current direction: keep it if still valid,
  // else drop it.
  void FixTop() {
    if (!children_[heap(0)].valid) {
      heap(0) = heap(--heap_size_);
      if (heap_size_ == 0) return;
    }
    SiftDown(0);
  }

  void BuildHeap() {
    heap_size_ = 0;
    for (uint32_t i = 0; i < children_.size(); i++) {
      if (children_[i].valid) heap(heap_size_++) = i;
    }
    for (size_t i = heap_size_ / 2; i-- > 0;) SiftDown(i);
  }

  const Comparator* const cmp_;
  std::vector<Child> children_;
  size_t heap_size_ = 0;  // Number of valid children, all in the heap.
  Direction direction_ = Direction::kForward;
  bool failed_ = false;  // A child stopped with an error since the last Seek*.
};

// The merge of nothing: never valid, never in error.
class NoChildrenIterator final : public Iterator {
 public:
  bool Valid() const override { return false; }
  void SeekToFirst() override {}
  void SeekToLast() override {}
  void Seek(std::string_view) override {}
  void Next() override { assert(false); }
  void Prev() override { assert(false); }
  std::string_view key() const override {
    assert(false);
    return {};
  }
  std::string_view value() const override {
    assert(false);
    return {};
  }
  absl::Status status() const override { return absl::OkStatus(); }
};

}  // namespace

Iterator* NewMergingIterator(const Comparator* cmp,
                             std::vector<Iterator*> children) {
  if (children.empty()) return new NoChildrenIterator;
  if (children.size() == 1) return children[0];
  return new MergingIterator(cmp, std::move(children));
}

}  // namespace kvs
