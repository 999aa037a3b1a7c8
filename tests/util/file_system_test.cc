// The FileSystem contract, checked on every implementation in util/: POSIX
// (under $TEST_TMPDIR), in-memory, and the fault-injecting wrapper over
// in-memory (which must behave as a plain file system while no fault is
// injected).

#include "lsm/file_system.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/util/fs_test_util.h"
#include "util/fault_injection_file_system.h"
#include "util/mem_file_system.h"
#include "util/mutex.h"
#include "util/posix_file_system.h"
#include "util/random.h"

namespace kvs {
namespace {

using testing_util::ReadAll;
using testing_util::WriteFile;

std::string TempRoot() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

// A fresh, empty directory name for the running test.
std::string UniqueTestName() {
  const ::testing::TestInfo* info =
      ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "." + info->name();
  std::replace(name.begin(), name.end(), '/', '_');
  return name;
}

class FileSystemTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string& kind = GetParam();
    if (kind == "posix") {
      owned_ = NewPosixFileSystem();
      fs_ = owned_.get();
      root_ = TempRoot() + "/" + UniqueTestName();
      std::filesystem::remove_all(root_);
    } else if (kind == "mem") {
      owned_ = NewMemFileSystem();
      fs_ = owned_.get();
      root_ = "/test";
    } else {
      ASSERT_EQ(kind, "fault");
      owned_ = NewMemFileSystem();
      fault_ = std::make_unique<FaultInjectionFileSystem>(owned_.get());
      fs_ = fault_.get();
      root_ = "/test";
    }
    KVS_ASSERT_OK(fs_->CreateDir(root_));
  }

  std::string Path(const std::string& name) const { return root_ + "/" + name; }

  std::vector<std::string> Children(const std::string& dir) {
    absl::StatusOr<std::vector<std::string>> names = fs_->GetChildren(dir);
    EXPECT_TRUE(names.ok()) << names.status();
    if (!names.ok()) return {};
    std::sort(names->begin(), names->end());
    return *names;
  }

  std::unique_ptr<FileSystem> owned_;
  std::unique_ptr<FaultInjectionFileSystem> fault_;
  FileSystem* fs_ = nullptr;
  std::string root_;
};

TEST_P(FileSystemTest, WriteThenReadSequentiallyAndRandomly) {
  const std::string path = Path("f");
  {
    auto f = fs_->NewWritableFile(path);
    KVS_ASSERT_OK(f.status());
    KVS_ASSERT_OK((*f)->Append("hello "));
    KVS_ASSERT_OK((*f)->Append(""));
    KVS_ASSERT_OK((*f)->Append("world"));
    KVS_ASSERT_OK((*f)->Flush());
    KVS_ASSERT_OK((*f)->Sync());
    KVS_ASSERT_OK((*f)->Close());
  }
  EXPECT_EQ(ReadAll(fs_, path), "hello world");
  auto size = fs_->GetFileSize(path);
  KVS_ASSERT_OK(size.status());
  EXPECT_EQ(*size, 11u);

  auto seq = fs_->NewSequentialFile(path);
  KVS_ASSERT_OK(seq.status());
  char scratch[100];
  std::string_view piece;
  KVS_ASSERT_OK((*seq)->Read(3, &piece, scratch));
  EXPECT_EQ(piece, "hel");
  KVS_ASSERT_OK((*seq)->Read(100, &piece, scratch));
  EXPECT_EQ(piece, "lo world");  // Short: the file ended.
  KVS_ASSERT_OK((*seq)->Read(100, &piece, scratch));
  EXPECT_TRUE(piece.empty());

  auto ra = fs_->NewRandomAccessFile(path);
  KVS_ASSERT_OK(ra.status());
  KVS_ASSERT_OK((*ra)->Read(6, 5, &piece, scratch));
  EXPECT_EQ(piece, "world");
  KVS_ASSERT_OK((*ra)->Read(0, 5, &piece, scratch));
  EXPECT_EQ(piece, "hello");
  KVS_ASSERT_OK((*ra)->Read(8, 10, &piece, scratch));
  EXPECT_EQ(piece, "rld");  // Straddles the end.
  KVS_ASSERT_OK((*ra)->Read(11, 10, &piece, scratch));
  EXPECT_TRUE(piece.empty());  // At the end.
  KVS_ASSERT_OK((*ra)->Read(1000, 10, &piece, scratch));
  EXPECT_TRUE(piece.empty());  // Past the end.
  KVS_ASSERT_OK((*ra)->Read(3, 0, &piece, scratch));
  EXPECT_TRUE(piece.empty());
}

