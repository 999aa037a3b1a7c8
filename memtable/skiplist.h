#ifndef KVS_MEMTABLE_SKIPLIST_H_
#define KVS_MEMTABLE_SKIPLIST_H_

// A sorted set built as a skip list in an Arena: the memtable's index.
//
// Thread-safety: one writer at a time (callers serialise Insert/InsertWith),
// while any number of readers (Contains, iterators) run concurrently without
// locks, also concurrently with the writer. This works because nodes are never
// removed or changed once linked, and a node becomes reachable only through a
// release store made after the node (its key, payload and the links below that
// level) is completely written; readers follow links with acquire loads. The
// Arena must outlive the list, and the list must outlive its iterators.
//
// Node layout (one arena allocation per node, links first so a node pointer
// addresses its key):
//
//   [link height-1] ... [link 1] [link 0] [Key key] [payload bytes (InsertWith
//   only)]
//                                          ^ Node*
//
// Towers are geometric: a node reaches level i+1 with probability 1/kBranching,
// up to kMaxHeight, so a search touches O(log n) nodes on average.

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>

#include "util/arena.h"
#include "util/random.h"

namespace kvs {

// Comparator: a copyable functor, int operator()(const Key& a, const Key& b)
// const, returning <0, 0 or >0. Key: a small trivially-copyable value (an
// integer or a pointer to encoded bytes).
template <typename Key, class Comparator>
class SkipList {
 private:
  struct Node;

 public:
  static constexpr int kMaxHeight = 12;
  static constexpr int kBranching = 4;

  // arena must outlive the list; all nodes are allocated from it.
  SkipList(Comparator compare, Arena* arena);
  SkipList(const SkipList&) = delete;
  SkipList& operator=(const SkipList&) = delete;

  // Inserts key. REQUIRES: nothing equal to key is in the list; no concurrent
  // writer.
  void Insert(const Key& key) {
    InsertWith(0, [&key](char*) { return key; });
  }

  // Inserts a key whose bytes live inside the node itself: allocates a node
  // with payload_size extra bytes, calls make_key(char* payload), which must
  // fill the payload and return the key (typically a pointer into the payload),
  // then links the node. One allocation per entry and the key next to its links
  // (one cache miss per visited node). The payload is immutable once this
  // returns. REQUIRES: as for Insert.
  template <typename MakeKey>
  void InsertWith(size_t payload_size, MakeKey&& make_key);

  // True if an entry equal to key is in the list.
  bool Contains(const Key& key) const;

  // A position in the list. Reads never block and may run concurrently with the
  // writer; an iterator sees every entry inserted before it moved, and may or
  // may not see entries inserted concurrently.
  class Iterator {
   public:
    // Initially not Valid().
    explicit Iterator(const SkipList* list) : list_(list), node_(nullptr) {}

    bool Valid() const { return node_ != nullptr; }
    // REQUIRES: Valid().
    const Key& key() const {
      assert(Valid());
      return node_->key;
    }
    // REQUIRES: Valid().
    void Next() {
      assert(Valid());
      node_ = node_->Next(0);
    }
    // Goes to the entry before key() (O(log n): links point forward only).
    // REQUIRES: Valid().
    void Prev() {
      assert(Valid());
      node_ = list_->FindLast<false>(node_->key);
      if (node_ == list_->head_) node_ = nullptr;
    }
    // First entry >= target, else invalid.
    void Seek(const Key& target) {
      node_ = list_->FindGreaterOrEqual(target, nullptr);
    }
    // Last entry <= target, else invalid.
    void SeekForPrev(const Key& target) {
      node_ = list_->FindLast<true>(target);
      if (node_ == list_->head_) node_ = nullptr;
    }
    void SeekToFirst() { node_ = list_->head_->Next(0); }
    void SeekToLast() {
      node_ = list_->FindLastNode();
      if (node_ == list_->head_) node_ = nullptr;
    }

   private:
    const SkipList* list_;
    Node* node_;
  };

 private:
  using Link = std::atomic<Node*>;

  struct Node {
    explicit Node(const Key& k) : key(k) {}

    Key const key;

    Link* link(int level) {
      return reinterpret_cast<Link*>(reinterpret_cast<char*>(this) -
                                     (level + 1) * sizeof(Link));
    }
    // Acquire: everything written to the returned node before it was linked is
    // visible.
    Node* Next(int level) {
      return link(level)->load(std::memory_order_acquire);
    }
    // Release: publishes the node being linked in, with its key and lower
    // links.
    void SetNext(int level, Node* x) {
      link(level)->store(x, std::memory_order_release);
    }
    // Relaxed: for the writer reading links only it writes, and for links of a
    // node not yet published (the release store that publishes it orders them).
    Node* NoBarrierNext(int level) {
      return link(level)->load(std::memory_order_relaxed);
    }
    void NoBarrierSetNext(int level, Node* x) {
      link(level)->store(x, std::memory_order_relaxed);
    }
  };
  static_assert(alignof(Node) <= alignof(Link),
                "a Node must be aligned when placed right after its links");
  static_assert(sizeof(Node) % alignof(Node) == 0);

  // Returns memory for a Node of the given height followed by payload_size
  // bytes, with the links before it constructed as null. The caller constructs
  // the Node there.
  char* AllocateNode(int height, size_t payload_size);
  int RandomHeight();
  int GetMaxHeight() const {
    return max_height_.load(std::memory_order_relaxed);
  }
  bool Equal(const Key& a, const Key& b) const { return compare_(a, b) == 0; }

