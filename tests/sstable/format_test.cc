#include "sstable/format.h"

#include <snappy.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "tests/sstable/string_file.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/random.h"

namespace kvs {
namespace {

TEST(BlockHandleTest, RoundTrip) {
  for (uint64_t offset :
       {uint64_t{0}, uint64_t{1}, uint64_t{1} << 40, UINT64_MAX}) {
    for (uint64_t size : {uint64_t{0}, uint64_t{4096}, UINT64_MAX}) {
      BlockHandle h{offset, size};
      std::string enc;
      h.EncodeTo(&enc);
      EXPECT_LE(enc.size(), BlockHandle::kMaxEncodedLength);
      enc += "tail";
      std::string_view in = enc;
      BlockHandle d;
      ASSERT_TRUE(d.DecodeFrom(&in).ok());
      EXPECT_EQ(d.offset, offset);
      EXPECT_EQ(d.size, size);
      EXPECT_EQ(in, "tail");
    }
  }
}

TEST(BlockHandleTest, TruncatedIsDataLoss) {
  std::string enc;
  BlockHandle{300, 70000}.EncodeTo(&enc);
  for (size_t len = 0; len < enc.size(); len++) {
    std::string_view in(enc.data(), len);
    BlockHandle d;
    EXPECT_TRUE(absl::IsDataLoss(d.DecodeFrom(&in))) << len;
  }
}

std::string EncodedFooter() {
  Footer f;
  f.metaindex = {1000, 50};
  f.index = {1055, 300};
  f.meta_offset = 900;
  std::string enc;
  f.EncodeTo(&enc);
  return enc;
}

TEST(FooterTest, RoundTripAndLayout) {
  std::string enc = EncodedFooter();
  ASSERT_EQ(enc.size(), Footer::kEncodedLength);
  ASSERT_EQ(enc.size(), 64u);
  EXPECT_EQ(enc.substr(56), std::string("\x89KVSTBL\n", 8));
  EXPECT_EQ(DecodeFixed64(enc.data() + 40), 900u);
  EXPECT_EQ(DecodeFixed32(enc.data() + 48), kTableFormatVersion);
  EXPECT_EQ(crc32c::Unmask(DecodeFixed32(enc.data() + 52)),
            crc32c::Value(enc.data(), 52));

  Footer d;
  // Decoding looks at the last 64 bytes of what it is given.
  ASSERT_TRUE(d.DecodeFrom("leading bytes" + enc).ok());
  EXPECT_EQ(d.metaindex.offset, 1000u);
  EXPECT_EQ(d.metaindex.size, 50u);
  EXPECT_EQ(d.index.offset, 1055u);
  EXPECT_EQ(d.index.size, 300u);
  EXPECT_EQ(d.meta_offset, 900u);
}

TEST(FooterTest, DamageIsDataLoss) {
  std::string enc = EncodedFooter();
  Footer d;
  EXPECT_TRUE(absl::IsDataLoss(d.DecodeFrom(enc.substr(1))));
  for (size_t pos = 0; pos < enc.size(); pos++) {
    std::string bad = enc;
    bad[pos] ^= 0x10;
    EXPECT_TRUE(absl::IsDataLoss(d.DecodeFrom(bad))) << pos;
  }
}

TEST(CompressBlockTest, CompressesOnlyWhenItSavesAnEighth) {
  std::string scratch;
  CompressionType used;

  std::string repetitive(10000, 'a');
  std::string_view out =
      CompressBlock(repetitive, CompressionType::kSnappy, &scratch, &used);
  EXPECT_EQ(used, CompressionType::kSnappy);
  EXPECT_LT(out.size(), repetitive.size() / 10);
  EXPECT_EQ(out.data(), scratch.data());

  out = CompressBlock(repetitive, CompressionType::kNone, &scratch, &used);
  EXPECT_EQ(used, CompressionType::kNone);
  EXPECT_EQ(out.data(), repetitive.data());

  Random rnd(1);
  std::string random = rnd.RandomBytes(10000);
  out = CompressBlock(random, CompressionType::kSnappy, &scratch, &used);
  EXPECT_EQ(used, CompressionType::kNone);
  EXPECT_EQ(out, random);

  // Around the 12.5% threshold: random bytes with a run of zeros whose length
  // sets how much Snappy saves. Just above 1/8 saved must compress, just below
  // must not.
  int compressed_cases = 0;
  int raw_cases = 0;
  for (size_t zeros = 1000; zeros <= 1600; zeros += 20) {
    // Zeros first: Snappy skips ahead faster and faster through data without
    // matches.
    std::string mixed =
        std::string(zeros, '\0') + rnd.RandomBytes(10000 - zeros);
    std::string direct;
    snappy::Compress(mixed.data(), mixed.size(), &direct);
    out = CompressBlock(mixed, CompressionType::kSnappy, &scratch, &used);
    if (direct.size() < mixed.size() - mixed.size() / 8) {
      EXPECT_EQ(used, CompressionType::kSnappy) << zeros;
      EXPECT_EQ(out, direct);
      compressed_cases++;
    } else {
      EXPECT_EQ(used, CompressionType::kNone) << zeros;
      EXPECT_EQ(out, mixed);
      raw_cases++;
    }
  }
  EXPECT_GT(compressed_cases, 0);
  EXPECT_GT(raw_cases, 0);
}

// A block stored with its trailer, as a table holds it.
std::string StoredBlock(std::string_view stored, CompressionType type) {
  std::string out(stored);
  char trailer[kBlockTrailerSize];
  EncodeBlockTrailer(stored, type, trailer);
  out.append(trailer, kBlockTrailerSize);
  return out;
}

TEST(DecodeBlockTest, TrailerLayout) {
  std::string stored = StoredBlock("hello", CompressionType::kNone);
  ASSERT_EQ(stored.size(), 10u);
  EXPECT_EQ(stored[5], 0);
  uint32_t crc = crc32c::Extend(crc32c::Value("hello", 5), "\0", 1);
  EXPECT_EQ(DecodeFixed32(stored.data() + 6), crc32c::Mask(crc));
}

TEST(DecodeBlockTest, ChecksumTypeAndSnappyErrors) {
  std::string raw(5000, 'x');
  std::string scratch;
  CompressionType used;
  std::string compressed(
      CompressBlock(raw, CompressionType::kSnappy, &scratch, &used));
  ASSERT_EQ(used, CompressionType::kSnappy);
  std::string file = StoredBlock(compressed, used);
  std::string_view stored(file.data(), compressed.size());
  std::string_view trailer(file.data() + compressed.size(), kBlockTrailerSize);

  absl::StatusOr<BlockContents> c = DecodeBlock(stored, trailer, true);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->owned());
  EXPECT_EQ(c->data, raw);

