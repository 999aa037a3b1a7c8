// FaultInjectionFileSystem: what survives a simulated power loss, an inactive
// file system, and injected errors. Run over both the in-memory and the POSIX
// file system as the base.

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/util/fs_test_util.h"
#include "util/fault_injection_file_system.h"
#include "util/mem_file_system.h"
#include "util/posix_file_system.h"

namespace kvs {
namespace {

using testing_util::ReadAll;
using testing_util::WriteFile;

class FaultInjectionTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "posix") {
      base_ = NewPosixFileSystem();
      const char* tmp = std::getenv("TEST_TMPDIR");
      std::string name =
          ::testing::UnitTest::GetInstance()->current_test_info()->name();
      std::replace(name.begin(), name.end(), '/', '_');
      root_ = std::string(tmp != nullptr ? tmp : "/tmp") + "/fault_" + name;
      std::filesystem::remove_all(root_);
    } else {
      base_ = NewMemFileSystem();
      root_ = "/db";
    }
    fs_ = std::make_unique<FaultInjectionFileSystem>(base_.get());
    KVS_ASSERT_OK(fs_->CreateDir(root_));
  }

  std::string Path(const std::string& name) const { return root_ + "/" + name; }

  // Writes a file and makes both its bytes and its name durable.
  void WriteDurable(const std::string& name, const std::string& data) {
    KVS_ASSERT_OK(WriteFile(fs_.get(), Path(name), data, /*sync=*/true));
    KVS_ASSERT_OK(fs_->SyncDir(root_));
  }

  std::vector<std::string> Children(FileSystem* fs) {
    auto names = fs->GetChildren(root_);
    EXPECT_TRUE(names.ok()) << names.status();
    if (!names.ok()) return {};
    std::sort(names->begin(), names->end());
    return *names;
  }

  std::unique_ptr<FileSystem> base_;
  std::unique_ptr<FaultInjectionFileSystem> fs_;
  std::string root_;
};

TEST_P(FaultInjectionTest, DropKeepsSyncedBytesOnly) {
  const std::string path = Path("000003.log");
  auto f = fs_->NewWritableFile(path);
  KVS_ASSERT_OK(f.status());
  KVS_ASSERT_OK(
      fs_->SyncDir(root_));  // The name is durable; the bytes are not yet.
  KVS_ASSERT_OK((*f)->Append("synced;"));
  KVS_ASSERT_OK((*f)->Sync());
  KVS_ASSERT_OK((*f)->Append("flushed only;"));
  KVS_ASSERT_OK((*f)->Flush());
  KVS_ASSERT_OK((*f)->Append("buffered"));
  KVS_ASSERT_OK((*f)->Close());
  EXPECT_EQ(ReadAll(fs_.get(), path), "synced;flushed only;buffered");

  KVS_ASSERT_OK(fs_->DropUnsyncedData());
  EXPECT_EQ(ReadAll(fs_.get(), path), "synced;");
  // Now everything left is durable: a second drop changes nothing.
  KVS_ASSERT_OK(fs_->DropUnsyncedData());
  EXPECT_EQ(ReadAll(fs_.get(), path), "synced;");
}

TEST_P(FaultInjectionTest, NeverSyncedFileInSyncedDirectoryIsEmpty) {
  KVS_ASSERT_OK(WriteFile(fs_.get(), Path("f"), "lost", /*sync=*/false));
  KVS_ASSERT_OK(fs_->SyncDir(root_));
  KVS_ASSERT_OK(fs_->DropUnsyncedData());
  EXPECT_TRUE(fs_->FileExists(Path("f")));
  EXPECT_EQ(ReadAll(fs_.get(), Path("f")), "");
}

