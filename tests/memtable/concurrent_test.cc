// One writer, several lock-free readers: the skip list and the memtable must
// give readers a sorted view that contains every entry published before they
// looked, and never a half-built node. Run under --config=tsan as well: a
// missing acquire/release pairing shows up there as a data race even when the
// checks below happen to pass.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "memtable/memtable.h"
#include "memtable/skiplist.h"
#include "util/arena.h"
#include "util/coding.h"
#include "util/random.h"

namespace kvs {
namespace {

constexpr int kReaders = 3;

// A bijection on uint64, so insert i has a distinct key scattered over the
// whole list.
uint64_t KeyFor(uint64_t i) {
  uint64_t x = i * 0x9e3779b97f4a7c15ull;
  x ^= x >> 31;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 29;
  return x;
}

// Payload of a skip-list node: fixed64 key | fixed64 check. A reader that sees
// a node before its payload is complete finds a check that does not match.
uint64_t CheckFor(uint64_t key) { return ~key * 0x94d049bb133111ebull; }

struct PayloadCompare {
  int operator()(const char* a, const char* b) const {
    const uint64_t ka = DecodeFixed64(a);
    const uint64_t kb = DecodeFixed64(b);
    return ka < kb ? -1 : (ka > kb ? 1 : 0);
  }
};
using List = SkipList<const char*, PayloadCompare>;

std::string Probe(uint64_t key) {
  std::string probe;
  PutFixed64(&probe, key);
  PutFixed64(&probe, CheckFor(key));
  return probe;
}

// One reader pass over a list into which at least the first `published` keys
// were inserted. Stops at the first inconsistency (a gtest fatal failure).
void ReaderPass(const List& list, uint64_t published, Random* rnd,
                std::vector<uint64_t>* seen) {
  seen->clear();
  List::Iterator iter(&list);
  for (iter.SeekToFirst(); iter.Valid(); iter.Next()) {
    const uint64_t key = DecodeFixed64(iter.key());
    ASSERT_EQ(DecodeFixed64(iter.key() + 8), CheckFor(key))
        << "node visible before its payload was written";
    if (!seen->empty()) ASSERT_LT(seen->back(), key) << "scan not sorted";
    seen->push_back(key);
  }
  ASSERT_GE(seen->size(), published);
  for (uint64_t i = 0; i < published; i++) {
    ASSERT_TRUE(std::binary_search(seen->begin(), seen->end(), KeyFor(i)))
        << "entry " << i << " published before the scan is missing";
  }

  for (int probe = 0; probe < 200; probe++) {
    if (published > 0) {
      // A published key is found by Seek, SeekForPrev and Contains.
      const uint64_t key = KeyFor(rnd->Uniform(published));
      const std::string target = Probe(key);
      ASSERT_TRUE(list.Contains(target.data()));
      iter.Seek(target.data());
      ASSERT_TRUE(iter.Valid());
      ASSERT_EQ(DecodeFixed64(iter.key()), key);
      iter.SeekForPrev(target.data());
      ASSERT_TRUE(iter.Valid());
      ASSERT_EQ(DecodeFixed64(iter.key()), key);
    }
    // An arbitrary target: Seek lands on a key >= it, and Prev from there on a
    // smaller key. (Not necessarily one < t: the writer may have inserted a key
    // in [t, found) meanwhile.)
    const uint64_t t = rnd->Next64();
    const std::string target = Probe(t);
    iter.Seek(target.data());
    if (iter.Valid()) {
      const uint64_t found = DecodeFixed64(iter.key());
      ASSERT_GE(found, t);
      ASSERT_EQ(DecodeFixed64(iter.key() + 8), CheckFor(found));
      iter.Prev();
      if (iter.Valid()) ASSERT_LT(DecodeFixed64(iter.key()), found);
    }
    iter.SeekForPrev(target.data());
    if (iter.Valid()) ASSERT_LE(DecodeFixed64(iter.key()), t);
  }

  // A short backward walk from the end stays sorted.
  iter.SeekToLast();
  uint64_t last = UINT64_MAX;
  bool first = true;
  for (int steps = 0; steps < 300 && iter.Valid(); steps++, iter.Prev()) {
    const uint64_t key = DecodeFixed64(iter.key());
    if (!first) ASSERT_LT(key, last);
    first = false;
    last = key;
  }
}

TEST(SkipListConcurrentTest, OneWriterManyReaders) {
  constexpr uint64_t kNumKeys = 20000;
  Arena arena;
  List list(PayloadCompare(), &arena);
  std::atomic<uint64_t> published{0};
  std::atomic<bool> writer_done{false};
  std::atomic<int> passes_during_writes{0};

  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; r++) {
    readers.emplace_back([&, r] {
      Random rnd(1000 + r);
      std::vector<uint64_t> seen;
      while (true) {
        // Read "done" first: a pass that starts after it was set sees the final
        // list.
        const bool done = writer_done.load(std::memory_order_acquire);
        const uint64_t n = published.load(std::memory_order_acquire);
        ReaderPass(list, n, &rnd, &seen);
        if (::testing::Test::HasFatalFailure()) return;
        if (done) {
          EXPECT_EQ(seen.size(), kNumKeys);
          return;
        }
        passes_during_writes.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }

  for (uint64_t i = 0; i < kNumKeys; i++) {
    const uint64_t key = KeyFor(i);
    list.InsertWith(16, [key](char* payload) -> const char* {
      EncodeFixed64(payload, key);
      EncodeFixed64(payload + 8, CheckFor(key));
      return payload;
    });
    published.store(i + 1, std::memory_order_release);
    // Give readers on a small machine a chance to run mid-way.
    if (i % 256 == 0) std::this_thread::yield();
  }
  writer_done.store(true, std::memory_order_release);
  for (auto& t : readers) t.join();
  // Informational: how much the readers overlapped the writer on this run.
  RecordProperty("passes_during_writes", passes_during_writes.load());
}

// The same shape of test through the MemTable API: Get at each update's own
// sequence number must see that update, and at the sequence just before it the
// previous version.
struct Op {
  SequenceNumber seq;
  ValueType type;
  std::string key;
  std::string value;
  // What Get(key, seq - 1) must answer.
  MemTableGetResult before;
  std::string before_value;
};

std::string UserKey(uint64_t i) {
  // Big-endian, so bytewise order is numeric order of KeyFor(i).
  std::string key(8, '\0');
  const uint64_t k = KeyFor(i);
  for (int b = 0; b < 8; b++) key[b] = static_cast<char>(k >> (56 - 8 * b));
  return key;
}

std::vector<Op> MakeSchedule(uint64_t n) {
  std::vector<Op> ops;
  std::map<std::string, std::pair<MemTableGetResult, std::string>> latest;
  SequenceNumber seq = 0;
  auto add = [&](ValueType type, std::string key, std::string value) {
    Op op{++seq, type, key, value, MemTableGetResult::kAbsent, ""};
    auto it = latest.find(key);
    if (it != latest.end()) {
      op.before = it->second.first;
      op.before_value = it->second.second;
    }
    latest[key] = {type == kTypeValue ? MemTableGetResult::kFound
                                      : MemTableGetResult::kDeleted,
                   value};
    ops.push_back(std::move(op));
  };
  for (uint64_t i = 0; i < n; i++) {
    add(kTypeValue, UserKey(i), "v" + std::to_string(i));
    if (i % 4 == 3) add(kTypeDeletion, UserKey(i - 2), "");
    if (i % 7 == 6) add(kTypeValue, UserKey(i - 5), "w" + std::to_string(i));
  }
  return ops;
}

TEST(MemTableConcurrentTest, GetsAndScansWhileWriting) {
  const std::vector<Op> ops = MakeSchedule(8000);
  InternalKeyComparator icmp(BytewiseComparator());
  auto* mem = new MemTable(icmp);
  mem->Ref();
  std::atomic<size_t> published{0};
  std::atomic<bool> writer_done{false};

  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; r++) {
    readers.emplace_back([&, r] {
      Random rnd(2000 + r);
      std::string value;
      while (true) {
        const bool done = writer_done.load(std::memory_order_acquire);
        const size_t n = published.load(std::memory_order_acquire);
        for (int probe = 0; probe < 100 && n > 0; probe++) {
          const Op& op = ops[rnd.Uniform(n)];
          value = "unchanged";
          const MemTableGetResult at =
              mem->Get(LookupKey(op.key, op.seq), &value);
          if (op.type == kTypeValue) {
            ASSERT_EQ(at, MemTableGetResult::kFound) << op.seq;
            ASSERT_EQ(value, op.value);
          } else {
            ASSERT_EQ(at, MemTableGetResult::kDeleted) << op.seq;
            ASSERT_EQ(value, "unchanged");
          }
          const MemTableGetResult before =
              mem->Get(LookupKey(op.key, op.seq - 1), &value);
          ASSERT_EQ(before, op.before) << op.seq;
          if (before == MemTableGetResult::kFound) {
            ASSERT_EQ(value, op.before_value);
          }
        }
        // A scan is sorted by internal key and has at least the published
        // entries.
        std::unique_ptr<Iterator> iter(mem->NewIterator());
        size_t count = 0;
        std::string previous;
        for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
          ParsedInternalKey parsed;
          ASSERT_TRUE(ParseInternalKey(iter->key(), &parsed));
          if (count > 0) ASSERT_LT(icmp.Compare(previous, iter->key()), 0);
          previous.assign(iter->key().data(), iter->key().size());
          count++;
        }
        ASSERT_GE(count, n);
        if (done) {
          ASSERT_EQ(count, ops.size());
          return;
        }
      }
    });
  }

  for (size_t i = 0; i < ops.size(); i++) {
    mem->Add(ops[i].seq, ops[i].type, ops[i].key, ops[i].value);
    published.store(i + 1, std::memory_order_release);
    if (i % 256 == 0) std::this_thread::yield();
  }
  writer_done.store(true, std::memory_order_release);
  for (auto& t : readers) t.join();
  EXPECT_EQ(mem->num_entries(), ops.size());
  mem->Unref();
}

}  // namespace
}  // namespace kvs
