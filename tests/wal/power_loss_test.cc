// The log through FaultInjectionFileSystem: after a simulated power loss the
// reader must return exactly what was synced (possibly followed by later whole
// records), with no damage reported.

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/wal/log_test_util.h"
#include "util/fault_injection_file_system.h"
#include "util/mem_file_system.h"
#include "util/random.h"

namespace kvs::wal::testing {
namespace {

constexpr char kDir[] = "/db";
constexpr char kPath[] = "/db/000001.log";

class PowerLossTest : public ::testing::Test {
 protected:
  PowerLossTest()
      : base_(NewMemFileSystem()),
        fs_(std::make_unique<FaultInjectionFileSystem>(base_.get())) {
    EXPECT_TRUE(fs_->CreateDir(kDir).ok());
  }

  ~PowerLossTest() override {
    // Files before the file systems that made them.
    file_.reset();
    fs_.reset();
  }

  // Opens the log for appending and makes its name durable.
  void OpenForAppend() {
    auto file = fs_->NewAppendableFile(kPath);
    ASSERT_TRUE(file.ok()) << file.status();
    file_ = std::move(*file);
    ASSERT_TRUE(fs_->SyncDir(kDir).ok());
    auto size = fs_->GetFileSize(kPath);
    ASSERT_TRUE(size.ok()) << size.status();
    writer_ = std::make_unique<Writer>(file_.get(), *size);
  }

  void PowerLoss() {
    writer_.reset();
    file_.reset();
    ASSERT_TRUE(fs_->DropUnsyncedData().ok());
  }

  // Reads the whole log, expecting no damage.
  std::vector<std::string> ReadLog() {
    std::vector<std::string> out;
    auto file = fs_->NewSequentialFile(kPath);
    EXPECT_TRUE(file.ok()) << file.status();
    if (!file.ok()) return out;
    RecordingReporter reporter;
    Reader reader(file->get(), &reporter, true);
    std::string scratch;
    std::string_view record;
    while (reader.ReadRecord(&record, &scratch)) out.emplace_back(record);
    EXPECT_EQ(reporter.statuses.size(), 0u) << reporter.Messages();
    EXPECT_EQ(reader.CorruptionReports(), 0u);
    EXPECT_TRUE(reader.status().ok());
    last_torn_tail_ = reader.TornTailBytes();
    return out;
  }

  // got must start with want[0, synced) and may go on with further records of
  // want, in order.
  static void ExpectSyncedPrefix(const std::vector<std::string>& got,
                                 const std::vector<std::string>& want,
                                 size_t synced) {
    ASSERT_GE(got.size(), synced);
    ASSERT_LE(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i], want[i]) << "record " << i << " of " << got.size();
    }
  }

  std::unique_ptr<FileSystem> base_;
  std::unique_ptr<FaultInjectionFileSystem> fs_;
  std::unique_ptr<WritableFile> file_;
  std::unique_ptr<Writer> writer_;
  uint64_t last_torn_tail_ = 0;
};