TEST_P(FaultInjectionTest, CreatedFileWithoutDirSyncDisappears) {
  WriteDurable("old", "kept");
  // Synced bytes, but the directory entry was never made durable.
  KVS_ASSERT_OK(WriteFile(fs_.get(), Path("000005.sst"), "table", true));
  EXPECT_EQ(Children(fs_.get()),
            (std::vector<std::string>{"000005.sst", "old"}));
  KVS_ASSERT_OK(fs_->DropUnsyncedData());
  EXPECT_FALSE(fs_->FileExists(Path("000005.sst")));
  EXPECT_EQ(Children(fs_.get()), (std::vector<std::string>{"old"}));
  EXPECT_EQ(Children(base_.get()), (std::vector<std::string>{"old"}));
  EXPECT_EQ(ReadAll(fs_.get(), Path("old")), "kept");
}

TEST_P(FaultInjectionTest, AppendedToExistingFileKeepsOldBytes) {
  WriteDurable("MANIFEST", "base;");
  {
    auto f = fs_->NewAppendableFile(Path("MANIFEST"));
    KVS_ASSERT_OK(f.status());
    KVS_ASSERT_OK((*f)->Append("edit1;"));
    KVS_ASSERT_OK((*f)->Sync());
    KVS_ASSERT_OK((*f)->Append("edit2;"));
  }
  KVS_ASSERT_OK(fs_->DropUnsyncedData());
  EXPECT_EQ(ReadAll(fs_.get(), Path("MANIFEST")), "base;edit1;");
}

// The CURRENT-replacement pattern: write a temp file, sync it, rename it over
// CURRENT, sync the directory.
TEST_P(FaultInjectionTest, SyncedRenameSurvives) {
  WriteDurable("CURRENT", "MANIFEST-000001\n");
  KVS_ASSERT_OK(WriteFile(fs_.get(), Path("000002.dbtmp"), "MANIFEST-000002\n",
                          /*sync=*/true));
  KVS_ASSERT_OK(fs_->RenameFile(Path("000002.dbtmp"), Path("CURRENT")));
  KVS_ASSERT_OK(fs_->SyncDir(root_));
  KVS_ASSERT_OK(fs_->DropUnsyncedData());
  EXPECT_EQ(ReadAll(fs_.get(), Path("CURRENT")), "MANIFEST-000002\n");
  EXPECT_EQ(Children(fs_.get()), (std::vector<std::string>{"CURRENT"}));
  // The replaced file was kept aside only until the directory sync.
  EXPECT_EQ(Children(base_.get()), (std::vector<std::string>{"CURRENT"}));
}

TEST_P(FaultInjectionTest, UnsyncedRenameOverCurrentIsUndone) {
  WriteDurable("CURRENT", "MANIFEST-000001\n");
  KVS_ASSERT_OK(WriteFile(fs_.get(), Path("000002.dbtmp"), "MANIFEST-000002\n",
                          /*sync=*/true));
  KVS_ASSERT_OK(fs_->RenameFile(Path("000002.dbtmp"), Path("CURRENT")));
  EXPECT_EQ(ReadAll(fs_.get(), Path("CURRENT")), "MANIFEST-000002\n");
  EXPECT_EQ(Children(fs_.get()), (std::vector<std::string>{"CURRENT"}));
  KVS_ASSERT_OK(fs_->DropUnsyncedData());
  // The old CURRENT is back; the temp file was never durably created, so it is
  // gone too.
  EXPECT_EQ(ReadAll(fs_.get(), Path("CURRENT")), "MANIFEST-000001\n");
  EXPECT_EQ(Children(fs_.get()), (std::vector<std::string>{"CURRENT"}));
  EXPECT_EQ(Children(base_.get()), (std::vector<std::string>{"CURRENT"}));
}

TEST_P(FaultInjectionTest, TwoUnsyncedReplacementsRevertToTheDurableOne) {
  WriteDurable("CURRENT", "one");
  for (const char* next : {"two", "three"}) {
    KVS_ASSERT_OK(WriteFile(fs_.get(), Path("tmp"), next, true));
    KVS_ASSERT_OK(fs_->RenameFile(Path("tmp"), Path("CURRENT")));
  }
  EXPECT_EQ(ReadAll(fs_.get(), Path("CURRENT")), "three");
  KVS_ASSERT_OK(fs_->DropUnsyncedData());
  EXPECT_EQ(ReadAll(fs_.get(), Path("CURRENT")), "one");
  EXPECT_EQ(Children(base_.get()), (std::vector<std::string>{"CURRENT"}));
}