  // First node >= key, or nullptr. If prev is non-null, fills prev[level] with
  // the last node < key at each level below GetMaxHeight().
  Node* FindGreaterOrEqual(const Key& key, Node** prev) const;
  // Last node < key (kInclusive: <= key), or head_ if there is none.
  template <bool kInclusive>
  Node* FindLast(const Key& key) const;
  // Last node, or head_ if the list is empty.
  Node* FindLastNode() const;

  Comparator const compare_;
  Arena* const arena_;
  Node* const head_;
  // Height of the tallest node. Read relaxed: a reader that sees a stale
  // (smaller) height just starts lower; one that sees a newer height finds
  // head_ links that are null or fully published.
  std::atomic<int> max_height_{1};
  // Used only by the writer.
  Random rnd_{0x5ca1ab1e};
  // The last node of each level (head_ while a level is empty). Used only by
  // the writer: a key greater than every key so far (sequential writes) goes
  // after these without a search.
  Node* last_[kMaxHeight];
};

template <typename Key, class Comparator>
SkipList<Key, Comparator>::SkipList(Comparator compare, Arena* arena)
    : compare_(compare),
      arena_(arena),
      head_(new (AllocateNode(kMaxHeight, 0)) Node(Key{})) {
  for (Node*& last : last_) last = head_;
}

template <typename Key, class Comparator>
char* SkipList<Key, Comparator>::AllocateNode(int height, size_t payload_size) {
  const size_t links_size = sizeof(Link) * static_cast<size_t>(height);
  char* memory =
      arena_->AllocateAligned(links_size + sizeof(Node) + payload_size);
  for (int i = 0; i < height; i++) {
    new (memory + links_size - (i + 1) * sizeof(Link)) Link(nullptr);
  }
  return memory + links_size;
}

template <typename Key, class Comparator>
int SkipList<Key, Comparator>::RandomHeight() {
  int height = 1;
  while (height < kMaxHeight && rnd_.OneIn(kBranching)) height++;
  return height;
}

template <typename Key, class Comparator>
typename SkipList<Key, Comparator>::Node*
SkipList<Key, Comparator>::FindGreaterOrEqual(const Key& key,
                                              Node** prev) const {
  Node* x = head_;
  int level = GetMaxHeight() - 1;
  // The node that ended the walk on the level above is known to be >= key: no
  // need to compare it again when the walk on the next level meets it.
  Node* known_not_less = nullptr;
  while (true) {
    Node* next = x->Next(level);
    if (next != nullptr && next != known_not_less &&
        compare_(next->key, key) < 0) {
      x = next;
    } else {
      if (prev != nullptr) prev[level] = x;
      if (level == 0) return next;
      known_not_less = next;
      level--;
    }
  }
}

template <typename Key, class Comparator>
template <bool kInclusive>
typename SkipList<Key, Comparator>::Node* SkipList<Key, Comparator>::FindLast(
    const Key& key) const {
  Node* x = head_;
  int level = GetMaxHeight() - 1;
  Node* known_after = nullptr;
  while (true) {
    Node* next = x->Next(level);
    bool advance = false;
    if (next != nullptr && next != known_after) {
      const int c = compare_(next->key, key);
      advance = kInclusive ? c <= 0 : c < 0;
    }
    if (advance) {
      x = next;
    } else {
      if (level == 0) return x;
      known_after = next;
      level--;
    }
  }
}

template <typename Key, class Comparator>
typename SkipList<Key, Comparator>::Node*
SkipList<Key, Comparator>::FindLastNode() const {
  Node* x = head_;
  int level = GetMaxHeight() - 1;
  while (true) {
    Node* next = x->Next(level);
    if (next != nullptr) {
      x = next;
    } else {
      if (level == 0) return x;
      level--;
    }
  }
}

template <typename Key, class Comparator>
template <typename MakeKey>
void SkipList<Key, Comparator>::InsertWith(size_t payload_size,
                                           MakeKey&& make_key) {
  const int height = RandomHeight();
  char* memory = AllocateNode(height, payload_size);
  const Key key = std::forward<MakeKey>(make_key)(memory + sizeof(Node));
  Node* x = new (memory) Node(key);

  Node* prev[kMaxHeight];
  const int max_height = GetMaxHeight();
  if (last_[0] != head_ && compare_(last_[0]->key, key) < 0) {
    // After the largest key: the predecessors are the last node of each level.
    for (int i = 0; i < max_height; i++) prev[i] = last_[i];
  } else {
    Node* at_or_after = FindGreaterOrEqual(key, prev);
    assert(at_or_after == nullptr || !Equal(key, at_or_after->key));
    (void)at_or_after;
  }

  if (height > max_height) {
    for (int i = max_height; i < height; i++) prev[i] = head_;
    max_height_.store(height, std::memory_order_relaxed);
  }
  // Bottom-up, so a node reachable on some level is already on every level
  // below it, and each SetNext publishes x with all of its links up to that
  // level.
  for (int i = 0; i < height; i++) {
    x->NoBarrierSetNext(i, prev[i]->NoBarrierNext(i));
    prev[i]->SetNext(i, x);
    if (prev[i] == last_[i]) last_[i] = x;
  }
}

template <typename Key, class Comparator>
bool SkipList<Key, Comparator>::Contains(const Key& key) const {
  Node* x = FindGreaterOrEqual(key, nullptr);
  return x != nullptr && Equal(key, x->key);
}

}  // namespace kvs

#endif  // KVS_MEMTABLE_SKIPLIST_H_
