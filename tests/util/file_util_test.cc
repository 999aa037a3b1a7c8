#include "util/file_util.h"

#include <cerrno>
#include <memory>
#include <regex>
#include <string>

#include "gtest/gtest.h"
#include "tests/util/fs_test_util.h"
#include "util/fault_injection_file_system.h"
#include "util/file_logger.h"
#include "util/io_error.h"
#include "util/mem_file_system.h"
#include "util/path_util.h"
#include "util/random.h"

namespace kvs {
namespace {

class FileUtilTest : public ::testing::Test {
 protected:
  void SetUp() override { KVS_ASSERT_OK(fs_->CreateDir("/d")); }
  std::unique_ptr<FileSystem> fs_ = NewMemFileSystem();
};

TEST_F(FileUtilTest, StringRoundTrip) {
  Random rnd(5);
  for (size_t size : {0, 1, 4095, 64 * 1024, 64 * 1024 + 1, 1 << 20}) {
    const std::string data = rnd.RandomBytes(size);
    for (bool sync : {false, true}) {
      KVS_ASSERT_OK(WriteStringToFile(fs_.get(), data, "/d/f", sync));
      absl::StatusOr<std::string> back = ReadFileToString(fs_.get(), "/d/f");
      KVS_ASSERT_OK(back.status());
      EXPECT_TRUE(*back == data) << size;
    }
  }
}

TEST_F(FileUtilTest, ReadMissingIsNotFound) {
  EXPECT_TRUE(
      absl::IsNotFound(ReadFileToString(fs_.get(), "/d/none").status()));
}

TEST_F(FileUtilTest, FailedWriteRemovesThePartialFile) {
  FaultInjectionFileSystem fault(fs_.get());
  fault.InjectError({.ops = FaultOp::kSync});
  EXPECT_TRUE(IsInjectedError(WriteStringToFile(&fault, "abc", "/d/f", true)));
  EXPECT_FALSE(fault.FileExists("/d/f"));

  fault.InjectError({.ops = FaultOp::kAppend});
  EXPECT_TRUE(IsInjectedError(WriteStringToFile(&fault, "abc", "/d/f", false)));
  EXPECT_FALSE(fault.FileExists("/d/f"));

  KVS_ASSERT_OK(WriteStringToFile(&fault, "abc", "/d/f", true));
  EXPECT_EQ(*ReadFileToString(&fault, "/d/f"), "abc");
}

TEST_F(FileUtilTest, LogFormatsAndToleratesNullLogger) {
  Log(nullptr, "nothing %d", 1);  // Must simply do nothing.
  {
    auto logger = fs_->NewLogger("/d/LOG");
    KVS_ASSERT_OK(logger.status());
    Log(logger->get(), "opened %s with %d files", "db", 42);
    const std::string long_text(5000, 'z');  // Beyond the stack buffer.
    Log(logger->get(), "long %s end", long_text.c_str());
  }
  const std::string text = *ReadFileToString(fs_.get(), "/d/LOG");
  const size_t first_end = text.find('\n');
  ASSERT_NE(first_end, std::string::npos);
  EXPECT_TRUE(
      std::regex_match(text.substr(0, first_end),
                       std::regex(R"(\S+ \d+ opened db with 42 files)")))
      << text.substr(0, first_end);
  const std::string second = text.substr(first_end + 1);
  EXPECT_TRUE(
      std::regex_match(second, std::regex(R"(\S+ \d+ long z{5000} end\n)")));
}

TEST(FileLoggerTest, PrefixFormat) {
  // 42 microseconds past a whole second; the date part depends on the local
  // time zone.
  const std::string prefix = LogLinePrefix(1700000000ull * 1000000 + 42, 1234);
  EXPECT_TRUE(std::regex_match(
      prefix,
      std::regex(R"(\d{4}/\d{2}/\d{2}-\d{2}:\d{2}:\d{2}\.000042 1234 )")))
      << prefix;
  EXPECT_NE(LogLinePrefix(999999, 1), LogLinePrefix(0, 1));
}

TEST(PathUtilTest, Normalize) {
  EXPECT_EQ(NormalizePath("/a/b"), "/a/b");
  EXPECT_EQ(NormalizePath("/a//b/"), "/a/b");
  EXPECT_EQ(NormalizePath("/a/./b/."), "/a/b");
  EXPECT_EQ(NormalizePath("/a/x/../b"), "/a/b");
  EXPECT_EQ(NormalizePath("/.."), "/");
  EXPECT_EQ(NormalizePath("/"), "/");
  EXPECT_EQ(NormalizePath("//"), "/");
  EXPECT_EQ(NormalizePath(""), ".");
  EXPECT_EQ(NormalizePath("."), ".");
  EXPECT_EQ(NormalizePath("./"), ".");
  EXPECT_EQ(NormalizePath("a/.."), ".");
  EXPECT_EQ(NormalizePath("../a"), "../a");
  EXPECT_EQ(NormalizePath("../../a/../b"), "../../b");
  EXPECT_EQ(NormalizePath("db/LOCK"), "db/LOCK");
  EXPECT_EQ(NormalizePath("./db//LOCK"), "db/LOCK");
}

TEST(PathUtilTest, SplitAndJoin) {
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(SplitPath("/a/b"), P("/a", "b"));
  EXPECT_EQ(SplitPath("/a"), P("/", "a"));
  EXPECT_EQ(SplitPath("a"), P(".", "a"));
  EXPECT_EQ(SplitPath("a/b/c"), P("a/b", "c"));
  EXPECT_EQ(SplitPath("/"), P("/", ""));
  EXPECT_EQ(SplitPath("."), P(".", ""));
  for (const char* path : {"/a/b", "/a", "a", "a/b/c", "../x"}) {
    const auto [dir, name] = SplitPath(path);
    EXPECT_EQ(JoinPath(dir, name), path);
  }
}

TEST(IoErrorTest, MapsErrnoToCodes) {
  const absl::Status missing = IoError("open", "/x/y", ENOENT);
  EXPECT_TRUE(absl::IsNotFound(missing));
  EXPECT_EQ(missing.message(), "open /x/y: No such file or directory");
  EXPECT_TRUE(absl::IsAlreadyExists(IoError("mkdir", "/x", EEXIST)));
  const absl::Status full = IoError("write", "/x", ENOSPC);
  EXPECT_TRUE(absl::IsInternal(full));
  EXPECT_NE(full.message().find("No space left on device"),
            absl::string_view::npos);
}

}  // namespace
}  // namespace kvs
