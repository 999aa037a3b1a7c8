// Damaged blocks whose restart array no longer matches the entries. Without a
// checksum (ReadOptions::verify_checksums off) the block reader is the last
// line of defence: it must report DataLoss rather than let scans that start at
// different restart points (forward scans, Prev, Seek) see different entries.
// Found by //tests/fuzz:block_fuzzer.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "lsm/comparator.h"
#include "sstable/block.h"
#include "sstable/block_builder.h"
#include "util/coding.h"

namespace kvs {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

// 12 entries, restart interval 4: restart points at entries 0, 4 and 8.
std::string BuildBlock() {
  BlockBuilder builder(4);
  for (int i = 0; i < 12; i++) {
    builder.Add("key" + std::to_string(10 + i), "value" + std::to_string(i));
  }
  return std::string(builder.Finish());
}

std::unique_ptr<Block> OwnedBlock(std::string_view data) {
  BlockContents contents;
  contents.heap = std::make_unique<char[]>(data.size());
  std::copy(data.begin(), data.end(), contents.heap.get());
  contents.data = std::string_view(contents.heap.get(), data.size());
  return std::make_unique<Block>(std::move(contents));
}

// Offset of restart point i's fixed32 in the block.
size_t RestartSlot(const std::string& block, int i) {
  uint32_t n = DecodeFixed32(block.data() + block.size() - 4);
  return block.size() - 4 - 4 * n + 4 * i;
}

// Scans forward; returns the entries and the final status.
std::pair<Entries, absl::Status> Forward(const Block& block) {
  std::unique_ptr<Iterator> it(block.NewIterator(BytewiseComparator()));
  Entries out;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out.emplace_back(it->key(), it->value());
  }
  return {out, it->status()};
}

std::pair<Entries, absl::Status> Backward(const Block& block) {
  std::unique_ptr<Iterator> it(block.NewIterator(BytewiseComparator()));
  Entries out;
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    out.emplace(out.begin(), std::string(it->key()), std::string(it->value()));
  }
  return {out, it->status()};
}

TEST(BlockDamageTest, IntactBlockScansAgree) {
  std::string data = BuildBlock();
  std::unique_ptr<Block> block = OwnedBlock(data);
  auto [forward, fs] = Forward(*block);
  auto [backward, bs] = Backward(*block);
  ASSERT_TRUE(fs.ok()) << fs;
  ASSERT_TRUE(bs.ok()) << bs;
  EXPECT_EQ(forward.size(), 12u);
  EXPECT_EQ(forward, backward);
}

TEST(BlockDamageTest, RestartPointInsideAnEntryIsDataLoss) {
  std::string data = BuildBlock();
  // Move restart point 1 a byte into entry 4: still increasing and in bounds,
  // so the restart array itself looks fine.
  size_t slot = RestartSlot(data, 1);
  EncodeFixed32(data.data() + slot, DecodeFixed32(data.data() + slot) + 1);
  std::unique_ptr<Block> block = OwnedBlock(data);
  ASSERT_TRUE(block->status().ok());
  auto [forward, status] = Forward(*block);
  EXPECT_TRUE(absl::IsDataLoss(status)) << status;
  EXPECT_EQ(forward.size(), 4u) << "entries before the damage are served";
}

TEST(BlockDamageTest, EntryRunningOverARestartPointIsDataLoss) {
  std::string data = BuildBlock();
  // Entry 3 claims a longer value, so that it ends inside entry 4, where
  // restart point 1 is. Entry 3 is shared 4, unshared 1 ("3"), value length
  // 6, so its value length is two bytes before "value3".
  size_t at = data.find("value3");
  ASSERT_NE(at, std::string::npos);
  ASSERT_EQ(data[at - 2], 6);
  data[at - 2] = static_cast<char>(data[at - 2] + 3);
  std::unique_ptr<Block> block = OwnedBlock(data);
  auto [forward, status] = Forward(*block);
  EXPECT_TRUE(absl::IsDataLoss(status)) << status;
  EXPECT_EQ(forward.size(), 3u);
}

TEST(BlockDamageTest, LastEntrySwallowingLaterRestartPointsIsDataLoss) {
  // One entry whose value covers where restart points 1 and 2 claim entries
  // start: a forward scan sees one entry, a Seek would search bogus keys.
  std::string entries;
  entries += '\0';   // shared
  entries += '\3';   // unshared
  entries += '\40';  // value length 32
  entries += "abc";
  entries += std::string(32, 'v');
  std::string data = entries;
  for (uint32_t offset : {0u, 10u, 20u}) PutFixed32(&data, offset);
  PutFixed32(&data, 3);
  std::unique_ptr<Block> block = OwnedBlock(data);
  ASSERT_TRUE(block->status().ok());
  auto [forward, status] = Forward(*block);
  EXPECT_TRUE(absl::IsDataLoss(status)) << status;
  EXPECT_TRUE(forward.empty());
}

TEST(BlockDamageTest, PrefixCompressedEntryAtARestartPointIsDataLoss) {
  std::string data = BuildBlock();
  // Entry 4 (restart point 1) starts with shared = 0; claim 3 shared bytes
  // and drop them from the key ("key14" -> shared "key" + "14"), so the
  // entry still parses in a forward scan.
  size_t at = DecodeFixed32(data.data() + RestartSlot(data, 1));
  ASSERT_EQ(data[at], 0);
  ASSERT_EQ(data.substr(at + 3, 5), "key14");
  std::string patched = data.substr(0, at);
  patched += '\3';  // shared
  patched += '\2';  // unshared
  patched += data[at + 2];
  patched += "14";
  patched += data.substr(at + 8);
  // Everything after moved back by 3 bytes: fix the later restart offsets.
  size_t slot2 = RestartSlot(patched, 2);
  EncodeFixed32(patched.data() + slot2,
                DecodeFixed32(patched.data() + slot2) - 3);
  std::unique_ptr<Block> block = OwnedBlock(patched);
  ASSERT_TRUE(block->status().ok());
  auto [forward, status] = Forward(*block);
  EXPECT_TRUE(absl::IsDataLoss(status)) << status;
  EXPECT_EQ(forward.size(), 4u);
}

}  // namespace
}  // namespace kvs
