// Damaged and truncated tables: every outcome must be DataLoss or correct data,
// never a crash, a hang or an out-of-bounds read (run under --config=asan).

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "lsm/cache.h"
#include "lsm/filter_policy.h"
#include "sstable/block.h"
#include "sstable/format.h"
#include "sstable/table.h"
#include "tests/sstable/string_file.h"
#include "tests/sstable/table_test_util.h"
#include "util/coding.h"
#include "util/random.h"

namespace kvs {
namespace {

using test::Entries;

// Where each block of a table lives, found by parsing it as a reader would.
struct Layout {
  BlockHandle first_data, index, filter, properties, metaindex;
  uint64_t footer_offset = 0;
};

Layout ParseLayout(const std::string& contents) {
  Layout l;
  Footer footer;
  EXPECT_TRUE(footer.DecodeFrom(contents).ok());
  l.footer_offset = contents.size() - Footer::kEncodedLength;
  l.index = footer.index;
  l.metaindex = footer.metaindex;
  auto block_at = [&](const BlockHandle& h) {
    absl::StatusOr<BlockContents> c = DecodeBlock(
        std::string_view(contents).substr(h.offset, h.size),
        std::string_view(contents).substr(h.offset + h.size, kBlockTrailerSize),
        true);
    EXPECT_TRUE(c.ok());
    return std::make_unique<Block>(std::move(*c));
  };
  auto meta = block_at(l.metaindex);
  Block::Iter it(meta.get(), BytewiseComparator());
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    std::string_view v = it.value();
    if (it.key() == "properties") {
      EXPECT_TRUE(l.properties.DecodeFrom(&v).ok());
    } else {
      EXPECT_EQ(it.key(), "filter.kvs.BlockedBloom");
      EXPECT_TRUE(l.filter.DecodeFrom(&v).ok());
    }
  }
  auto index = block_at(l.index);
  Block::Iter ii(index.get(), BytewiseComparator());
  ii.SeekToFirst();
  std::string_view v = ii.value();
  EXPECT_TRUE(l.first_data.DecodeFrom(&v).ok());
  return l;
}

class TableCorruptionTest : public testing::Test {
 protected:
  void SetUp() override {
    Random rnd(21);
    std::map<std::string, std::string> m;
    while (m.size() < 300) {
      m["key" + std::to_string(rnd.Uniform(100000))] =
          std::string(rnd.Uniform(40), 'v') + rnd.RandomBytes(rnd.Uniform(10));
    }
    entries_ = test::ToEntries(m);
    options_.filter_policy = NewBloomFilterPolicy(10);
    options_.block_size = 512;
    contents_ = test::BuildTable(options_, entries_);
    layout_ = ParseLayout(contents_);
  }

  // Opens contents and reads everything with checksums verified. Returns the
  // first error, or OK if every read returned exactly the original data.
  absl::Status ReadAll(const std::string& contents, Cache* cache = nullptr,
                       bool verify = true) {
    TableOptions options = options_;
    options.block_cache = cache;
    auto table = test::OpenTable(options, contents);
    if (!table.ok()) return table.status();
    ReadOptions ro;
    ro.verify_checksums = verify;
    std::unique_ptr<Iterator> it((*table)->NewIterator(ro));
    size_t i = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next(), i++) {
      if (verify) {
        EXPECT_LT(i, entries_.size());
        if (i >= entries_.size()) break;
        EXPECT_EQ(it->key(), entries_[i].first);
        EXPECT_EQ(it->value(), entries_[i].second);
      }
    }
    if (!it->status().ok()) return it->status();
    if (verify) EXPECT_EQ(i, entries_.size());
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
    }
    if (!it->status().ok()) return it->status();
    for (const auto& [k, v] : entries_) {
      test::GetResult r = test::Get(**table, k, ro);
      if (!r.status.ok()) return r.status;
      if (verify) {
        EXPECT_TRUE(r.found);
        EXPECT_EQ(r.key, k);
        EXPECT_EQ(r.value, v);
      }
    }
    (*table)->ApproximateOffsetOf(entries_[10].first);
    return absl::OkStatus();
  }

  // Flips each byte of [begin, end) in turn (stepping by stride) and requires
  // DataLoss, or (if !must_fail) DataLoss or correct data.
  void FlipRange(uint64_t begin, uint64_t end, bool must_fail,
                 size_t stride = 1) {
    for (uint64_t pos = begin; pos < end; pos += stride) {
      std::string bad = contents_;
      bad[pos] ^= 0x41;
      absl::Status s = ReadAll(bad);
      if (must_fail || !s.ok()) {
        EXPECT_TRUE(absl::IsDataLoss(s)) << "byte " << pos << ": " << s;
      }
    }
  }

  static uint64_t End(const BlockHandle& h) { return h.end_with_trailer(); }

  TableOptions options_;
  Entries entries_;
  std::string contents_;
  Layout layout_;
};

TEST_F(TableCorruptionTest, IntactTableReads) {
  EXPECT_TRUE(ReadAll(contents_).ok());
  // The layout the tests below rely on: data, filter, index, properties,
  // metaindex, footer.
  EXPECT_EQ(layout_.first_data.offset, 0u);
  EXPECT_LT(End(layout_.filter), End(layout_.index) + 1);
  EXPECT_EQ(End(layout_.filter), layout_.index.offset);
  EXPECT_EQ(End(layout_.index), layout_.properties.offset);
  EXPECT_EQ(End(layout_.properties), layout_.metaindex.offset);
  EXPECT_EQ(End(layout_.metaindex), layout_.footer_offset);
}