TEST_F(PowerLossTest, UnsyncedRecordsAreLostCleanly) {
  OpenForAppend();
  ASSERT_TRUE(writer_->AddRecord("a").ok());
  ASSERT_TRUE(writer_->AddRecord("b").ok());
  ASSERT_TRUE(writer_->Sync().ok());
  ASSERT_TRUE(writer_->AddRecord("c").ok());
  ASSERT_TRUE(writer_->AddRecord(std::string(100000, 'd')).ok());
  PowerLoss();
  EXPECT_EQ(ReadLog(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(last_torn_tail_, 0u);
}

TEST_F(PowerLossTest, RandomSyncPointsAcrossRestarts) {
  for (uint64_t seed : {11, 12, 13, 14}) {
    SCOPED_TRACE(seed);
    ASSERT_TRUE(fs_->RemoveFile(kPath).ok() || seed == 11);
    Random rnd(seed);
    std::vector<std::string>
        want;  // Everything that survived so far, then this round's.
    size_t synced = 0;
    for (int round = 0; round < 4; ++round) {
      OpenForAppend();
      const int n = 20 + static_cast<int>(rnd.Uniform(60));
      for (int i = 0; i < n; ++i) {
        // Mostly small, some spanning several blocks.
        want.push_back(rnd.RandomBytes(rnd.Skewed(17)));
        ASSERT_TRUE(writer_->AddRecord(want.back()).ok());
        if (rnd.OneIn(8)) {
          ASSERT_TRUE(writer_->Sync().ok());
          synced = want.size();
        }
      }
      PowerLoss();
      const std::vector<std::string> got = ReadLog();
      ExpectSyncedPrefix(got, want, synced);
      EXPECT_EQ(last_torn_tail_, 0u);
      // The next round appends to what survived.
      want = got;
      synced = got.size();
    }
  }
}

TEST_F(PowerLossTest, DeadFileSystemFailsWritesAndKeepsSyncedPrefix) {
  OpenForAppend();
  std::vector<std::string> want;
  for (int i = 0; i < 50; ++i) {
    want.push_back(Filler(static_cast<size_t>(i) * 1000, static_cast<char>(i)));
    ASSERT_TRUE(writer_->AddRecord(want.back()).ok());
  }
  ASSERT_TRUE(writer_->Sync().ok());
  const size_t synced = want.size();
  ASSERT_TRUE(writer_->AddRecord("lost").ok());
  fs_->SetFilesystemActive(false);
  absl::Status s = writer_->AddRecord("fails");
  EXPECT_TRUE(IsInjectedError(s)) << s;
  EXPECT_TRUE(IsInjectedError(writer_->Sync()));
  fs_->SetFilesystemActive(true);
  // Still failing: the writer no longer knows what reached the file.
  EXPECT_TRUE(IsInjectedError(writer_->AddRecord("also fails")));
  PowerLoss();
  const std::vector<std::string> got = ReadLog();
  EXPECT_EQ(got.size(), synced);
  ExpectSyncedPrefix(got, want, synced);
}

TEST_F(PowerLossTest, InjectedAppendError) {
  OpenForAppend();
  ASSERT_TRUE(writer_->AddRecord("one").ok());
  FaultRule rule;
  rule.ops = FaultOp::kAppend;
  rule.path_filter = "000001.log";
  const int id = fs_->InjectError(rule);
  EXPECT_TRUE(IsInjectedError(writer_->AddRecord("two")));
  fs_->RemoveError(id);
  EXPECT_TRUE(IsInjectedError(writer_->AddRecord("three")));
  writer_.reset();
  file_.reset();
  EXPECT_EQ(ReadLog(), (std::vector<std::string>{"one"}));
}

TEST_F(PowerLossTest, InjectedReadErrorIsReported) {
  OpenForAppend();
  ASSERT_TRUE(writer_->AddRecord(std::string(kBlockSize, 'x')).ok());
  ASSERT_TRUE(writer_->AddRecord("y").ok());
  writer_.reset();
  file_.reset();
  auto file = fs_->NewSequentialFile(kPath);
  ASSERT_TRUE(file.ok());
  FaultRule rule;
  rule.ops = FaultOp::kRead;
  rule.skip = 1;  // The first block reads fine.
  fs_->InjectError(rule);
  RecordingReporter reporter;
  Reader reader(file->get(), &reporter, true);
  std::string scratch;
  std::string_view record;
  EXPECT_FALSE(reader.ReadRecord(&record, &scratch));
  ASSERT_EQ(reporter.statuses.size(), 1u);
  EXPECT_TRUE(IsInjectedError(reporter.statuses[0]));
  EXPECT_TRUE(IsInjectedError(reader.status()));
  // The record's FIRST fragment (block 0) was lost with it.
  EXPECT_EQ(reporter.dropped, kBlockSize);
}

}  // namespace
}  // namespace kvs::wal::testing