TEST_P(FileSystemTest, EmptyFile) {
  const std::string path = Path("empty");
  KVS_ASSERT_OK(WriteFile(fs_, path, ""));
  EXPECT_TRUE(fs_->FileExists(path));
  auto size = fs_->GetFileSize(path);
  KVS_ASSERT_OK(size.status());
  EXPECT_EQ(*size, 0u);
  EXPECT_EQ(ReadAll(fs_, path), "");
  auto ra = fs_->NewRandomAccessFile(path);
  KVS_ASSERT_OK(ra.status());
  char scratch[8];
  std::string_view piece = "junk";
  KVS_ASSERT_OK((*ra)->Read(0, 8, &piece, scratch));
  EXPECT_TRUE(piece.empty());
}

TEST_P(FileSystemTest, LargeFileWithMixedAppendSizes) {
  const std::string path = Path("large");
  Random rnd(301);
  std::string expected;
  {
    auto f = fs_->NewWritableFile(path);
    KVS_ASSERT_OK(f.status());
    // Sizes from 0 to 256 KiB: below, at and above the POSIX writer's 64 KiB
    // buffer.
    while (expected.size() < 6 * 1024 * 1024) {
      std::string chunk = rnd.RandomBytes(rnd.Skewed(18));
      if (rnd.OneIn(20)) chunk = rnd.RandomBytes(64 * 1024);
      KVS_ASSERT_OK((*f)->Append(chunk));
      expected += chunk;
      if (rnd.OneIn(50)) KVS_ASSERT_OK((*f)->Flush());
    }
    KVS_ASSERT_OK((*f)->Close());
  }
  auto size = fs_->GetFileSize(path);
  KVS_ASSERT_OK(size.status());
  EXPECT_EQ(*size, expected.size());
  EXPECT_TRUE(ReadAll(fs_, path) == expected);

  auto ra = fs_->NewRandomAccessFile(path);
  KVS_ASSERT_OK(ra.status());
  std::string scratch(100000, '\0');
  for (int i = 0; i < 500; ++i) {
    const uint64_t offset = rnd.Uniform(expected.size() + 10);
    const size_t n = rnd.Uniform(scratch.size());
    std::string_view piece;
    KVS_ASSERT_OK((*ra)->Read(offset, n, &piece, scratch.data()));
    const size_t want =
        offset >= expected.size() ? 0 : std::min(n, expected.size() - offset);
    ASSERT_EQ(piece.size(), want) << offset << " " << n;
    if (want > 0)
      ASSERT_TRUE(piece == std::string_view(expected).substr(offset, want));
  }
}

TEST_P(FileSystemTest, ManySmallAppends) {
  const std::string path = Path("small");
  std::string expected;
  {
    auto f = fs_->NewWritableFile(path);
    KVS_ASSERT_OK(f.status());
    for (int i = 0; i < 100000; ++i) {
      const std::string piece = std::to_string(i % 997) + ",";
      KVS_ASSERT_OK((*f)->Append(piece));
      expected += piece;
    }
    KVS_ASSERT_OK((*f)->Sync());
    KVS_ASSERT_OK((*f)->Close());
  }
  EXPECT_TRUE(ReadAll(fs_, path) == expected);
}

TEST_P(FileSystemTest, Skip) {
  const std::string path = Path("skip");
  KVS_ASSERT_OK(WriteFile(fs_, path, "0123456789"));
  auto seq = fs_->NewSequentialFile(path);
  KVS_ASSERT_OK(seq.status());
  char scratch[16];
  std::string_view piece;
  KVS_ASSERT_OK((*seq)->Skip(0));
  KVS_ASSERT_OK((*seq)->Read(2, &piece, scratch));
  EXPECT_EQ(piece, "01");
  KVS_ASSERT_OK((*seq)->Skip(3));
  KVS_ASSERT_OK((*seq)->Read(2, &piece, scratch));
  EXPECT_EQ(piece, "56");
  KVS_ASSERT_OK((*seq)->Skip(100));  // Past the end: stops there.
  KVS_ASSERT_OK((*seq)->Read(2, &piece, scratch));
  EXPECT_TRUE(piece.empty());
  KVS_ASSERT_OK((*seq)->Skip(5));
  KVS_ASSERT_OK((*seq)->Read(2, &piece, scratch));
  EXPECT_TRUE(piece.empty());
}