TEST_P(FaultInjectionTest, UnsyncedRenameBetweenDurableFilesIsUndone) {
  WriteDurable("a", "A");
  WriteDurable("b", "B");
  KVS_ASSERT_OK(fs_->RenameFile(Path("a"), Path("b")));
  EXPECT_FALSE(fs_->FileExists(Path("a")));
  EXPECT_EQ(ReadAll(fs_.get(), Path("b")), "A");
  KVS_ASSERT_OK(fs_->DropUnsyncedData());
  EXPECT_EQ(ReadAll(fs_.get(), Path("a")), "A");
  EXPECT_EQ(ReadAll(fs_.get(), Path("b")), "B");
}

TEST_P(FaultInjectionTest, UnsyncedRenameChainIsUndone) {
  WriteDurable("a", "A");
  KVS_ASSERT_OK(fs_->RenameFile(Path("a"), Path("b")));
  KVS_ASSERT_OK(fs_->RenameFile(Path("b"), Path("c")));
  KVS_ASSERT_OK(fs_->DropUnsyncedData());
  EXPECT_EQ(Children(fs_.get()), (std::vector<std::string>{"a"}));
  EXPECT_EQ(ReadAll(fs_.get(), Path("a")), "A");
}

TEST_P(FaultInjectionTest, SyncsFollowTheFileAcrossRenames) {
  auto f = fs_->NewWritableFile(Path("tmp"));
  KVS_ASSERT_OK(f.status());
  KVS_ASSERT_OK((*f)->Append("x"));
  KVS_ASSERT_OK(fs_->RenameFile(Path("tmp"), Path("final")));
  KVS_ASSERT_OK(fs_->SyncDir(root_));
  KVS_ASSERT_OK((*f)->Append("y"));
  KVS_ASSERT_OK((*f)->Sync());  // Through the handle opened under the old name.
  KVS_ASSERT_OK((*f)->Append("z"));
  KVS_ASSERT_OK((*f)->Close());
  KVS_ASSERT_OK(fs_->DropUnsyncedData());
  EXPECT_EQ(Children(fs_.get()), (std::vector<std::string>{"final"}));
  EXPECT_EQ(ReadAll(fs_.get(), Path("final")), "xy");
}

TEST_P(FaultInjectionTest, UnsyncedRemovalIsUndone) {
  WriteDurable("000007.sst", "table bytes");
  KVS_ASSERT_OK(fs_->RemoveFile(Path("000007.sst")));
  EXPECT_FALSE(fs_->FileExists(Path("000007.sst")));
  EXPECT_TRUE(Children(fs_.get()).empty());  // The kept-aside copy is hidden.
  KVS_ASSERT_OK(fs_->DropUnsyncedData());
  EXPECT_EQ(ReadAll(fs_.get(), Path("000007.sst")), "table bytes");
  EXPECT_EQ(Children(base_.get()), (std::vector<std::string>{"000007.sst"}));
}

TEST_P(FaultInjectionTest, SyncedRemovalIsFinal) {
  WriteDurable("000007.sst", "table bytes");
  KVS_ASSERT_OK(fs_->RemoveFile(Path("000007.sst")));
  KVS_ASSERT_OK(fs_->SyncDir(root_));
  EXPECT_TRUE(Children(base_.get()).empty());
  KVS_ASSERT_OK(fs_->DropUnsyncedData());
  EXPECT_FALSE(fs_->FileExists(Path("000007.sst")));
}

TEST_P(FaultInjectionTest, CreateThenRemoveLeavesNothing) {
  KVS_ASSERT_OK(WriteFile(fs_.get(), Path("tmp"), "t", true));
  KVS_ASSERT_OK(fs_->RemoveFile(Path("tmp")));
  EXPECT_TRUE(
      Children(base_.get()).empty());  // Nothing needed it: really deleted.
  KVS_ASSERT_OK(fs_->DropUnsyncedData());
  EXPECT_TRUE(Children(fs_.get()).empty());
}