  // A damaged checksum is caught only when verifying.
  std::string bad_trailer(trailer);
  bad_trailer[2] ^= 1;
  EXPECT_TRUE(
      absl::IsDataLoss(DecodeBlock(stored, bad_trailer, true).status()));
  EXPECT_TRUE(DecodeBlock(stored, bad_trailer, false).ok());

  // Unknown compression type.
  bad_trailer = std::string(trailer);
  bad_trailer[0] = 7;
  EXPECT_TRUE(
      absl::IsDataLoss(DecodeBlock(stored, bad_trailer, false).status()));

  // Short trailer.
  EXPECT_TRUE(absl::IsDataLoss(
      DecodeBlock(stored, trailer.substr(0, 4), false).status()));

  // Malformed Snappy data with a valid checksum: every truncation and a
  // corrupted body.
  for (size_t len = 0; len < compressed.size(); len++) {
    std::string part = StoredBlock(compressed.substr(0, len), used);
    absl::StatusOr<BlockContents> r = DecodeBlock(
        std::string_view(part.data(), len),
        std::string_view(part.data() + len, kBlockTrailerSize), true);
    EXPECT_TRUE(absl::IsDataLoss(r.status())) << len;
  }

  // A claimed uncompressed length far beyond what Snappy can produce from the
  // input.
  std::string huge;
  PutVarint32(&huge, 0xfffffff0u);
  huge += "\x00\x41";
  std::string hf = StoredBlock(huge, CompressionType::kSnappy);
  EXPECT_TRUE(absl::IsDataLoss(
      DecodeBlock(std::string_view(hf.data(), huge.size()),
                  std::string_view(hf.data() + huge.size(), kBlockTrailerSize),
                  true)
          .status()));
}

TEST(ReadBlockTest, OneReadPerBlockAndBounds) {
  std::string raw = "some block contents";
  std::string file = "prefix" + StoredBlock(raw, CompressionType::kNone) + "x";
  BlockHandle handle{6, raw.size()};
  ReadOptions verify;
  verify.verify_checksums = true;

  for (bool borrow : {false, true}) {
    std::atomic<int> reads{0};
    test::StringSource source(file, borrow, &reads);
    absl::StatusOr<BlockContents> c =
        ReadBlock(source, file.size(), verify, handle);
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(c->data, raw);
    EXPECT_EQ(reads.load(), 1);
    // A copy into our buffer is owned; a borrowed view of the file's memory is
    // not.
    EXPECT_EQ(c->owned(), !borrow);
  }

  test::StringSource source(file);
  // Past the end of the file, or of the limit the caller gives.
  EXPECT_TRUE(absl::IsDataLoss(
      ReadBlock(source, file.size(), verify, {6, raw.size() + 2}).status()));
  EXPECT_TRUE(absl::IsDataLoss(
      ReadBlock(source, file.size() - 2, verify, handle).status()));
  EXPECT_TRUE(absl::IsDataLoss(
      ReadBlock(source, file.size(), verify, {UINT64_MAX - 2, 10}).status()));
  EXPECT_TRUE(absl::IsDataLoss(
      ReadBlock(source, file.size(), verify, {6, UINT64_MAX}).status()));

  // The file is shorter than the caller believes: a short read.
  EXPECT_TRUE(absl::IsDataLoss(
      ReadBlock(source, file.size() + 100, verify, {6, raw.size() + 50})
          .status()));

  // Read errors are passed through.
  test::FailingSource failing;
  absl::Status s = ReadBlock(failing, file.size(), verify, handle).status();
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;

  // A flipped byte is caught with verify_checksums.
  std::string damaged = file;
  damaged[8] ^= 1;
  test::StringSource bad_source(damaged);
  EXPECT_TRUE(absl::IsDataLoss(
      ReadBlock(bad_source, damaged.size(), verify, handle).status()));
  EXPECT_TRUE(
      ReadBlock(bad_source, damaged.size(), ReadOptions(), handle).ok());
}

}  // namespace
}  // namespace kvs