TEST_P(FileSystemTest, WritableTruncatesAppendableAppends) {
  const std::string path = Path("f");
  KVS_ASSERT_OK(WriteFile(fs_, path, "first"));
  KVS_ASSERT_OK(WriteFile(fs_, path, "2nd"));
  EXPECT_EQ(ReadAll(fs_, path), "2nd");
  {
    auto f = fs_->NewAppendableFile(path);
    KVS_ASSERT_OK(f.status());
    KVS_ASSERT_OK((*f)->Append("+more"));
    KVS_ASSERT_OK((*f)->Close());
  }
  EXPECT_EQ(ReadAll(fs_, path), "2nd+more");
  {
    auto f = fs_->NewAppendableFile(Path("fresh"));  // Creates.
    KVS_ASSERT_OK(f.status());
    KVS_ASSERT_OK((*f)->Append("new"));
    KVS_ASSERT_OK((*f)->Close());
  }
  EXPECT_EQ(ReadAll(fs_, Path("fresh")), "new");
}

TEST_P(FileSystemTest, CallsAfterCloseFail) {
  auto f = fs_->NewWritableFile(Path("f"));
  KVS_ASSERT_OK(f.status());
  KVS_ASSERT_OK((*f)->Append("x"));
  KVS_ASSERT_OK((*f)->Close());
  EXPECT_TRUE(absl::IsFailedPrecondition((*f)->Append("y")));
  EXPECT_TRUE(absl::IsFailedPrecondition((*f)->Sync()));
  EXPECT_TRUE(absl::IsFailedPrecondition((*f)->Close()));
  EXPECT_EQ(ReadAll(fs_, Path("f")), "x");
}

TEST_P(FileSystemTest, DestructorClosesAndFlushes) {
  {
    auto f = fs_->NewWritableFile(Path("f"));
    KVS_ASSERT_OK(f.status());
    KVS_ASSERT_OK((*f)->Append("buffered"));
  }
  EXPECT_EQ(ReadAll(fs_, Path("f")), "buffered");
}

TEST_P(FileSystemTest, Directories) {
  EXPECT_TRUE(Children(root_).empty());
  KVS_ASSERT_OK(fs_->CreateDir(Path("sub")));
  KVS_ASSERT_OK(fs_->CreateDir(Path("sub")));  // Already there: fine.
  KVS_ASSERT_OK(fs_->CreateDir(Path("sub/deeper")));
  KVS_ASSERT_OK(WriteFile(fs_, Path("a"), "1"));
  KVS_ASSERT_OK(WriteFile(fs_, Path("b"), "22"));
  KVS_ASSERT_OK(WriteFile(fs_, Path("sub/c"), "333"));

  EXPECT_EQ(Children(root_), (std::vector<std::string>{"a", "b", "sub"}));
  EXPECT_EQ(Children(Path("sub")), (std::vector<std::string>{"c", "deeper"}));
  EXPECT_TRUE(Children(Path("sub/deeper")).empty());
  EXPECT_TRUE(fs_->FileExists(Path("a")));
  EXPECT_TRUE(fs_->FileExists(Path("sub")));
  EXPECT_TRUE(fs_->FileExists(Path("sub/c")));
  EXPECT_FALSE(fs_->FileExists(Path("c")));
  EXPECT_FALSE(fs_->FileExists(Path("nope/c")));
  EXPECT_EQ(*fs_->GetFileSize(Path("b")), 2u);

  // A file is in the way.
  EXPECT_TRUE(absl::IsAlreadyExists(fs_->CreateDir(Path("a"))));
  // No "mkdir -p".
  EXPECT_TRUE(absl::IsNotFound(fs_->CreateDir(Path("x/y"))));
  // Not empty.
  EXPECT_FALSE(fs_->RemoveDir(Path("sub")).ok());
  EXPECT_TRUE(fs_->FileExists(Path("sub/c")));
  // Not a file.
  EXPECT_FALSE(fs_->RemoveFile(Path("sub")).ok());

  KVS_ASSERT_OK(fs_->RemoveFile(Path("a")));
  EXPECT_FALSE(fs_->FileExists(Path("a")));
  EXPECT_EQ(Children(root_), (std::vector<std::string>{"b", "sub"}));
  KVS_ASSERT_OK(fs_->RemoveDir(Path("sub/deeper")));
  KVS_ASSERT_OK(fs_->RemoveFile(Path("sub/c")));
  KVS_ASSERT_OK(fs_->RemoveDir(Path("sub")));
  EXPECT_FALSE(fs_->FileExists(Path("sub")));
  EXPECT_EQ(Children(root_), (std::vector<std::string>{"b"}));
  KVS_ASSERT_OK(fs_->SyncDir(root_));
}