TEST_P(FaultInjectionTest, TruncatingRewriteOfDurableFileLosesUnsyncedBytes) {
  WriteDurable("f", "old contents");
  KVS_ASSERT_OK(WriteFile(fs_.get(), Path("f"), "new", /*sync=*/false));
  KVS_ASSERT_OK(fs_->DropUnsyncedData());
  // Same name, same file: the truncation happened, the new bytes were never
  // synced.
  EXPECT_TRUE(fs_->FileExists(Path("f")));
  EXPECT_EQ(ReadAll(fs_.get(), Path("f")), "");
}

TEST_P(FaultInjectionTest, DirectorySyncIsPerDirectory) {
  KVS_ASSERT_OK(fs_->CreateDir(Path("sub")));
  KVS_ASSERT_OK(WriteFile(fs_.get(), Path("top"), "t", true));
  KVS_ASSERT_OK(WriteFile(fs_.get(), Path("sub/inner"), "i", true));
  KVS_ASSERT_OK(fs_->SyncDir(Path("sub")));
  KVS_ASSERT_OK(fs_->DropUnsyncedData());
  EXPECT_FALSE(fs_->FileExists(Path("top")));
  EXPECT_EQ(ReadAll(fs_.get(), Path("sub/inner")), "i");
}

TEST_P(FaultInjectionTest, RenameAcrossDirectoriesWithOnlyTargetSynced) {
  KVS_ASSERT_OK(fs_->CreateDir(Path("sub")));
  WriteDurable("f", "bytes");
  KVS_ASSERT_OK(fs_->RenameFile(Path("f"), Path("sub/f")));
  KVS_ASSERT_OK(fs_->SyncDir(Path("sub")));
  KVS_ASSERT_OK(fs_->DropUnsyncedData());
  // The new name is durable and the removal of the old one is not: both names
  // survive.
  EXPECT_EQ(ReadAll(fs_.get(), Path("f")), "bytes");
  EXPECT_EQ(ReadAll(fs_.get(), Path("sub/f")), "bytes");
}

TEST_P(FaultInjectionTest, RemoveDirWithKeptAsideFiles) {
  KVS_ASSERT_OK(fs_->CreateDir(Path("sub")));
  KVS_ASSERT_OK(WriteFile(fs_.get(), Path("sub/f"), "x", true));
  KVS_ASSERT_OK(fs_->SyncDir(Path("sub")));
  KVS_ASSERT_OK(fs_->RemoveFile(Path("sub/f")));
  KVS_ASSERT_OK(fs_->RemoveDir(Path("sub")));
  EXPECT_FALSE(fs_->FileExists(Path("sub")));
  EXPECT_FALSE(base_->FileExists(Path("sub")));
  KVS_ASSERT_OK(fs_->DropUnsyncedData());
  EXPECT_FALSE(fs_->FileExists(Path("sub")));
}

TEST_P(FaultInjectionTest, InactiveFileSystemRejectsWritesButReads) {
  WriteDurable("f", "data");
  auto open_writer = fs_->NewWritableFile(Path("w"));
  KVS_ASSERT_OK(open_writer.status());
  KVS_ASSERT_OK((*open_writer)->Append("before;"));

  fs_->SetFilesystemActive(false);
  EXPECT_FALSE(fs_->IsFilesystemActive());
  auto expect_injected = [](const absl::Status& s) {
    EXPECT_TRUE(IsInjectedError(s)) << s;
  };
  expect_injected((*open_writer)->Append("after"));
  expect_injected((*open_writer)->Flush());
  expect_injected((*open_writer)->Sync());
  expect_injected(fs_->NewWritableFile(Path("new")).status());
  expect_injected(fs_->NewAppendableFile(Path("f")).status());
  expect_injected(fs_->RenameFile(Path("f"), Path("g")));
  expect_injected(fs_->RemoveFile(Path("f")));
  expect_injected(fs_->SyncDir(root_));
  expect_injected(fs_->CreateDir(Path("d")));
  expect_injected(fs_->LockFile(Path("LOCK")).status());
  expect_injected((*open_writer)->Close());

  // Reads still work, and nothing above changed anything.
  EXPECT_EQ(ReadAll(fs_.get(), Path("f")), "data");
  EXPECT_EQ(ReadAll(fs_.get(), Path("w")), "before;");
  EXPECT_EQ(Children(fs_.get()), (std::vector<std::string>{"f", "w"}));
  EXPECT_GE(fs_->GetCounters().injected_errors, 11u);

  fs_->SetFilesystemActive(true);
  KVS_ASSERT_OK(WriteFile(fs_.get(), Path("new"), "ok"));
  EXPECT_EQ(ReadAll(fs_.get(), Path("new")), "ok");
}

