// How the reader handles damaged and torn logs: what it reports, how much it
// drops, and where it picks up again.

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/wal/log_test_util.h"
#include "util/random.h"

namespace kvs::wal::testing {
namespace {

using Records = std::vector<std::string>;

void ExpectAllDataLoss(const RecordingReporter& reporter) {
  for (const auto& s : reporter.statuses) {
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  }
}

// Block 0: a 100-byte FULL record at offset 0 followed by one that fills the
// block; then two records in block 1.
class FullRecordDamageTest : public LogTest {
 protected:
  void SetUp() override {
    Write(Filler(100, 'a'));
    Write(Filler(kBlockSize - 107 - kHeaderSize, 'b'));
    ASSERT_EQ(WrittenBytes(), kBlockSize);
    Write("after1");
    Write("after2");
    pristine_ = contents();
  }
  std::string pristine_;
};

TEST_F(FullRecordDamageTest, AnyFlippedByteDropsTheRestOfTheBlock) {
  // CRC (0-3), length (4-5), type (6), payload (first, middle, last).
  for (size_t pos : {0, 1, 2, 3, 4, 5, 6, 7, 57, 106}) {
    for (unsigned char mask : {0x01, 0x80, 0xff}) {
      contents() = pristine_;
      FlipByte(pos, mask);
      StartReading();
      EXPECT_EQ(ReadAll(), (Records{"after1", "after2"}))
          << "pos " << pos << " mask " << int{mask};
      EXPECT_EQ(ReportCount(), 1u) << pos << "\n" << ReportMessages();
      EXPECT_EQ(DroppedBytes(), kBlockSize) << pos;
      EXPECT_EQ(reader_->CorruptionReports(), 1u);
      EXPECT_EQ(reader_->DroppedBytes(), kBlockSize);
      EXPECT_EQ(reader_->TornTailBytes(), 0u);
      ExpectAllDataLoss(reporter_);
    }
  }
}

// A WAL whose space was allocated ahead keeps its size through a crash: a
// torn last record is followed by zeros up to the allocated size (a multiple
// of Reader::kAllocationUnit), not by the end of the file. Such damage is a
// torn tail for a reader told so; damage with a good fragment after it, or in
// a file of any other size, is still reported.
TEST_F(LogTest, DamagedLastRecordBeforePreallocatedZerosIsATornTail) {
  Write("first");
  Write(Filler(3000, 'x'));
  const size_t last = WrittenBytes() - 3000 - kHeaderSize;
  // The second half of the last record never reached the disk.
  for (size_t i = last + 1500; i < WrittenBytes(); i++) contents()[i] = 0;
  contents().resize(Reader::kAllocationUnit, '\0');

  StartReading(true, true, 0, /*allocated_ahead=*/true);
  EXPECT_EQ(ReadAll(), (Records{"first"}));
  EXPECT_EQ(ReportCount(), 0u) << ReportMessages();
  EXPECT_GT(reader_->TornTailBytes(), 0u);

  // Without allocated_ahead it is damage.
  StartReading(true, true, 0, /*allocated_ahead=*/false);
  EXPECT_EQ(ReadAll(), (Records{"first"}));
  EXPECT_EQ(ReportCount(), 1u);

  // So it is when the file's size is not a whole number of allocation units.
  contents().resize(Reader::kAllocationUnit - 1);
  StartReading(true, true, 0, /*allocated_ahead=*/true);
  EXPECT_EQ(ReadAll(), (Records{"first"}));
  EXPECT_EQ(ReportCount(), 1u);

  // And when a good record follows it: a FULL record "late" written at the
  // start of block 1.
  struct OtherLog : LogTest {
    void TestBody() override {}
  } other;
  other.Write("late");
  contents().resize(Reader::kAllocationUnit, '\0');
  contents().replace(kBlockSize, other.contents().size(), other.contents());
  StartReading(true, true, 0, /*allocated_ahead=*/true);
  EXPECT_EQ(ReadAll(), (Records{"first", "late"}));
  EXPECT_EQ(ReportCount(), 1u);
}

TEST_F(FullRecordDamageTest, DamageToSecondRecordKeepsTheFirst) {
  FlipByte(107 + 20, 0x10);
  EXPECT_EQ(ReadAll(), (Records{Filler(100, 'a'), "after1", "after2"}));
  EXPECT_EQ(ReportCount(), 1u);
  EXPECT_EQ(DroppedBytes(), kBlockSize - 107);
}

TEST_F(FullRecordDamageTest, ChecksumsNotVerified) {
  FlipByte(50, 0x01);
  StartReading(/*verify_checksums=*/false);
  std::string damaged = Filler(100, 'a');
  damaged[50 - kHeaderSize] ^= 0x01;
  EXPECT_EQ(Read(), damaged);
  EXPECT_EQ(ReportCount(), 0u);
  // Lengths are still checked.
  contents() = pristine_;
  SetLength(0, 60000);
  StartReading(/*verify_checksums=*/false);
  EXPECT_EQ(ReadAll(), (Records{"after1", "after2"}));
  EXPECT_EQ(ReportCount(), 1u);
  EXPECT_EQ(DroppedBytes(), kBlockSize);
}

TEST_F(FullRecordDamageTest, NullReporterStillCounts) {
  FlipByte(3, 0x01);
  StringSource source(contents());
  Reader reader(&source, nullptr, true);
  std::string scratch;
  std::string_view record;
  ASSERT_TRUE(reader.ReadRecord(&record, &scratch));
  EXPECT_EQ(record, "after1");
  EXPECT_EQ(reader.CorruptionReports(), 1u);
  EXPECT_EQ(reader.DroppedBytes(), kBlockSize);
}

// "pre" at 0, then a record whose fragments exactly fill blocks 0 (FIRST, from
// offset 10), 1 and 2 (MIDDLE) and 3 (LAST), then two records in block 4.
class FragmentDamageTest : public LogTest {
 protected:
  static constexpr size_t kStart = kHeaderSize + 3;
  static constexpr size_t kBigSize = 4 * kBlockSize - kStart - 4 * kHeaderSize;