TEST_F(TableCorruptionTest, FlippedDataByteIsDataLossWithVerifiedChecksums) {
  FlipRange(layout_.first_data.offset, End(layout_.first_data),
            /*must_fail=*/true);
  // Elsewhere in the data, sampled.
  FlipRange(End(layout_.first_data), layout_.filter.offset, true, 37);
}

TEST_F(TableCorruptionTest, FlippedDataByteWithoutVerificationIsSafe) {
  // Without checksums the damage may go unnoticed, but must never be unsafe.
  for (uint64_t pos = 0; pos < layout_.filter.offset; pos += 7) {
    std::string bad = contents_;
    bad[pos] ^= 0x41;
    absl::Status s = ReadAll(bad, nullptr, /*verify=*/false);
    if (!s.ok()) {
      EXPECT_TRUE(absl::IsDataLoss(s)) << "byte " << pos << ": " << s;
    }
  }
}

TEST_F(TableCorruptionTest, FlippedFilterByteFailsOpen) {
  FlipRange(layout_.filter.offset, End(layout_.filter), true);
}

TEST_F(TableCorruptionTest, FlippedIndexByteFailsOpen) {
  FlipRange(layout_.index.offset, End(layout_.index), true);
}

TEST_F(TableCorruptionTest, FlippedPropertiesByteFailsOpen) {
  FlipRange(layout_.properties.offset, End(layout_.properties), true);
}

TEST_F(TableCorruptionTest, FlippedMetaindexByteFailsOpen) {
  FlipRange(layout_.metaindex.offset, End(layout_.metaindex), true);
}

TEST_F(TableCorruptionTest, FlippedFooterByteFailsOpen) {
  FlipRange(layout_.footer_offset, contents_.size(), true);
}

TEST_F(TableCorruptionTest, DamageInCachedTableIsDataLoss) {
  std::shared_ptr<Cache> cache = NewLRUCache(1 << 20);
  for (uint64_t pos = 0; pos < layout_.filter.offset; pos += 41) {
    std::string bad = contents_;
    bad[pos] ^= 0x41;
    // Twice: the damaged block must not have been cached.
    EXPECT_TRUE(absl::IsDataLoss(ReadAll(bad, cache.get()))) << pos;
    EXPECT_TRUE(absl::IsDataLoss(ReadAll(bad, cache.get()))) << pos;
  }
  EXPECT_EQ(cache->GetStats().pinned_usage, 0u);
}

TEST_F(TableCorruptionTest, TruncationIsDataLoss) {
  for (size_t len = 0; len < contents_.size(); len += (len < 200 ? 1 : 13)) {
    absl::Status s = ReadAll(contents_.substr(0, len));
    EXPECT_TRUE(absl::IsDataLoss(s)) << "length " << len << ": " << s;
  }
  // Claiming a size larger than the file holds: the reads come up short.
  TableOptions options = options_;
  auto table =
      Table::Open(options, std::make_unique<test::StringSource>(contents_),
                  contents_.size() + 100);
  EXPECT_TRUE(absl::IsDataLoss(table.status())) << table.status();
}

TEST_F(TableCorruptionTest, FileMissingItsTail) {
  // The data blocks alone (as if the writer crashed before Finish).
  absl::Status s = ReadAll(contents_.substr(0, layout_.filter.offset));
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
}

TEST_F(TableCorruptionTest, RandomGarbageIsDataLoss) {
  Random rnd(22);
  for (int i = 0; i < 300; i++) {
    std::string garbage = rnd.RandomBytes(rnd.Skewed(14));
    absl::Status s = ReadAll(garbage);
    EXPECT_TRUE(absl::IsDataLoss(s)) << s;
    // Garbage with a valid magic number at the end.
    if (garbage.size() >= 8) {
      EncodeFixed64(garbage.data() + garbage.size() - 8, kTableMagicNumber);
      s = ReadAll(garbage);
      EXPECT_TRUE(absl::IsDataLoss(s)) << s;
    }
  }
}

// A footer with a valid checksum whose fields are wrong, as a buggy writer
// could produce.
TEST_F(TableCorruptionTest, ConsistentFooterWithBadHandles) {
  std::string base = contents_.substr(0, layout_.footer_offset);
  Footer good;
  ASSERT_TRUE(good.DecodeFrom(contents_).ok());
  auto with_footer = [&](const Footer& f) {
    std::string s = base;
    f.EncodeTo(&s);
    return s;
  };
  ASSERT_TRUE(ReadAll(with_footer(good)).ok());

  Footer f = good;
  f.meta_offset = contents_.size();  // Past the footer.
  EXPECT_TRUE(absl::IsDataLoss(ReadAll(with_footer(f))));
  f = good;
  f.index.size += 1000000;
  EXPECT_TRUE(absl::IsDataLoss(ReadAll(with_footer(f))));
  f = good;
  f.index.offset = UINT64_MAX - 3;
  EXPECT_TRUE(absl::IsDataLoss(ReadAll(with_footer(f))));
  f = good;
  f.metaindex.size = UINT64_MAX;
  EXPECT_TRUE(absl::IsDataLoss(ReadAll(with_footer(f))));
  f = good;
  f.metaindex = good.index;  // A block that is not a metaindex.
  EXPECT_TRUE(absl::IsDataLoss(ReadAll(with_footer(f))));
}

}  // namespace
}  // namespace kvs