TEST_P(FileSystemTest, EquivalentSpellingsNameOneFile) {
  KVS_ASSERT_OK(WriteFile(fs_, root_ + "//./f", "x"));
  EXPECT_EQ(ReadAll(fs_, Path("f")), "x");
  KVS_ASSERT_OK(fs_->CreateDir(Path("d")));
  KVS_ASSERT_OK(WriteFile(fs_, Path("d/../g"), "y"));
  EXPECT_EQ(ReadAll(fs_, Path("g")), "y");
}

TEST_P(FileSystemTest, Rename) {
  KVS_ASSERT_OK(WriteFile(fs_, Path("src"), "new"));
  KVS_ASSERT_OK(WriteFile(fs_, Path("dst"), "old"));
  KVS_ASSERT_OK(fs_->RenameFile(Path("src"), Path("dst")));
  EXPECT_FALSE(fs_->FileExists(Path("src")));
  EXPECT_EQ(ReadAll(fs_, Path("dst")), "new");
  EXPECT_EQ(Children(root_), (std::vector<std::string>{"dst"}));

  KVS_ASSERT_OK(fs_->RenameFile(Path("dst"), Path("dst")));  // No-op.
  EXPECT_EQ(ReadAll(fs_, Path("dst")), "new");

  KVS_ASSERT_OK(fs_->CreateDir(Path("sub")));
  KVS_ASSERT_OK(fs_->RenameFile(Path("dst"), Path("sub/moved")));
  EXPECT_EQ(ReadAll(fs_, Path("sub/moved")), "new");
  EXPECT_EQ(Children(root_), (std::vector<std::string>{"sub"}));

  EXPECT_TRUE(absl::IsNotFound(fs_->RenameFile(Path("missing"), Path("x"))));
  EXPECT_TRUE(
      absl::IsNotFound(fs_->RenameFile(Path("sub/moved"), Path("nodir/x"))));
  EXPECT_EQ(ReadAll(fs_, Path("sub/moved")), "new");
}

TEST_P(FileSystemTest, MissingFilesAreNotFound) {
  const std::string missing = Path("missing");
  auto expect_not_found = [&](const absl::Status& s) {
    EXPECT_TRUE(absl::IsNotFound(s)) << s;
    EXPECT_NE(s.message().find(missing), absl::string_view::npos) << s;
  };
  expect_not_found(fs_->NewSequentialFile(missing).status());
  expect_not_found(fs_->NewRandomAccessFile(missing).status());
  expect_not_found(fs_->GetFileSize(missing).status());
  expect_not_found(fs_->RemoveFile(missing));
  expect_not_found(fs_->GetChildren(missing).status());
  expect_not_found(fs_->RemoveDir(missing));
  expect_not_found(fs_->SyncDir(missing));
  EXPECT_FALSE(fs_->FileExists(missing));
  // Creating in a missing directory.
  EXPECT_TRUE(absl::IsNotFound(fs_->NewWritableFile(missing + "/f").status()));
  EXPECT_TRUE(
      absl::IsNotFound(fs_->NewAppendableFile(missing + "/f").status()));
  EXPECT_TRUE(absl::IsNotFound(fs_->LockFile(missing + "/LOCK").status()));
}