TEST_P(FaultInjectionTest, InjectedSyncErrorOnlyOnMatchingPathAndOnce) {
  fs_->InjectError({.ops = FaultOp::kSync, .path_filter = ".log"});
  auto log = fs_->NewWritableFile(Path("000009.log"));
  auto manifest = fs_->NewWritableFile(Path("MANIFEST-000001"));
  KVS_ASSERT_OK(log.status());
  KVS_ASSERT_OK(manifest.status());
  KVS_ASSERT_OK((*log)->Append("x"));  // Other ops on the path: fine.
  KVS_ASSERT_OK((*manifest)->Sync());  // Other paths: fine.
  const absl::Status failed = (*log)->Sync();
  EXPECT_TRUE(IsInjectedError(failed)) << failed;
  EXPECT_NE(failed.message().find("000009.log"), absl::string_view::npos);
  EXPECT_NE(failed.message().find("Sync"), absl::string_view::npos);
  KVS_ASSERT_OK((*log)->Sync());  // One-shot: spent.
  EXPECT_EQ(fs_->GetCounters().injected_errors, 1u);
}

TEST_P(FaultInjectionTest, FailedSyncDoesNotMakeBytesDurable) {
  KVS_ASSERT_OK(WriteFile(fs_.get(), Path("f"), "", true));
  KVS_ASSERT_OK(fs_->SyncDir(root_));
  fs_->InjectError({.ops = FaultOp::kSync});
  auto f = fs_->NewAppendableFile(Path("f"));
  KVS_ASSERT_OK(f.status());
  KVS_ASSERT_OK((*f)->Append("abc"));
  EXPECT_TRUE(IsInjectedError((*f)->Sync()));
  KVS_ASSERT_OK((*f)->Close());
  KVS_ASSERT_OK(fs_->DropUnsyncedData());
  EXPECT_EQ(ReadAll(fs_.get(), Path("f")), "");
}

TEST_P(FaultInjectionTest, CountdownAndUnlimitedRules) {
  auto f = fs_->NewWritableFile(Path("f"));
  KVS_ASSERT_OK(f.status());
  const int id =
      fs_->InjectError({.ops = FaultOp::kAppend, .skip = 2, .failures = -1});
  KVS_ASSERT_OK((*f)->Append("1"));
  KVS_ASSERT_OK((*f)->Append("2"));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(IsInjectedError((*f)->Append("x")));
  fs_->RemoveError(id);
  KVS_ASSERT_OK((*f)->Append("3"));
  KVS_ASSERT_OK((*f)->Close());
  // Failed appends wrote nothing.
  EXPECT_EQ(ReadAll(fs_.get(), Path("f")), "123");
}

TEST_P(FaultInjectionTest, ProbabilisticRuleIsReproducible) {
  auto run = [&](uint64_t seed) {
    fs_->ClearErrors();
    fs_->InjectError(
        {.ops = FaultOp::kAppend, .failures = -1, .one_in = 3, .seed = seed});
    auto f = fs_->NewWritableFile(Path("f"));
    EXPECT_TRUE(f.ok());
    std::string pattern;
    for (int i = 0; i < 300; ++i) pattern += (*f)->Append("x").ok() ? '.' : 'E';
    return pattern;
  };
  const std::string a = run(42);
  const std::string b = run(42);
  const std::string c = run(43);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  const auto errors = std::count(a.begin(), a.end(), 'E');
  EXPECT_GT(errors, 50);  // About 100 expected out of 300.
  EXPECT_LT(errors, 150);
}