  void SetUp() override {
    Write("pre");
    Write(Filler(kBigSize, 'F'));
    ASSERT_EQ(WrittenBytes(), 4 * kBlockSize);
    Write("post1");
    Write("post2");
    pristine_ = contents();
  }
  std::string pristine_;
};

TEST_F(FragmentDamageTest, Layout) {
  EXPECT_EQ(contents()[kStart + kTypeOffset], kFirstType);
  EXPECT_EQ(contents()[kBlockSize + kTypeOffset], kMiddleType);
  EXPECT_EQ(contents()[2 * kBlockSize + kTypeOffset], kMiddleType);
  EXPECT_EQ(contents()[3 * kBlockSize + kTypeOffset], kLastType);
  EXPECT_EQ(ReadAll(),
            (Records{"pre", Filler(kBigSize, 'F'), "post1", "post2"}));
}

TEST_F(FragmentDamageTest, AnyFlippedByteDropsExactlyThatRecord) {
  const size_t headers[] = {kStart, kBlockSize, 2 * kBlockSize, 3 * kBlockSize};
  for (size_t h : headers) {
    const size_t block_end = (h / kBlockSize + 1) * kBlockSize;
    // CRC, length, type, first/middle/last payload byte of this fragment.
    for (size_t pos : {h, h + 3, h + 4, h + 5, h + 6, h + 7,
                       (h + block_end) / 2, block_end - 1}) {
      for (unsigned char mask : {0x01, 0x40, 0xff}) {
        contents() = pristine_;
        FlipByte(pos, mask);
        StartReading();
        EXPECT_EQ(ReadAll(), (Records{"pre", "post1", "post2"}))
            << "pos " << pos << " mask " << int{mask};
        EXPECT_GE(ReportCount(), 1u);
        EXPECT_EQ(DroppedBytes(), 4 * kBlockSize - kStart)
            << "pos " << pos << " mask " << int{mask} << "\n"
            << ReportMessages();
        EXPECT_EQ(reader_->TornTailBytes(), 0u);
        ExpectAllDataLoss(reporter_);
      }
    }
  }
}

TEST_F(FragmentDamageTest, MiddleWithoutFirst) {
  SetType(kStart, kMiddleType);
  FixChecksum(kStart);
  EXPECT_EQ(ReadAll(), (Records{"pre", "post1", "post2"}));
  // The relabelled fragment, the real MIDDLEs and the LAST: each reported as an
  // orphan.
  EXPECT_EQ(ReportCount(), 4u) << ReportMessages();
  EXPECT_EQ(DroppedBytes(), 4 * kBlockSize - kStart);
  ExpectAllDataLoss(reporter_);
}

TEST_F(FragmentDamageTest, FirstWithoutLast) {
  // The LAST relabelled as FULL: the FIRST..MIDDLE chain is dropped, the FULL
  // stands alone.
  SetType(3 * kBlockSize, kFullType);
  FixChecksum(3 * kBlockSize);
  EXPECT_EQ(Read(), "pre");
  const std::string big = Filler(kBigSize, 'F');
  EXPECT_EQ(Read(), big.substr(big.size() - (kBlockSize - kHeaderSize)));
  EXPECT_EQ(ReportCount(), 1u);
  EXPECT_EQ(DroppedBytes(), 3 * kBlockSize - kStart);
  EXPECT_EQ(ReadAll(), (Records{"post1", "post2"}));
}

TEST_F(FragmentDamageTest, FirstAfterFirst) {
  // Block 1 relabelled FIRST: the chain begun in block 0 is abandoned, and a
  // record made of the fragments from block 1 on comes back.
  SetType(kBlockSize, kFirstType);
  FixChecksum(kBlockSize);
  EXPECT_EQ(Read(), "pre");
  const std::string big = Filler(kBigSize, 'F');
  EXPECT_EQ(Read(), big.substr(kBlockSize - kStart - kHeaderSize));
  EXPECT_EQ(ReportCount(), 1u) << ReportMessages();
  EXPECT_EQ(DroppedBytes(), kBlockSize - kStart);
  EXPECT_EQ(ReadAll(), (Records{"post1", "post2"}));
}

TEST_F(LogTest, LastWithoutFirst) {
  Write("x");
  Write("y");
  SetType(0, kLastType);
  FixChecksum(0);
  EXPECT_EQ(ReadAll(), (Records{"y"}));
  EXPECT_EQ(ReportCount(), 1u);
  EXPECT_EQ(DroppedBytes(), kHeaderSize + 1);
}

TEST_F(LogTest, UnknownTypeWithValidChecksum) {
  for (char type : {char{0}, char{5}, char{9}, static_cast<char>(0xff)}) {
    sink_ = StringSink();
    writer_ = std::make_unique<Writer>(&sink_, 0);
    Write("foo");
    Write("bar");
    SetType(0, type);
    FixChecksum(0);
    StartReading();
    // The checksum vouches for the length, so reading goes on right after it.
    EXPECT_EQ(ReadAll(), (Records{"bar"})) << int{type};
    EXPECT_EQ(ReportCount(), 1u);
    EXPECT_EQ(DroppedBytes(), kHeaderSize + 3);
    ExpectAllDataLoss(reporter_);
  }
}

TEST_F(LogTest, UnknownTypeInsideFragmentedRecord) {
  Write(Filler(2 * kBlockSize, 'f'));  // FIRST, MIDDLE, LAST
  Write("z");
  SetType(kBlockSize, 7);
  FixChecksum(kBlockSize);
  EXPECT_EQ(ReadAll(), (Records{"z"}));
  EXPECT_EQ(DroppedBytes(),
            2 * kBlockSize + kHeaderSize +
                (2 * kBlockSize - 2 * (kBlockSize - kHeaderSize)));
}

TEST_F(LogTest, BadLengthInFullBlock) {
  Write("a");
  Write("b");
  Write(Filler(kBlockSize, 'c'));
  Write("d");
  SetLength(kHeaderSize + 1, 40000);
  EXPECT_EQ(ReadAll(), (Records{"a", "d"}));
  // The rest of block 0, then the orphaned LAST of "c".
  EXPECT_EQ(ReportCount(), 2u);
  EXPECT_EQ(reporter_.statuses[0].message().find("length") != std::string::npos,
            true);
}

TEST_F(LogTest, DamageInFinalBlockDropsItsRest) {
  Write("a");
  Write("bb");
  Write("ccc");
  FlipByte(kHeaderSize + 1 + kHeaderSize, 0x01);  // Payload of "bb".
  EXPECT_EQ(ReadAll(), (Records{"a"}));
  EXPECT_EQ(ReportCount(), 1u);
  EXPECT_EQ(DroppedBytes(), (kHeaderSize + 2) + (kHeaderSize + 3));
}

TEST_F(LogTest, LengthPastEndOfFileLooksLikeATornTail) {
  // Documented limitation: in the final block a length pointing past the end of
  // the file is indistinguishable from a record the crash cut short, so it ends
  // the log without a report.
  Write("a");
  Write("bb");
  SetLength(0, 1000);
  EXPECT_EQ(ReadAll(), Records{});
  EXPECT_EQ(ReportCount(), 0u);
  EXPECT_EQ(reader_->TornTailBytes(), WrittenBytes());
}

TEST_F(LogTest, ZeroFilledTailIsNotDamage) {
  Write("a");
  Write(Filler(kBlockSize, 'b'));
  // Preallocated space: zeros to the end of the block, whole blocks of zeros, a
  // partial block.
  contents().append(2 * kBlockSize + 100 - WrittenBytes() % kBlockSize, '\0');
  EXPECT_EQ(ReadAll(), (Records{"a", Filler(kBlockSize, 'b')}));
  EXPECT_EQ(ReportCount(), 0u);
  EXPECT_EQ(reader_->TornTailBytes(), 0u);
  EXPECT_EQ(reader_->CorruptionReports(), 0u);
}

TEST_F(LogTest, ZeroedRecordFollowedByDataIsDamage) {
  Write("a");
  Write("b");
  Write("c");
  for (size_t i = kHeaderSize + 1; i < 2 * (kHeaderSize + 1); ++i)
    SetByte(i, 0);
  EXPECT_EQ(ReadAll(), (Records{"a"}));
  EXPECT_EQ(ReportCount(), 1u);
  EXPECT_EQ(DroppedBytes(), 2 * (kHeaderSize + 1));
}

TEST_F(LogTest, NonZeroTrailerIsIgnored) {
  Write(Filler(kBlockSize - kHeaderSize - 4, 'x'));
  Write("y");
  for (size_t i = kBlockSize - 4; i < kBlockSize; ++i) SetByte(i, 'T');
  EXPECT_EQ(ReadAll(),
            (Records{Filler(kBlockSize - kHeaderSize - 4, 'x'), "y"}));
  EXPECT_EQ(ReportCount(), 0u);
}

// Cuts the file at every offset inside its last record (or a sample, for a long
// one). The records before it must come back intact and the end must be clean.
void CheckTornTails(LogTest* t, const Records& before, size_t last_start,
                    size_t last_end, size_t cut_from,
                    const std::vector<size_t>& cuts) {
  const std::string full = t->contents();
  for (size_t cut : cuts) {
    if (cut < cut_from || cut >= last_end) continue;
    t->contents() = full.substr(0, cut);
    t->StartReading();
    EXPECT_EQ(t->ReadAll(), before) << "cut " << cut;
    EXPECT_EQ(t->ReportCount(), 0u) << "cut " << cut << "\n"
                                    << t->ReportMessages();
    EXPECT_EQ(t->reader_->CorruptionReports(), 0u);
    const size_t torn = cut > last_start ? cut - last_start : 0;
    EXPECT_EQ(t->reader_->TornTailBytes(), torn) << "cut " << cut;
    EXPECT_EQ(t->reader_->EndOfLastRecord(), cut_from) << "cut " << cut;
  }
  t->contents() = full;
}

std::vector<size_t> Range(size_t from, size_t to) {
  std::vector<size_t> v;
  for (size_t i = from; i < to; ++i) v.push_back(i);
  return v;
}

TEST_F(LogTest, TornSmallRecordAtEveryOffset) {
  Write("r0");
  Write(Filler(300, '1'));
  const size_t start = WrittenBytes();
  Write(Filler(200, 'L'));
  CheckTornTails(this, {"r0", Filler(300, '1')}, start, WrittenBytes(), start,
                 Range(start, WrittenBytes()));
}

TEST_F(LogTest, TornFragmentedRecord) {
  Write("r0");
  const size_t start = WrittenBytes();
  Write(Filler(2 * kBlockSize + 5000, 'L'));
  const size_t end = WrittenBytes();
  std::vector<size_t> cuts;
  for (size_t b : {start, kBlockSize, 2 * kBlockSize, end}) {
    for (size_t i = (b > 40 ? b - 40 : 0); i < b + 40; ++i) cuts.push_back(i);
  }
  for (size_t i = start; i < end; i += 97) cuts.push_back(i);
  CheckTornTails(this, {"r0"}, start, end, start, cuts);
}

TEST_F(LogTest, TornRecordAfterBlockTrailer) {
  Write(Filler(kBlockSize - kHeaderSize - 3, 'x'));  // Leaves a 3-byte trailer.
  const size_t prev_end = WrittenBytes();
  Write(Filler(500, 'L'));  // Starts at the next block.
  // Cuts inside the zero trailer leave only zeros: neither torn nor damaged.
  CheckTornTails(this, {Filler(kBlockSize - kHeaderSize - 3, 'x')}, kBlockSize,
                 WrittenBytes(), prev_end, Range(prev_end, WrittenBytes()));
}

TEST_F(LogTest, TornTailCanBeCutAndAppendedTo) {
  Write("a");
  Write(Filler(kBlockSize, 'b'));
  contents().resize(WrittenBytes() - 10);
  StartReading();
  EXPECT_EQ(ReadAll(), Records{"a"});
  EXPECT_GT(reader_->TornTailBytes(), 0u);
  // What a recovering caller does: cut the log back to the last good record and
  // go on there.
  contents().resize(reader_->EndOfLastRecord());
  ReopenWriter();
  Write("c");
  StartReading();
  EXPECT_EQ(ReadAll(), (Records{"a", "c"}));
  EXPECT_EQ(ReportCount(), 0u);
}

TEST_F(LogTest, RandomGarbageNeverCrashes) {
  Random rnd(42);
  for (int iter = 0; iter < 300; ++iter) {
    std::string garbage = rnd.RandomBytes(rnd.Skewed(17));
    if (rnd.OneIn(3) && garbage.size() > 2 * kHeaderSize) {
      // Plausible-looking headers: small lengths and valid types.
      for (size_t i = 0; i + kHeaderSize <= garbage.size();
           i += 1 + rnd.Uniform(64)) {
        garbage[i + kLengthOffset] = static_cast<char>(rnd.Uniform(64));
        garbage[i + kLengthOffset + 1] = 0;
        garbage[i + kTypeOffset] = static_cast<char>(rnd.Uniform(6));
      }
    }
    for (bool verify : {true, false}) {
      contents() = garbage;
      StartReading(verify, rnd.OneIn(2));
      size_t returned = 0;
      while (auto r = Read()) returned += r->size() + kHeaderSize;
      // Every byte is accounted for at most once.
      EXPECT_LE(reader_->DroppedBytes() + reader_->TornTailBytes(),
                garbage.size())
          << iter;
      EXPECT_EQ(reader_->DroppedBytes(), DroppedBytes());
      EXPECT_LE(returned, garbage.size()) << iter;
    }
  }
}

TEST_F(LogTest, RandomDamageReturnsOnlyGenuineRecords) {
  Random rnd(7);
  auto make = [](size_t i, size_t n) {
    std::string s = std::to_string(i) + ":";
    s += Filler(n, static_cast<char>(i));
    return s;
  };
  std::vector<size_t> sizes;
  for (int i = 0; i < 400; ++i) {
    sizes.push_back(rnd.Skewed(16));
    Write(make(i, sizes.back()));
  }
  const std::string pristine = contents();
  for (int iter = 0; iter < 100; ++iter) {
    contents() = pristine;
    const int flips = 1 + static_cast<int>(rnd.Uniform(5));
    for (int f = 0; f < flips; ++f) {
      FlipByte(rnd.Uniform(contents().size()),
               static_cast<unsigned char>(1 + rnd.Uniform(255)));
    }
    if (rnd.OneIn(4)) contents().resize(rnd.Uniform(contents().size()));
    StartReading(true, rnd.OneIn(2));
    long prev = -1;
    while (auto r = Read()) {
      const size_t colon = r->find(':');
      ASSERT_NE(colon, std::string::npos) << iter;
      const long index = std::stol(r->substr(0, colon));
      ASSERT_GT(index, prev) << iter;
      ASSERT_LT(index, 400) << iter;
      ASSERT_EQ(*r, make(index, sizes[index])) << iter;
      prev = index;
    }
    EXPECT_LE(reader_->DroppedBytes() + reader_->TornTailBytes(),
              contents().size());
    ExpectAllDataLoss(reporter_);
  }
}

}  // namespace
}  // namespace kvs::wal::testing