TEST_P(FileSystemTest, ReadersSurviveRemoveAndRename) {
  KVS_ASSERT_OK(WriteFile(fs_, Path("f"), "contents"));
  auto seq = fs_->NewSequentialFile(Path("f"));
  KVS_ASSERT_OK(seq.status());
  auto ra = fs_->NewRandomAccessFile(Path("f"));
  KVS_ASSERT_OK(ra.status());
  KVS_ASSERT_OK(fs_->RenameFile(Path("f"), Path("g")));
  KVS_ASSERT_OK(fs_->RemoveFile(Path("g")));
  KVS_ASSERT_OK(WriteFile(fs_, Path("f"), "another file"));
  char scratch[32];
  std::string_view piece;
  KVS_ASSERT_OK((*ra)->Read(0, 32, &piece, scratch));
  EXPECT_EQ(piece, "contents");
  KVS_ASSERT_OK((*seq)->Read(32, &piece, scratch));
  EXPECT_EQ(piece, "contents");
}

TEST_P(FileSystemTest, WriterSurvivesRename) {
  auto f = fs_->NewWritableFile(Path("f"));
  KVS_ASSERT_OK(f.status());
  KVS_ASSERT_OK((*f)->Append("before "));
  KVS_ASSERT_OK((*f)->Flush());
  KVS_ASSERT_OK(fs_->RenameFile(Path("f"), Path("g")));
  KVS_ASSERT_OK((*f)->Append("after"));
  KVS_ASSERT_OK((*f)->Close());
  EXPECT_EQ(ReadAll(fs_, Path("g")), "before after");
  EXPECT_FALSE(fs_->FileExists(Path("f")));
}

TEST_P(FileSystemTest, LockIsExclusiveUntilUnlocked) {
  const std::string path = Path("LOCK");
  auto lock = fs_->LockFile(path);
  KVS_ASSERT_OK(lock.status());
  EXPECT_TRUE(fs_->FileExists(path));
  auto again = fs_->LockFile(path);
  EXPECT_TRUE(absl::IsUnavailable(again.status())) << again.status();
  EXPECT_NE(again.status().message().find(path), absl::string_view::npos);
  // A different lock file is independent.
  auto other = fs_->LockFile(Path("LOCK2"));
  KVS_ASSERT_OK(other.status());

  KVS_ASSERT_OK(fs_->UnlockFile(std::move(*lock)));
  auto relock = fs_->LockFile(path);
  KVS_ASSERT_OK(relock.status());
  KVS_ASSERT_OK(fs_->UnlockFile(std::move(*relock)));
  KVS_ASSERT_OK(fs_->UnlockFile(std::move(*other)));
}

TEST_P(FileSystemTest, LoggerWritesTimestampedLines) {
  const std::string path = Path("LOG");
  {
    auto logger = fs_->NewLogger(path);
    KVS_ASSERT_OK(logger.status());
    (*logger)->Log("first line");
    (*logger)->Log("second line\n");  // The newline is not doubled.
    // Flushed per line: readable while the logger is open.
    EXPECT_NE(ReadAll(fs_, path).find("first line\n"), std::string::npos);
  }
  const std::string text = ReadAll(fs_, path);
  const std::regex line_re(
      R"(\d{4}/\d{2}/\d{2}-\d{2}:\d{2}:\d{2}\.\d{6} \d+ (first|second) line\n)");
  std::smatch m;
  std::string rest = text;
  int lines = 0;
  while (std::regex_search(rest, m, line_re,
                           std::regex_constants::match_continuous)) {
    ++lines;
    rest = m.suffix();
  }
  EXPECT_EQ(lines, 2) << text;
  EXPECT_TRUE(rest.empty()) << text;

  // Reopening appends.
  {
    auto logger = fs_->NewLogger(path);
    KVS_ASSERT_OK(logger.status());
    (*logger)->Log("third");
  }
  const std::string more = ReadAll(fs_, path);
  EXPECT_EQ(more.substr(0, text.size()), text);
  EXPECT_NE(more.find(" third\n"), std::string::npos);
}