TEST_P(FaultInjectionTest, InjectedErrorsOnOtherOperations) {
  WriteDurable("src", "s");
  WriteDurable("data", "0123456789");

  fs_->InjectError({.ops = FaultOp::kRename, .path_filter = "CURRENT"});
  EXPECT_TRUE(IsInjectedError(fs_->RenameFile(Path("src"), Path("CURRENT"))));
  EXPECT_TRUE(
      fs_->FileExists(Path("src")));  // A failed rename changes nothing.
  KVS_ASSERT_OK(fs_->RenameFile(Path("src"), Path("CURRENT")));

  fs_->InjectError({.ops = FaultOp::kSyncDir});
  EXPECT_TRUE(IsInjectedError(fs_->SyncDir(root_)));
  KVS_ASSERT_OK(fs_->SyncDir(root_));

  fs_->InjectError({.ops = FaultOp::kNewWritableFile, .path_filter = ".sst"});
  EXPECT_TRUE(IsInjectedError(fs_->NewWritableFile(Path("1.sst")).status()));
  EXPECT_FALSE(fs_->FileExists(Path("1.sst")));
  KVS_ASSERT_OK(fs_->NewWritableFile(Path("1.log")).status());

  auto ra = fs_->NewRandomAccessFile(Path("data"));
  KVS_ASSERT_OK(ra.status());
  fs_->InjectError({.ops = FaultOp::kRead, .path_filter = "data"});
  char scratch[4];
  std::string_view piece;
  EXPECT_TRUE(IsInjectedError((*ra)->Read(0, 4, &piece, scratch)));
  KVS_ASSERT_OK((*ra)->Read(0, 4, &piece, scratch));
  EXPECT_EQ(piece, "0123");

  fs_->InjectError({.ops = FaultOp::kRemoveFile | FaultOp::kOpenForRead});
  EXPECT_TRUE(IsInjectedError(fs_->NewSequentialFile(Path("data")).status()));
  KVS_ASSERT_OK(fs_->RemoveFile(Path("data")));  // The single failure is spent.

  EXPECT_EQ(fs_->GetCounters().injected_errors, 5u);
  EXPECT_FALSE(IsInjectedError(absl::InternalError("real failure")));
}

TEST_P(FaultInjectionTest, Counters) {
  fs_->ResetCounters();
  auto f = fs_->NewWritableFile(Path("f"));
  KVS_ASSERT_OK(f.status());
  KVS_ASSERT_OK((*f)->Append("abc"));
  KVS_ASSERT_OK((*f)->Append("de"));
  KVS_ASSERT_OK((*f)->Flush());
  KVS_ASSERT_OK((*f)->Sync());
  KVS_ASSERT_OK((*f)->Sync());
  KVS_ASSERT_OK((*f)->Close());
  KVS_ASSERT_OK(fs_->SyncDir(root_));
  KVS_ASSERT_OK(fs_->RenameFile(Path("f"), Path("g")));
  EXPECT_EQ(ReadAll(fs_.get(), Path("g")), "abcde");
  KVS_ASSERT_OK(fs_->RemoveFile(Path("g")));
  const FaultCounters c = fs_->GetCounters();
  EXPECT_EQ(c.files_created, 1u);
  EXPECT_EQ(c.appends, 2u);
  EXPECT_EQ(c.bytes_appended, 5u);
  EXPECT_EQ(c.flushes, 1u);
  EXPECT_EQ(c.syncs, 2u);
  EXPECT_EQ(c.dir_syncs, 1u);
  EXPECT_EQ(c.renames, 1u);
  EXPECT_EQ(c.removes, 1u);
  EXPECT_EQ(c.reads,
            2u);  // The read that returned data and the one that found the end.
  EXPECT_EQ(c.injected_errors, 0u);
  fs_->ResetCounters();
  EXPECT_EQ(fs_->GetCounters().appends, 0u);
}

INSTANTIATE_TEST_SUITE_P(Bases, FaultInjectionTest,
                         ::testing::Values("mem", "posix"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace kvs
