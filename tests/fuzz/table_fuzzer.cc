// Fuzz target: Table::Open, iteration and point lookups over arbitrary bytes.
//
// Input: one flag byte, a probe key (length byte + bytes), then the file.
//   bit 0: recompute every checksum the table structure leads to (footer,
//          metadata blocks, data blocks named by the index) before opening, so
//          that mutations reach the parsing behind the CRCs;
//   bit 1: ReadOptions::verify_checksums;
//   bit 2: internal-key comparator (what the DB uses) instead of bytewise;
//   bit 3: read with a Bloom filter policy;
//   bit 4: use a block cache.
//
// Invariants: no out-of-bounds read; errors are DataLoss (or InvalidArgument
// for a comparator-name mismatch); a forward and a backward scan that both
// succeed see the same entries; a point lookup reports at most one entry.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lsm/cache.h"
#include "lsm/comparator.h"
#include "lsm/filter_policy.h"
#include "memtable/internal_key.h"
#include "sstable/block.h"
#include "sstable/format.h"
#include "sstable/table.h"
#include "tests/fuzz/fuzz_util.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace kvs::fuzz {
namespace {

constexpr size_t kMaxEntries = 20000;
constexpr size_t kMaxFixedBlocks = 4096;

using Entries = std::vector<std::pair<std::string, std::string>>;

void CheckError(const absl::Status& s) {
  FUZZ_CHECK(s.ok() || absl::IsDataLoss(s) || absl::IsInvalidArgument(s),
             s.ToString());
}

// Rewrites the CRC of the block at handle, if it lies within the file.
void FixTrailer(std::string* file, const BlockHandle& h) {
  const uint64_t size = file->size();
  if (h.offset > size || h.size > size - h.offset ||
      kBlockTrailerSize > size - h.offset - h.size) {
    return;
  }
  char* p = file->data() + h.offset;
  const size_t n = static_cast<size_t>(h.size);
  EncodeBlockTrailer(std::string_view(p, n), static_cast<CompressionType>(p[n]),
                     p + n);
}

// Rewrites the footer CRC; returns false if there is no footer to fix.
bool FixFooter(std::string* file) {
  if (file->size() < Footer::kEncodedLength) return false;
  char* p = file->data() + file->size() - Footer::kEncodedLength;
  constexpr size_t kCrcOffset = Footer::kHandlesLength + 8 + 4;
  EncodeFixed32(p + kCrcOffset, crc32c::Mask(crc32c::Value(p, kCrcOffset)));
  return true;
}

// Recomputes the checksums of the footer, the blocks it names, the blocks the
// metaindex names and the data blocks the index names.
void FixChecksums(std::string* file) {
  if (!FixFooter(file)) return;
  Footer footer;
  if (!footer
           .DecodeFrom(std::string_view(*file).substr(file->size() -
                                                      Footer::kEncodedLength))
           .ok()) {
    return;
  }
  // Fixes every block named by the values of the block at parent.
  auto fix_children = [file](const BlockHandle& parent) {
    const uint64_t size = file->size();
    if (parent.offset > size || parent.size > size - parent.offset ||
        kBlockTrailerSize > size - parent.offset - parent.size) {
      return;
    }
    const size_t n = static_cast<size_t>(parent.size);
    std::string stored = file->substr(parent.offset, n + kBlockTrailerSize);
    absl::StatusOr<BlockContents> contents =
        DecodeBlock(std::string_view(stored).substr(0, n),
                    std::string_view(stored).substr(n), false);
    if (!contents.ok()) return;
    Block block(std::move(*contents));
    std::unique_ptr<Iterator> it(block.NewIterator(BytewiseComparator()));
    size_t fixed = 0;
    for (it->SeekToFirst(); it->Valid() && fixed < kMaxFixedBlocks;
         it->Next(), fixed++) {
      std::string_view value = it->value();
      BlockHandle child;
      if (child.DecodeFrom(&value).ok()) FixTrailer(file, child);
    }
  };
  fix_children(footer.index);
  fix_children(footer.metaindex);
  FixTrailer(file, footer.index);
  FixTrailer(file, footer.metaindex);
  FixFooter(file);
}

bool Scan(Iterator* it, bool forward, Entries* out) {
  if (forward) {
    it->SeekToFirst();
  } else {
    it->SeekToLast();
  }
  while (it->Valid() && out->size() < kMaxEntries) {
    out->emplace_back(it->key(), it->value());
    if (forward) {
      it->Next();
    } else {
      it->Prev();
    }
  }
  CheckError(it->status());
  return it->status().ok() && out->size() < kMaxEntries;
}

}  // namespace
}  // namespace kvs::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kvs;
  using namespace kvs::fuzz;
  InputReader in(data, size);
  const uint8_t flags = in.Byte();
  const std::string probe(in.Bytes(in.Byte() % 32));
  std::string file(in.Rest());
  if (flags & 1) FixChecksums(&file);

  InternalKeyComparator icmp(BytewiseComparator());
  std::shared_ptr<Cache> cache =
      (flags & 16) ? NewLRUCache(64 << 10) : std::shared_ptr<Cache>();
  TableOptions options;
  options.comparator = (flags & 4) ? static_cast<const Comparator*>(&icmp)
                                   : BytewiseComparator();
  if (flags & 8) {
    std::shared_ptr<const FilterPolicy> bloom = NewBloomFilterPolicy(10);
    options.filter_policy =
        (flags & 4) ? std::make_shared<InternalFilterPolicy>(bloom) : bloom;
  }
  options.block_cache = cache.get();

  absl::StatusOr<std::unique_ptr<Table>> table = Table::Open(
      options, std::make_unique<StringRandomAccessFile>(file), file.size());
  if (!table.ok()) {
    CheckError(table.status());
    return 0;
  }
  ReadOptions read_options;
  read_options.verify_checksums = (flags & 2) != 0;

  std::unique_ptr<Iterator> it((*table)->NewIterator(read_options));
  Entries forward;
  Entries backward;
  bool forward_ok = Scan(it.get(), true, &forward);
  bool backward_ok = Scan(it.get(), false, &backward);
  if (forward_ok && backward_ok) {
    FUZZ_CHECK(forward.size() == backward.size(),
               "forward and backward scans differ in length");
    for (size_t i = 0; i < forward.size(); i++) {
      FUZZ_CHECK(forward[i] == backward[backward.size() - 1 - i],
                 "forward and backward scans differ");
    }
  }

  std::vector<std::string> keys = {probe};
  for (size_t i = 0; i < forward.size(); i += 1 + forward.size() / 32) {
    keys.push_back(forward[i].first);
  }
  for (const std::string& key : keys) {
    int calls = 0;
    absl::Status s = (*table)->InternalGet(
        read_options, key,
        [&](std::string_view, std::string_view) { calls++; });
    CheckError(s);
    FUZZ_CHECK(calls <= 1, "InternalGet reported several entries");
    (*table)->ApproximateOffsetOf(key);
    it->Seek(key);
    for (int steps = 0; it->Valid() && steps < 4; steps++) {
      if (steps % 2 == 0) {
        it->Next();
      } else {
        it->Prev();
      }
    }
    CheckError(it->status());
  }
  (*table)->MemoryUsage();
  return 0;
}
