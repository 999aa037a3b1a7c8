// Fuzz target: the block reader (sstable/block.h) and block framing
// (ReadBlock: trailer, checksum, Snappy).
//
// Input: one flag byte, then the bytes.
//   bit 0: the bytes are a stored block followed by its 5-byte trailer, read
//          with ReadBlock (bit 1: verify the checksum), instead of raw block
//          contents;
//   bit 2: order keys with the internal-key comparator instead of bytewise;
//   bit 3: cache the restart keys first (as the index block does).
//
// Invariants: no out-of-bounds read; errors are DataLoss; a forward and a
// backward scan that both succeed see the same entries; when the entries are
// in order, Seek finds each of them.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lsm/comparator.h"
#include "memtable/internal_key.h"
#include "sstable/block.h"
#include "sstable/format.h"
#include "tests/fuzz/fuzz_util.h"

namespace kvs::fuzz {
namespace {

// Scans are capped so that one input stays fast.
constexpr size_t kMaxEntries = 20000;

using Entries = std::vector<std::pair<std::string, std::string>>;

void CheckError(const absl::Status& s) {
  FUZZ_CHECK(s.ok() || absl::IsDataLoss(s), s.ToString());
}

bool ScanForward(Iterator* it, Entries* out) {
  for (it->SeekToFirst(); it->Valid() && out->size() < kMaxEntries;
       it->Next()) {
    out->emplace_back(it->key(), it->value());
  }
  CheckError(it->status());
  return it->status().ok() && out->size() < kMaxEntries;
}

bool ScanBackward(Iterator* it, Entries* out) {
  for (it->SeekToLast(); it->Valid() && out->size() < kMaxEntries; it->Prev()) {
    out->emplace_back(it->key(), it->value());
  }
  CheckError(it->status());
  return it->status().ok() && out->size() < kMaxEntries;
}

void CheckBlock(BlockContents contents, const Comparator* cmp,
                bool cache_restart_keys, std::string_view probe) {
  Block block(std::move(contents));
  if (cache_restart_keys) block.CacheRestartKeys();
  CheckError(block.status());

  std::unique_ptr<Iterator> it(block.NewIterator(cmp));
  Entries forward;
  Entries backward;
  bool forward_ok = ScanForward(it.get(), &forward);
  bool backward_ok = ScanBackward(it.get(), &backward);
  if (forward_ok && backward_ok) {
    FUZZ_CHECK(forward.size() == backward.size(),
               "forward and backward scans differ in length");
    for (size_t i = 0; i < forward.size(); i++) {
      FUZZ_CHECK(forward[i] == backward[backward.size() - 1 - i],
                 "forward and backward scans differ");
    }
  }

  bool sorted = forward_ok;
  for (size_t i = 1; sorted && i < forward.size(); i++) {
    sorted = cmp->Compare(forward[i - 1].first, forward[i].first) < 0;
  }
  if (sorted) {
    // Every entry can be found, and Prev from it lands on its predecessor.
    for (size_t i = 0; i < forward.size(); i += 1 + forward.size() / 64) {
      it->Seek(forward[i].first);
      FUZZ_CHECK(it->Valid() && it->key() == forward[i].first &&
                     it->value() == forward[i].second,
                 "Seek misses an entry of a sorted block");
      it->Prev();
      if (i == 0) {
        FUZZ_CHECK(!it->Valid() && it->status().ok(), "Prev before first");
      } else {
        FUZZ_CHECK(it->Valid() && it->key() == forward[i - 1].first,
                   "Prev after Seek");
      }
    }
  }

  // Arbitrary seeks and moves must be safe whatever the block holds.
  it->Seek(probe);
  for (int steps = 0; it->Valid() && steps < 8; steps++) {
    if (steps % 3 == 2) {
      it->Prev();
    } else {
      it->Next();
    }
  }
  CheckError(it->status());
}

}  // namespace
}  // namespace kvs::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kvs;
  using namespace kvs::fuzz;
  InputReader in(data, size);
  const uint8_t flags = in.Byte();
  const std::string_view probe = in.Bytes(in.Byte() % 24);
  const std::string_view bytes = in.Rest();
  InternalKeyComparator icmp(BytewiseComparator());
  const Comparator* cmp = (flags & 4) ? static_cast<const Comparator*>(&icmp)
                                      : BytewiseComparator();

  BlockContents contents;
  std::string copy;
  if (flags & 1) {
    if (bytes.size() < kBlockTrailerSize) return 0;
    StringRandomAccessFile file(bytes);
    ReadOptions options;
    options.verify_checksums = (flags & 2) != 0;
    BlockHandle handle;
    handle.offset = 0;
    handle.size = bytes.size() - kBlockTrailerSize;
    absl::StatusOr<BlockContents> read =
        ReadBlock(file, bytes.size(), options, handle);
    if (!read.ok()) {
      CheckError(read.status());
      return 0;
    }
    contents = std::move(*read);
    if (!contents.owned()) {
      // Borrowed from the file's scratch: keep our own copy alive instead.
      copy.assign(contents.data);
      contents.data = copy;
    }
  } else {
    // An exact-size heap copy, so ASan sees any read past the block.
    contents.heap = std::make_unique<char[]>(bytes.size());
    if (!bytes.empty()) {
      std::memcpy(contents.heap.get(), bytes.data(), bytes.size());
    }
    contents.data = std::string_view(contents.heap.get(), bytes.size());
  }
  CheckBlock(std::move(contents), cmp, (flags & 8) != 0, probe);
  return 0;
}
