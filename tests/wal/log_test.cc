// Round trips and the exact byte layout of the write-ahead log.

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/wal/log_test_util.h"
#include "util/random.h"

namespace kvs::wal::testing {
namespace {

TEST_F(LogTest, EmptyFile) {
  EXPECT_EQ(Read(), std::nullopt);
  EXPECT_EQ(Read(), std::nullopt);
  EXPECT_EQ(ReportCount(), 0u);
  EXPECT_EQ(reader_->CorruptionReports(), 0u);
  EXPECT_EQ(reader_->TornTailBytes(), 0u);
  EXPECT_TRUE(reader_->status().ok());
}

TEST_F(LogTest, ReadWrite) {
  Write("foo");
  Write("bar");
  Write("");
  Write("xxxx");
  EXPECT_EQ(Read(), "foo");
  EXPECT_EQ(Read(), "bar");
  EXPECT_EQ(Read(), "");
  EXPECT_EQ(Read(), "xxxx");
  EXPECT_EQ(Read(), std::nullopt);
  EXPECT_EQ(Read(), std::nullopt);  // Stays at the end.
  EXPECT_EQ(ReportCount(), 0u);
}

TEST_F(LogTest, HeaderLayout) {
  Write("hello");
  ASSERT_EQ(WrittenBytes(), kHeaderSize + 5);
  const std::string& c = contents();
  EXPECT_EQ(DecodeFixed32(c.data()), FragmentCrc(kFullType, "hello"));
  EXPECT_EQ(static_cast<unsigned char>(c[4]), 5);
  EXPECT_EQ(static_cast<unsigned char>(c[5]), 0);
  EXPECT_EQ(c[6], kFullType);
  EXPECT_EQ(c.substr(7), "hello");

  // A two-byte length, little-endian.
  Write(std::string(0x1234, 'x'));
  EXPECT_EQ(LengthAt(kHeaderSize + 5), 0x1234u);
  EXPECT_EQ(static_cast<unsigned char>(c[kHeaderSize + 5 + 4]), 0x34);
  EXPECT_EQ(static_cast<unsigned char>(c[kHeaderSize + 5 + 5]), 0x12);
}

TEST_F(LogTest, EmptyRecordsOnly) {
  // 7 bytes each: they cross block boundaries with a 1-byte trailer (32768 =
  // 4681 * 7 + 1).
  const int n = 3 * 4681 + 10;
  for (int i = 0; i < n; ++i) Write("");
  EXPECT_EQ(WrittenBytes(), 3 * kBlockSize + 10 * kHeaderSize);
  EXPECT_EQ(contents()[kBlockSize - 1], '\0');
  int count = 0;
  while (auto r = Read()) {
    EXPECT_EQ(*r, "");
    ++count;
  }
  EXPECT_EQ(count, n);
  EXPECT_EQ(ReportCount(), 0u);
}

TEST_F(LogTest, ManySmallRecordsAcrossBlocks) {
  for (int i = 0; i < 100000; ++i) Write(std::to_string(i));
  for (int i = 0; i < 100000; ++i) ASSERT_EQ(Read(), std::to_string(i));
  EXPECT_EQ(Read(), std::nullopt);
  EXPECT_EQ(ReportCount(), 0u);
}

TEST_F(LogTest, Fragmentation) {
  Write("small");
  Write(Filler(50000, 'm'));
  Write(Filler(100000, 'l'));
  EXPECT_EQ(Read(), "small");
  EXPECT_EQ(Read(), Filler(50000, 'm'));
  EXPECT_EQ(Read(), Filler(100000, 'l'));
  EXPECT_EQ(Read(), std::nullopt);
  EXPECT_EQ(ReportCount(), 0u);
}

TEST_F(LogTest, OneMebibyteRecord) {
  Random rnd(301);
  const std::string big = rnd.RandomBytes(1 << 20);
  Write("before");
  Write(big);
  Write("after");
  // Fragments of at most kBlockSize - kHeaderSize bytes, one header per block
  // touched.
  const size_t blocks = (WrittenBytes() + kBlockSize - 1) / kBlockSize;
  EXPECT_EQ(blocks, 33u);
  EXPECT_EQ(Read(), "before");
  EXPECT_EQ(Read(), big);
  EXPECT_EQ(Read(), "after");
  EXPECT_EQ(Read(), std::nullopt);
  EXPECT_EQ(ReportCount(), 0u);
  // Every block boundary inside the big record starts with a MIDDLE or LAST
  // header.
  for (size_t b = 1; b < blocks; ++b) {
    const char type = contents()[b * kBlockSize + kTypeOffset];
    EXPECT_TRUE(type == kMiddleType || type == kLastType) << b;
  }
}

// The first record leaves `room` bytes in block 0; what follows goes where the
// format says.
class BlockTailTest : public LogTest,
                      public ::testing::WithParamInterface<size_t> {};

TEST_P(BlockTailTest, NextRecordPlacement) {
  const size_t room = GetParam();
  const std::string first = Filler(kBlockSize - kHeaderSize - room, 'a');
  Write(first);
  ASSERT_EQ(WrittenBytes(), kBlockSize - room);
  Write("bar");
  Write("");
  if (room < kHeaderSize) {
    // Zero trailer, then "bar" as a FULL record at the start of block 1.
    EXPECT_EQ(contents().substr(kBlockSize - room, room),
              std::string(room, '\0'));
    EXPECT_EQ(contents()[kBlockSize + kTypeOffset], kFullType);
    EXPECT_EQ(WrittenBytes(), kBlockSize + (kHeaderSize + 3) + kHeaderSize);
  } else if (room >= kHeaderSize + 3) {
    // "bar" fits whole; with exactly 10 bytes left the empty record then opens
    // block 1.
    EXPECT_EQ(contents()[kBlockSize - room + kTypeOffset], kFullType);
    ASSERT_EQ(room, kHeaderSize + 3);
    EXPECT_EQ(contents()[kBlockSize + kTypeOffset], kFullType);
    EXPECT_EQ(WrittenBytes(), kBlockSize + kHeaderSize);
  } else {
    // Room for a header: "bar" starts here as a FIRST fragment (empty if only
    // the header fits) and ends in block 1.
    const size_t head = room - kHeaderSize;
    EXPECT_EQ(contents()[kBlockSize - room + kTypeOffset], kFirstType);
    EXPECT_EQ(LengthAt(kBlockSize - room), head);
    EXPECT_EQ(contents()[kBlockSize + kTypeOffset], kLastType);
    EXPECT_EQ(LengthAt(kBlockSize), 3 - head);
    EXPECT_EQ(WrittenBytes(),
              kBlockSize + (kHeaderSize + 3 - head) + kHeaderSize);
  }
  EXPECT_EQ(Read(), first);
  EXPECT_EQ(Read(), "bar");
  EXPECT_EQ(Read(), "");
  EXPECT_EQ(Read(), std::nullopt);
  EXPECT_EQ(ReportCount(), 0u);
  EXPECT_EQ(reader_->TornTailBytes(), 0u);
}

// 0 fills the block exactly; 1..6 leave a trailer; 7 fits exactly a
// header; 8..10 fit a header and some payload.
INSTANTIATE_TEST_SUITE_P(AllTails, BlockTailTest,
                         ::testing::Values(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10));

TEST_F(LogTest, EmptyRecordFillsLastSevenBytes) {
  Write(Filler(kBlockSize - 2 * kHeaderSize, 'a'));
  Write("");  // Exactly the 7 bytes left.
  EXPECT_EQ(WrittenBytes(), kBlockSize);
  Write("next");
  EXPECT_EQ(WrittenBytes(), kBlockSize + kHeaderSize + 4);
  EXPECT_EQ(Read(), Filler(kBlockSize - 2 * kHeaderSize, 'a'));
  EXPECT_EQ(Read(), "");
  EXPECT_EQ(Read(), "next");
  EXPECT_EQ(Read(), std::nullopt);
  EXPECT_EQ(ReportCount(), 0u);
}

TEST_F(LogTest, EveryRecordSizeAroundTheBlockSize) {
  for (size_t n = kBlockSize - 3 * kHeaderSize - 2;
       n <= kBlockSize + 2 * kHeaderSize; ++n) {
    sink_ = StringSink();
    writer_ = std::make_unique<Writer>(&sink_, 0);
    reader_.reset();
    Write("p");
    Write(Filler(n, static_cast<char>(n)));
    Write(Filler(n, static_cast<char>(n + 1)));
    Write("q");
    EXPECT_EQ(Read(), "p") << n;
    EXPECT_EQ(Read(), Filler(n, static_cast<char>(n))) << n;
    EXPECT_EQ(Read(), Filler(n, static_cast<char>(n + 1))) << n;
    EXPECT_EQ(Read(), "q") << n;
    EXPECT_EQ(Read(), std::nullopt) << n;
    EXPECT_EQ(ReportCount(), 0u) << n;
  }
}

TEST_F(LogTest, RecordOffsets) {
  Write("one");                    // [0, 10)
  Write(Filler(kBlockSize, 'b'));  // [10, ...) spanning into block 1
  Write("three");
  ASSERT_EQ(Read(), "one");
  EXPECT_EQ(reader_->LastRecordOffset(), 0u);
  EXPECT_EQ(reader_->EndOfLastRecord(), 10u);
  ASSERT_EQ(Read(), Filler(kBlockSize, 'b'));
  EXPECT_EQ(reader_->LastRecordOffset(), 10u);
  // Block 0 holds kBlockSize - 10 - 7 payload bytes; the rest follows a header
  // in block 1.
  const size_t second_end =
      kBlockSize + kHeaderSize + (kBlockSize - (kBlockSize - 17));
  EXPECT_EQ(reader_->EndOfLastRecord(), second_end);
  ASSERT_EQ(Read(), "three");
  EXPECT_EQ(reader_->LastRecordOffset(), second_end);
  EXPECT_EQ(reader_->EndOfLastRecord(), WrittenBytes());
  EXPECT_EQ(Read(), std::nullopt);
  // Unchanged by reaching the end.
  EXPECT_EQ(reader_->LastRecordOffset(), second_end);
}

TEST_F(LogTest, RandomRecords) {
  for (uint64_t seed : {1, 2, 3}) {
    sink_ = StringSink();
    writer_ = std::make_unique<Writer>(&sink_, 0);
    Random rnd(seed);
    std::vector<std::string> records;
    size_t total = 0;
    while (total < 4 * 1024 * 1024) {
      // Mostly small, sometimes up to 256 KiB.
      records.push_back(rnd.RandomBytes(rnd.Skewed(18)));
      total += records.back().size();
      Write(records.back());
    }
    for (bool verify : {true, false}) {
      for (bool copy : {true, false}) {
        StartReading(verify, copy);
        for (size_t i = 0; i < records.size(); ++i) {
          ASSERT_EQ(Read(), records[i]) << "seed " << seed << " record " << i;
        }
        EXPECT_EQ(Read(), std::nullopt);
        EXPECT_EQ(ReportCount(), 0u);
        EXPECT_EQ(reader_->EndOfLastRecord(), WrittenBytes());
      }
    }
  }
}

TEST_F(LogTest, ReopenedWriterContinuesPartialBlock) {
  // The first writer stops leaving each possible amount of room in the block.
  for (size_t room : {kBlockSize, size_t{0}, size_t{1}, size_t{6}, size_t{7},
                      size_t{8}, size_t{100}}) {
    sink_ = StringSink();
    writer_ = std::make_unique<Writer>(&sink_, 0);
    reader_.reset();
    Write("a");
    const std::string first =
        room == kBlockSize
            ? std::string()
            : Filler(kBlockSize - room - 2 * kHeaderSize - 1, 'f');
    if (room != kBlockSize) Write(first);
    writer_.reset();
    ReopenWriter();
    Write("after reopen");
    Write(Filler(3 * kBlockSize, 'z'));
    Write("end");
    EXPECT_EQ(Read(), "a") << room;
    if (room != kBlockSize) EXPECT_EQ(Read(), first) << room;
    EXPECT_EQ(Read(), "after reopen") << room;
    EXPECT_EQ(Read(), Filler(3 * kBlockSize, 'z')) << room;
    EXPECT_EQ(Read(), "end") << room;
    EXPECT_EQ(Read(), std::nullopt) << room;
    EXPECT_EQ(ReportCount(), 0u) << room << "\n" << ReportMessages();
  }
}

TEST_F(LogTest, ReopenedWriterNeverStraddlesBlocks) {
  // A reopened writer that ignored the existing length would put a fragment
  // across the boundary.
  Write(Filler(kBlockSize - kHeaderSize - 3, 'x'));  // 3 bytes left in block 0.
  ReopenWriter();
  Write("abcdef");
  EXPECT_EQ(contents().substr(kBlockSize - 3, 3), std::string(3, '\0'));
  EXPECT_EQ(contents()[kBlockSize + kTypeOffset], kFullType);
  EXPECT_EQ(WrittenBytes(), kBlockSize + kHeaderSize + 6);
}

TEST_F(LogTest, OneAppendAndFlushPerSmallRecord) {
  for (int i = 0; i < 10000; ++i) {
    const int appends = sink_.appends;
    const int flushes = sink_.flushes;
    Write(Filler(i % 300, 'r'));
    // Including the records that cross a block boundary (trailer + fragments in
    // one Append).
    ASSERT_EQ(sink_.appends, appends + 1) << i;
    ASSERT_EQ(sink_.flushes, flushes + 1) << i;
    // Everything is handed to the OS before AddRecord returns.
    ASSERT_EQ(sink_.flushed, WrittenBytes()) << i;
  }
  EXPECT_EQ(sink_.syncs, 0);
  ASSERT_TRUE(writer_->Sync().ok());
  EXPECT_EQ(sink_.syncs, 1);
  EXPECT_EQ(sink_.synced, WrittenBytes());
}

TEST_F(LogTest, HugeRecordUsesFewAppends) {
  Write(std::string(1 << 20, 'h'));
  EXPECT_LE(sink_.appends, 10);
  EXPECT_EQ(sink_.flushes, 1);
  EXPECT_EQ(sink_.flushed, WrittenBytes());
}

TEST_F(LogTest, WriterErrorsAreSticky) {
  Write("ok");
  sink_.append_error = absl::InternalError("disk on fire");
  EXPECT_EQ(writer_->AddRecord("x").code(), absl::StatusCode::kInternal);
  sink_.append_error = absl::OkStatus();
  const int appends = sink_.appends;
  EXPECT_EQ(writer_->AddRecord("y").code(), absl::StatusCode::kInternal);
  EXPECT_EQ(writer_->Sync().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(sink_.appends, appends);  // Nothing more was attempted.
  EXPECT_EQ(Read(), "ok");
  EXPECT_EQ(Read(), std::nullopt);
}

TEST_F(LogTest, FlushAndSyncErrors) {
  sink_.flush_error = absl::UnavailableError("flush");
  EXPECT_EQ(writer_->AddRecord("x").code(), absl::StatusCode::kUnavailable);

  sink_ = StringSink();
  writer_ = std::make_unique<Writer>(&sink_, 0);
  Write("y");
  sink_.sync_error = absl::DataLossError("fsync");
  EXPECT_EQ(writer_->Sync().code(), absl::StatusCode::kDataLoss);
  sink_.sync_error = absl::OkStatus();
  EXPECT_EQ(writer_->Sync().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(writer_->AddRecord("z").code(), absl::StatusCode::kDataLoss);
}

TEST_F(LogTest, ReadErrorIsReportedAndEndsReading) {
  Write(Filler(kBlockSize - kHeaderSize, 'a'));  // Fills block 0.
  Write("b");
  Write("c");
  StartReading(true, true, /*fail_on_read=*/2);
  EXPECT_EQ(Read(), Filler(kBlockSize - kHeaderSize, 'a'));
  EXPECT_EQ(Read(), std::nullopt);
  ASSERT_EQ(ReportCount(), 1u);
  EXPECT_EQ(reporter_.statuses[0].code(), absl::StatusCode::kInternal);
  EXPECT_EQ(DroppedBytes(), 0u);
  EXPECT_EQ(reader_->status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(reader_->CorruptionReports(), 1u);
  // Stays ended without further reports or reads.
  const int reads = source_->reads;
  EXPECT_EQ(Read(), std::nullopt);
  EXPECT_EQ(ReportCount(), 1u);
  EXPECT_EQ(source_->reads, reads);
}

TEST_F(LogTest, ReadErrorInsideFragmentedRecord) {
  Write("a");
  Write(Filler(2 * kBlockSize,
               'b'));  // FIRST in block 0, MIDDLE in 1, LAST in 2.
  StartReading(true, true, /*fail_on_read=*/3);
  EXPECT_EQ(Read(), "a");
  EXPECT_EQ(Read(), std::nullopt);
  ASSERT_EQ(ReportCount(), 1u);
  EXPECT_EQ(reporter_.statuses[0].code(), absl::StatusCode::kInternal);
  // The FIRST and MIDDLE fragments already read are lost with it.
  EXPECT_EQ(DroppedBytes(), 2 * kBlockSize - (kHeaderSize + 1));
}

TEST_F(LogTest, ReadErrorOnFirstRead) {
  Write("a");
  StartReading(true, true, /*fail_on_read=*/1);
  EXPECT_EQ(Read(), std::nullopt);
  EXPECT_EQ(ReportCount(), 1u);
  EXPECT_FALSE(reader_->status().ok());
}

}  // namespace
}  // namespace kvs::wal::testing