TEST_P(FileSystemTest, ConcurrentLoggingKeepsLinesWhole) {
  const std::string path = Path("LOG");
  constexpr int kThreads = 4;
  constexpr int kLines = 200;
  {
    auto logger = fs_->NewLogger(path);
    KVS_ASSERT_OK(logger.status());
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kLines; ++i) {
          (*logger)->Log("thread " + std::to_string(t) + " line " +
                         std::to_string(i) + " " + std::string(100, 'x'));
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  const std::string text = ReadAll(fs_, path);
  const std::regex line_re(R"(\S+ \d+ thread \d line \d+ x{100})");
  int lines = 0;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    ASSERT_NE(end, std::string::npos);
    const std::string line = text.substr(start, end - start);
    ASSERT_TRUE(std::regex_match(line, line_re)) << line;
    ++lines;
    start = end + 1;
  }
  EXPECT_EQ(lines, kThreads * kLines);
}

TEST_P(FileSystemTest, ScheduleRunsWorkInOrderPerPriority) {
  Mutex mu;
  CondVar cv(&mu);
  std::vector<int> high, low;
  int done = 0;
  constexpr int kItems = 200;
  for (int i = 0; i < kItems; ++i) {
    fs_->Schedule(
        [&, i] {
          MutexLock l(&mu);
          high.push_back(i);
          if (++done == 2 * kItems) cv.SignalAll();
        },
        FileSystem::Priority::kHigh);
    fs_->Schedule(
        [&, i] {
          MutexLock l(&mu);
          low.push_back(i);
          if (++done == 2 * kItems) cv.SignalAll();
        },
        FileSystem::Priority::kLow);
  }
  MutexLock l(&mu);
  while (done < 2 * kItems) cv.Wait();
  ASSERT_EQ(high.size(), static_cast<size_t>(kItems));
  ASSERT_EQ(low.size(), static_cast<size_t>(kItems));
  for (int i = 0; i < kItems; ++i) {
    EXPECT_EQ(high[i], i);
    EXPECT_EQ(low[i], i);
  }
}

TEST_P(FileSystemTest, ClockAdvancesBySleep) {
  const uint64_t before = fs_->NowMicros();
  fs_->SleepForMicros(2000);
  const uint64_t after = fs_->NowMicros();
  EXPECT_GE(after, before + 2000);  // Sleeps last at least as long as asked.
}

TEST_P(FileSystemTest, ConcurrentReadsAppendsAndMetadata) {
  Random rnd(7);
  const std::string shared = rnd.RandomBytes(256 * 1024);
  KVS_ASSERT_OK(WriteFile(fs_, Path("shared"), shared));
  auto ra = fs_->NewRandomAccessFile(Path("shared"));
  KVS_ASSERT_OK(ra.status());

  constexpr int kThreads = 4;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    // Readers: concurrent preads on one file.
    threads.emplace_back([&, t] {
      Random r(100 + t);
      std::string scratch(4096, '\0');
      for (int i = 0; i < 2000; ++i) {
        const uint64_t off = r.Uniform(shared.size());
        std::string_view piece;
        if (!(*ra)->Read(off, scratch.size(), &piece, scratch.data()).ok() ||
            piece != std::string_view(shared).substr(off, scratch.size())) {
          failures++;
        }
      }
    });
    // Writers: appends to their own file, plus creating and removing names in
    // one directory while others list it.
    threads.emplace_back([&, t] {
      const std::string mine = Path("w" + std::to_string(t));
      auto f = fs_->NewWritableFile(mine);
      if (!f.ok()) {
        failures++;
        return;
      }
      std::string expected;
      for (int i = 0; i < 2000; ++i) {
        const std::string piece = std::to_string(t * 100000 + i) + ";";
        if (!(*f)->Append(piece).ok()) failures++;
        expected += piece;
        if (i % 100 == 0) {
          const std::string tmp = Path("tmp" + std::to_string(t));
          if (!WriteFile(fs_, tmp, "t").ok() || !fs_->RemoveFile(tmp).ok() ||
              !fs_->GetChildren(root_).ok()) {
            failures++;
          }
        }
      }
      if (!(*f)->Close().ok() || ReadAll(fs_, mine) != expected) failures++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  std::vector<std::string> names = Children(root_);
  EXPECT_EQ(names.size(),
            1u + kThreads);  // shared + w0..w3; every tmp removed.
}

INSTANTIATE_TEST_SUITE_P(AllFileSystems, FileSystemTest,
                         ::testing::Values("posix", "mem", "fault"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace kvs
