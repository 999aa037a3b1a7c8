// Behaviour only the POSIX file system has: real processes, kernel buffering
// and errno text.

#include "util/posix_file_system.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "tests/util/fs_test_util.h"

namespace kvs {
namespace {

using testing_util::ReadAll;

class PosixFileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    root_ = std::string(tmp != nullptr ? tmp : "/tmp") + "/posix_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(root_);
    fs_ = NewPosixFileSystem();
    KVS_ASSERT_OK(fs_->CreateDir(root_));
  }

  std::string Path(const std::string& name) const { return root_ + "/" + name; }

  std::unique_ptr<FileSystem> fs_;
  std::string root_;
};

// What a child process sees when it tries to take the fcntl lock on path. Only
// raw system calls run in the child: it is forked from a multithreaded test
// process.
enum ChildResult { kChildLocked = 10, kChildRefused = 11, kChildError = 12 };

ChildResult TryLockInChild(const std::string& path) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) _exit(kChildError);
    struct flock fl;
    std::memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, F_SETLK, &fl) == 0) _exit(kChildLocked);
    _exit(errno == EAGAIN || errno == EACCES ? kChildRefused : kChildError);
  }
  if (pid < 0) return kChildError;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return kChildError;
  return static_cast<ChildResult>(WEXITSTATUS(status));
}

TEST_F(PosixFileSystemTest, LockExcludesOtherProcesses) {
  const std::string path = Path("LOCK");
  EXPECT_EQ(TryLockInChild(path), kChildLocked);  // Nobody holds it yet.

  auto lock = fs_->LockFile(path);
  KVS_ASSERT_OK(lock.status());
  EXPECT_EQ(TryLockInChild(path), kChildRefused);

  // A failed second attempt in this process must not drop the fcntl lock
  // (closing any descriptor of the file would).
  EXPECT_TRUE(absl::IsUnavailable(fs_->LockFile(path).status()));
  EXPECT_EQ(TryLockInChild(path), kChildRefused);

  KVS_ASSERT_OK(fs_->UnlockFile(std::move(*lock)));
  EXPECT_EQ(TryLockInChild(path), kChildLocked);
}

TEST_F(PosixFileSystemTest, LockIsProcessWideAcrossInstances) {
  const std::string path = Path("LOCK");
  auto lock = DefaultFileSystem()->LockFile(path);
  KVS_ASSERT_OK(lock.status());
  // fcntl would let the same process lock again; the process-wide set does not.
  auto second = fs_->LockFile(path);
  EXPECT_TRUE(absl::IsUnavailable(second.status())) << second.status();
  KVS_ASSERT_OK(DefaultFileSystem()->UnlockFile(std::move(*lock)));
  auto third = fs_->LockFile(path);
  KVS_ASSERT_OK(third.status());
  KVS_ASSERT_OK(fs_->UnlockFile(std::move(*third)));
}

TEST_F(PosixFileSystemTest, LockHeldByAnotherProcessIsUnavailable) {
  const std::string path = Path("LOCK");
  int to_child[2], from_child[2];
  ASSERT_EQ(pipe(to_child), 0);
  ASSERT_EQ(pipe(from_child), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    // Child: lock, report, wait to be told to exit (which releases the lock).
    const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    struct flock fl;
    std::memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    const char ok = (fd >= 0 && fcntl(fd, F_SETLK, &fl) == 0) ? 'y' : 'n';
    if (write(from_child[1], &ok, 1) != 1) _exit(1);
    char c;
    if (read(to_child[0], &c, 1) != 1) _exit(1);
    _exit(0);
  }
  ASSERT_GT(pid, 0);
  char reply = 0;
  ASSERT_EQ(read(from_child[0], &reply, 1), 1);
  ASSERT_EQ(reply, 'y');

  auto lock = fs_->LockFile(path);
  EXPECT_TRUE(absl::IsUnavailable(lock.status())) << lock.status();
  EXPECT_NE(lock.status().message().find(path), absl::string_view::npos);

  ASSERT_EQ(write(to_child[1], "x", 1), 1);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  for (int fd : {to_child[0], to_child[1], from_child[0], from_child[1]}) {
    close(fd);
  }
  auto now_free = fs_->LockFile(path);
  KVS_ASSERT_OK(now_free.status());
  KVS_ASSERT_OK(fs_->UnlockFile(std::move(*now_free)));
}

TEST_F(PosixFileSystemTest, AppendsAreBufferedUntilFlush) {
  const std::string path = Path("f");
  auto f = fs_->NewWritableFile(path);
  KVS_ASSERT_OK(f.status());
  KVS_ASSERT_OK((*f)->Append("small"));
  EXPECT_EQ(*fs_->GetFileSize(path), 0u);  // Still in user space.
  KVS_ASSERT_OK((*f)->Flush());
  EXPECT_EQ(*fs_->GetFileSize(path), 5u);
  // An append bigger than the buffer goes straight out, after what was
  // buffered.
  KVS_ASSERT_OK((*f)->Append("a"));
  const std::string big(200 * 1024, 'b');
  KVS_ASSERT_OK((*f)->Append(big));
  EXPECT_EQ(*fs_->GetFileSize(path), 6u + big.size());
  KVS_ASSERT_OK((*f)->Append("tail"));
  KVS_ASSERT_OK((*f)->Sync());
  EXPECT_EQ(*fs_->GetFileSize(path), 10u + big.size());
  KVS_ASSERT_OK((*f)->Close());
  EXPECT_TRUE(ReadAll(fs_.get(), path) == "smalla" + big + "tail");
}

