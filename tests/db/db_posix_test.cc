// The database on the real disk (POSIX file system), for what the in-memory
// file system cannot show: files really written and read back by a new file
// system instance, the LOCK file between DB objects, and DestroyDB on a real
// directory.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "lsm/db.h"
#include "tests/db/db_test_util.h"
#include "util/posix_file_system.h"

namespace kvs::db_testing {
namespace {

class DBPosixTest : public ::testing::Test {
 protected:
  DBPosixTest() : fs_(NewPosixFileSystem()) {
    const char* tmp = std::getenv("TEST_TMPDIR");
    dbname_ = std::string(tmp != nullptr ? tmp : "/tmp") + "/db_posix_test_" +
              std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name();
    EXPECT_TRUE(DestroyDB(dbname_, MakeOptions()).ok());
  }
  ~DBPosixTest() override {
    db_.reset();
    EXPECT_TRUE(DestroyDB(dbname_, MakeOptions()).ok());
  }

  Options MakeOptions() {
    Options options;
    options.create_if_missing = true;
    options.file_system = fs_.get();
    options.write_buffer_size = 64 << 10;
    return options;
  }

  void Open() {
    db_.reset();
    auto db = DB::Open(MakeOptions(), dbname_);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
  }

  // A brand-new file system object: nothing cached from the previous one.
  void ReopenWithFreshFileSystem() {
    db_.reset();
    fs_ = NewPosixFileSystem();
    Open();
  }

  Model Contents() {
    std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
    Model forward = ScanForward(it.get());
    EXPECT_TRUE(forward == ScanBackward(it.get()));
    return forward;
  }

  std::unique_ptr<FileSystem> fs_;
  std::string dbname_;
  std::unique_ptr<DB> db_;
};

TEST_F(DBPosixTest, DataSurvivesReopenOnDisk) {
  Open();
  Model model;
  Random rnd(1);
  for (int i = 0; i < 3000; i++) {
    std::string k = Key(rnd.Uniform(1500));
    if (rnd.OneIn(6)) {
      DB_ASSERT_OK(db_->Delete(WriteOptions(), k));
      model.erase(k);
    } else {
      std::string v = Value(i, i, rnd.Uniform(300));
      WriteOptions options;
      options.sync = rnd.OneIn(50);
      DB_ASSERT_OK(db_->Put(options, k, v));
      model[k] = v;
    }
  }
  DB_ASSERT_OK(db_->Flush());
  DB_ASSERT_OK(db_->Put(WriteOptions(), "tail", "in the WAL only"));
  model["tail"] = "in the WAL only";
  ReopenWithFreshFileSystem();
  EXPECT_TRUE(Contents() == model);
  auto v = db_->Get(ReadOptions(), "tail");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, "in the WAL only");
  ReopenWithFreshFileSystem();
  EXPECT_TRUE(Contents() == model);
  EXPECT_TRUE(fs_->FileExists(dbname_ + "/LOG"));
  EXPECT_TRUE(fs_->FileExists(dbname_ + "/CURRENT"));
}

// The WAL is written through a mapping with space allocated ahead: a process
// that dies without closing leaves zeros after its last record. Recovery must
// read those as unused space, not damage (paranoid_checks would refuse to
// open), and find every acknowledged write.
TEST_F(DBPosixTest, UnsyncedWritesSurviveAProcessExitWithoutClose) {
  constexpr int kKeys = 3000;
  // No background thread has started in this process, so the child may do
  // anything.
  const pid_t pid = fork();
  if (pid == 0) {
    std::unique_ptr<FileSystem> fs = NewPosixFileSystem();
    Options options = MakeOptions();
    options.file_system = fs.get();
    options.write_buffer_size = 64 << 20;  // Everything stays in the WAL.
    auto db = DB::Open(options, dbname_);
    if (!db.ok()) _exit(1);
    for (int i = 0; i < kKeys; i++) {
      if (!(*db)
               ->Put(WriteOptions(), "key" + std::to_string(i),
                     std::string(100, 'a' + i % 26))
               .ok()) {
        _exit(2);
      }
    }
    _exit(0);  // No close, no destructors: like a crash.
  }
  ASSERT_GT(pid, 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);

  Options options = MakeOptions();
  options.paranoid_checks = true;
  auto db = DB::Open(options, dbname_);
  ASSERT_TRUE(db.ok()) << db.status();
  db_ = std::move(*db);
  for (int i = 0; i < kKeys; i++) {
    auto got = db_->Get(ReadOptions(), "key" + std::to_string(i));
    ASSERT_TRUE(got.ok()) << i << ": " << got.status();
    EXPECT_EQ(*got, std::string(100, 'a' + i % 26));
  }
}

TEST_F(DBPosixTest, SecondOpenIsUnavailableUntilTheFirstCloses) {
  Open();
  DB_ASSERT_OK(db_->Put(WriteOptions(), "a", "1"));
  auto second = DB::Open(MakeOptions(), dbname_);
  EXPECT_TRUE(absl::IsUnavailable(second.status())) << second.status();
  // Also through another file system object of the same process.
  std::unique_ptr<FileSystem> other = NewPosixFileSystem();
  Options options = MakeOptions();
  options.file_system = other.get();
  auto third = DB::Open(options, dbname_);
  EXPECT_TRUE(absl::IsUnavailable(third.status())) << third.status();
  // DestroyDB refuses too.
  absl::Status s = DestroyDB(dbname_, MakeOptions());
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  db_.reset();
  Open();
  auto v = db_->Get(ReadOptions(), "a");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, "1");
}

TEST_F(DBPosixTest, DestroyDBRemovesTheDirectory) {
  Open();
  for (int i = 0; i < 1000; i++) {
    DB_ASSERT_OK(db_->Put(WriteOptions(), Key(i), Value(i, 0)));
  }
  DB_ASSERT_OK(db_->Flush());
  db_.reset();
  EXPECT_TRUE(fs_->FileExists(dbname_));
  DB_ASSERT_OK(DestroyDB(dbname_, MakeOptions()));
  EXPECT_FALSE(fs_->FileExists(dbname_));
  Options options = MakeOptions();
  options.create_if_missing = false;
  auto db = DB::Open(options, dbname_);
  EXPECT_TRUE(absl::IsInvalidArgument(db.status())) << db.status();
}

}  // namespace
}  // namespace kvs::db_testing