// Appends of every size, several crossing the 64 KiB..1 MiB chunks the log
// file maps, come back in order, and Close trims the preallocated space.
TEST_F(PosixFileSystemTest, LogFileRoundTripsAcrossChunks) {
  const std::string path = Path("000001.log");
  auto f = fs_->NewLogFile(path);
  KVS_ASSERT_OK(f.status());
  std::string expected;
  uint32_t seed = 1;
  while (expected.size() < (3u << 20)) {
    seed = seed * 1103515245 + 12345;
    // Mostly small appends (copied through the mapping), some of 16 KiB and
    // more (written with pwrite).
    size_t n = (seed >> 8) % 5000;
    if ((seed >> 4) % 16 == 0) n = 16 * 1024 + (seed >> 8) % 50000;
    if (expected.size() > (1u << 20) && expected.size() < (1u << 20) + 5000) {
      n = 300 * 1024;  // One append spanning a whole chunk boundary.
    }
    std::string piece(n, static_cast<char>('a' + expected.size() % 26));
    KVS_ASSERT_OK((*f)->Append(piece));
    KVS_ASSERT_OK((*f)->Flush());
    expected += piece;
    if (expected.size() % 7 == 0) KVS_ASSERT_OK((*f)->Sync());
  }
  KVS_ASSERT_OK((*f)->Sync());
  KVS_ASSERT_OK((*f)->Close());
  EXPECT_EQ(*fs_->GetFileSize(path), expected.size());
  EXPECT_TRUE(ReadAll(fs_.get(), path) == expected);
  EXPECT_TRUE(absl::IsFailedPrecondition((*f)->Append("x")));
}

// What a killed process leaves: everything appended (it is in the page cache,
// though nobody wrote or closed it), then zeros to the end of the chunk.
TEST_F(PosixFileSystemTest, LogFileAppendsSurviveAProcessExitWithoutClose) {
  const std::string path = Path("000002.log");
  std::string expected;
  for (int i = 0; i < 2000; i++) expected += "record " + std::to_string(i);
  // This test process has no other threads, so the child may allocate.
  const pid_t pid = fork();
  if (pid == 0) {
    std::unique_ptr<FileSystem> fs = NewPosixFileSystem();
    auto f = fs->NewLogFile(path);
    if (!f.ok()) _exit(1);
    for (size_t i = 0; i < expected.size(); i += 100) {
      if (!(*f)->Append(std::string_view(expected).substr(i, 100)).ok()) {
        _exit(2);
      }
      if (!(*f)->Flush().ok()) _exit(3);
    }
    _exit(0);  // No Close, no destructors.
  }
  ASSERT_GT(pid, 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);

  const std::string contents = ReadAll(fs_.get(), path);
  ASSERT_GT(contents.size(), expected.size());
  EXPECT_EQ(contents.size() % 4096, 0u);
  EXPECT_TRUE(contents.substr(0, expected.size()) == expected);
  EXPECT_EQ(contents.find_first_not_of('\0', expected.size()),
            std::string::npos);
}

TEST_F(PosixFileSystemTest, ErrorsCarryPathAndErrnoText) {
  const absl::Status s = fs_->NewSequentialFile(Path("missing")).status();
  EXPECT_TRUE(absl::IsNotFound(s));
  EXPECT_NE(s.message().find(Path("missing")), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find("No such file or directory"),
            absl::string_view::npos)
      << s;

  KVS_ASSERT_OK(fs_->CreateDir(Path("d")));
  KVS_ASSERT_OK(testing_util::WriteFile(fs_.get(), Path("d/f"), "x"));
  const absl::Status not_empty = fs_->RemoveDir(Path("d"));
  EXPECT_TRUE(absl::IsInternal(not_empty)) << not_empty;
  EXPECT_NE(not_empty.message().find("Directory not empty"),
            absl::string_view::npos)
      << not_empty;
}

TEST_F(PosixFileSystemTest, DefaultFileSystemIsASingleton) {
  EXPECT_NE(DefaultFileSystem(), nullptr);
  EXPECT_EQ(DefaultFileSystem(), DefaultFileSystem());
  KVS_ASSERT_OK(testing_util::WriteFile(DefaultFileSystem(), Path("f"), "abc",
                                        /*sync=*/true));
  KVS_ASSERT_OK(DefaultFileSystem()->SyncDir(root_));
  EXPECT_EQ(ReadAll(fs_.get(), Path("f")), "abc");
}

}  // namespace
}  // namespace kvs
