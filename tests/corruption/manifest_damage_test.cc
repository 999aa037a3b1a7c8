// Damage the checksums cannot see: a CURRENT file holding garbage or missing,
// MANIFEST records with valid checksums but nonsensical edits, a table whose
// recorded size is wrong or whose footer is damaged. Each must be refused with
// DataLoss (or InvalidArgument for a comparator mismatch), or be harmless;
// never a crash, never wrong data, and the database opens again once the
// damage is undone.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "compaction/filename.h"
#include "compaction/version_edit.h"
#include "gtest/gtest.h"
#include "lsm/comparator.h"
#include "lsm/db.h"
#include "memtable/internal_key.h"
#include "sstable/table.h"
#include "tests/corruption/corruption_test_util.h"
#include "wal/writer.h"

namespace kvs::corruption_testing {
namespace {

class ManifestDamageTest : public CorruptionTest {
 protected:
  void SetUp() override {
    BuildDatabase();
    // Open once more so the WAL is in a table too and the MANIFEST is fresh.
    Open();
    Close();
    for (const std::string& name : Files()) {
      pristine_[name] = ReadFile(Path(name));
    }
  }

  void Restore() {
    db_.reset();
    for (const std::string& name : Files()) {
      ASSERT_TRUE(fs_->RemoveFile(Path(name)).ok()) << name;
    }
    for (const auto& [name, contents] : pristine_) {
      WriteFile(Path(name), contents);
    }
  }

  // After the damage is undone the database opens with all its data.
  void ExpectIntactAfterRestore() {
    Restore();
    Open(ParanoidOptions());
    ReadOutcome r = CheckReads(model_);
    EXPECT_EQ(r.wrong + r.data_loss + r.other_errors, 0) << r.first_problem;
    Close();
  }

  std::string ManifestPath() {
    std::string current = ReadFile(Path("CURRENT"));
    EXPECT_TRUE(current.ends_with("\n"));
    return Path(current.substr(0, current.size() - 1));
  }

  // Appends a record (with a valid checksum) to the live MANIFEST.
  void AppendRecord(std::string_view record) {
    std::string path = ManifestPath();
    absl::StatusOr<uint64_t> size = fs_->GetFileSize(path);
    ASSERT_TRUE(size.ok());
    absl::StatusOr<std::unique_ptr<WritableFile>> file =
        fs_->NewAppendableFile(path);
    ASSERT_TRUE(file.ok());
    wal::Writer writer(file->get(), *size);
    CT_ASSERT_OK(writer.AddRecord(record));
    CT_ASSERT_OK((*file)->Close());
  }
  void AppendEdit(const VersionEdit& edit) {
    std::string record;
    edit.EncodeTo(&record);
    AppendRecord(record);
  }

  // The metadata of a live table, read from the table itself.
  FileMetaData TableMeta(const std::string& path) {
    FileMetaData meta;
    uint64_t number;
    FileType type;
    EXPECT_TRUE(ParseFileName(path.substr(4), &number, &type));
    meta.number = number;
    meta.file_size = *fs_->GetFileSize(path);
    InternalKeyComparator icmp(BytewiseComparator());
    TableOptions options;
    options.comparator = &icmp;
    auto file = fs_->NewRandomAccessFile(path);
    EXPECT_TRUE(file.ok());
    auto table = Table::Open(options, std::move(*file), meta.file_size);
    EXPECT_TRUE(table.ok()) << table.status();
    if (table.ok()) {
      meta.smallest = (*table)->properties().smallest_key;
      meta.largest = (*table)->properties().largest_key;
    }
    return meta;
  }

  std::map<std::string, std::string> pristine_;
};

TEST_F(ManifestDamageTest, GarbageCurrentIsDataLoss) {
  const std::vector<std::string> garbage = {
      "",
      "\n",
      "MANIFEST-000001",  // No newline: a torn write of CURRENT.
      "garbage\n",
      "MANIFEST-\n",
      "MANIFEST-12x\n",
      "MANIFEST-999999\n",  // Names a MANIFEST that does not exist.
      "MANIFEST-99999999999999999999999999\n",
      "CURRENT\n",
      "000005.sst\n",
      std::string("\xff\x00\x01\n", 4),
      std::string(4096, 'M'),
  };
  for (const std::string& contents : garbage) {
    Restore();
    WriteFile(Path("CURRENT"), contents);
    for (bool paranoid : {false, true}) {
      absl::Status s = TryOpen(paranoid ? ParanoidOptions() : DefaultOptions());
      EXPECT_TRUE(absl::IsDataLoss(s))
          << "CURRENT = '" << contents << "': " << s;
    }
  }
  ExpectIntactAfterRestore();
}

TEST_F(ManifestDamageTest, MissingCurrentIsDataLossNotANewDatabase) {
  // With create_if_missing, a directory full of tables but without CURRENT must
  // not be taken for an empty database (which would then delete the tables as
  // obsolete).
  ASSERT_TRUE(fs_->RemoveFile(Path("CURRENT")).ok());
  absl::Status s = TryOpen(DefaultOptions());
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "RepairDB")) << s;
  Options no_create = DefaultOptions();
  no_create.create_if_missing = false;
  s = TryOpen(no_create);
  // Refused either way (without create_if_missing, as a missing database).
  EXPECT_TRUE(absl::IsDataLoss(s) || absl::IsInvalidArgument(s)) << s;
  // Nothing was deleted or overwritten.
  for (const auto& [name, contents] : pristine_) {
    if (name == "CURRENT" || name.starts_with("LOG")) continue;
    EXPECT_TRUE(ReadFile(Path(name)) == contents) << name << " changed";
  }
  ExpectIntactAfterRestore();
}

TEST_F(ManifestDamageTest, NonsenseEditsWithValidChecksumsAreRefused) {
  std::vector<std::string> tables = FilesOfType(FileType::kTableFile);
  ASSERT_FALSE(tables.empty());
  const FileMetaData live = TableMeta(tables.back());

  struct Case {
    std::string name;
    std::function<void()> damage;
    bool invalid_argument = false;
  };
  std::vector<Case> cases;
  cases.push_back({"unknown tag", [&] { AppendRecord("\x63garbage"); }});
  cases.push_back({"truncated field", [&] { AppendRecord("\x02"); }});
  cases.push_back({"level beyond num_levels", [&] {
                     VersionEdit e;
                     e.AddFile(10, live);
                     AppendEdit(e);
                   }});
  cases.push_back({"a table at two levels", [&] {
                     VersionEdit e;
                     e.AddFile(3, live);
                     AppendEdit(e);
                   }});
  cases.push_back({"smallest key after largest", [&] {
                     VersionEdit e;
                     FileMetaData f = live;
                     std::swap(f.smallest, f.largest);
                     e.AddFile(0, f);
                     AppendEdit(e);
                   }});
  cases.push_back({"overlapping tables in level 1", [&] {
                     VersionEdit e;
                     for (const std::string& path : tables) {
                       FileMetaData f = TableMeta(path);
                       e.RemoveFile(0, f.number);
                       e.AddFile(1, f);
                     }
                     AppendEdit(e);
                   }});
  cases.push_back({"a table that does not exist", [&] {
                     VersionEdit e;
                     FileMetaData f = live;
                     f.number = 777;
                     e.AddFile(0, f);
                     AppendEdit(e);
                   }});
  cases.push_back({"sequence beyond 56 bits", [&] {
                     VersionEdit e;
                     e.SetLastSequence(kMaxSequenceNumber + 1);
                     AppendEdit(e);
                   }});
  cases.push_back({"sequence below the tables' keys", [&] {
                     VersionEdit e;
                     e.SetLastSequence(1);
                     AppendEdit(e);
                   }});
  cases.push_back({"another comparator",
                   [&] {
                     VersionEdit e;
                     e.SetComparatorName("some.OtherComparator");
                     AppendEdit(e);
                   },
                   /*invalid_argument=*/true});
  cases.push_back({"a MANIFEST without its counters", [&] {
                     VersionEdit e;
                     e.SetComparatorName(BytewiseComparator()->Name());
                     std::string record;
                     e.EncodeTo(&record);
                     std::string path = ManifestPath();
                     auto file = fs_->NewWritableFile(path);
                     ASSERT_TRUE(file.ok());
                     wal::Writer writer(file->get(), 0);
                     CT_ASSERT_OK(writer.AddRecord(record));
                     CT_ASSERT_OK((*file)->Close());
                   }});

  for (const Case& c : cases) {
    Restore();
    c.damage();
    ASSERT_FALSE(HasFatalFailure()) << c.name;
    for (bool paranoid : {false, true}) {
      absl::Status s = TryOpen(paranoid ? ParanoidOptions() : DefaultOptions());
      if (c.invalid_argument) {
        EXPECT_TRUE(absl::IsInvalidArgument(s)) << c.name << ": " << s;
      } else {
        EXPECT_TRUE(absl::IsDataLoss(s)) << c.name << ": " << s;
      }
    }
  }
  ExpectIntactAfterRestore();
}

TEST_F(ManifestDamageTest, HarmlessEditsKeepTheData) {
  // Removing a table that is not there, and compaction pointers, change
  // nothing a reader can see.
  VersionEdit e;
  e.RemoveFile(2, 123456);
  e.SetCompactPointer(1, InternalKey("key000100", 5, kTypeValue).Encode());
  AppendEdit(e);
  Open(ParanoidOptions());
  ReadOutcome r = CheckReads(model_);
  EXPECT_EQ(r.correct, static_cast<int>(model_.size()) + 4) << r.first_problem;
}

TEST_F(ManifestDamageTest, LowNextFileNumberNeverReusesALiveTable) {
  // A next-file number below the live tables' numbers must not make new files
  // overwrite them. The newest table must be numbered above the MANIFEST and
  // the WAL (a flush allocates its number after switching WALs), and the WAL
  // must hold data, so that the open's first new file is a table.
  Open();
  Fill(700, 100, 10);
  CT_ASSERT_OK(db_->Flush());
  Fill(800, 20, 10);
  Close();
  VersionEdit e;
  e.SetNextFileNumber(2);
  AppendEdit(e);
  std::map<std::string, std::string> before;
  for (const std::string& path : FilesOfType(FileType::kTableFile)) {
    before[path] = ReadFile(path);
  }
  Open(ParanoidOptions());
  for (int round = 0; round < 6; round++) {
    Fill(1000 + round * 100, 100, 20 + round);
    CT_ASSERT_OK(db_->Flush());
  }
  Fill(2000, 50, 30);
  for (const auto& [path, contents] : before) {
    EXPECT_TRUE(ReadFile(path) == contents) << path << " was overwritten";
  }
  ReadOutcome r = CheckReads(model_);
  EXPECT_EQ(r.correct, static_cast<int>(model_.size()) + 4) << r.first_problem;
  Close();
  Open(ParanoidOptions());
  r = CheckReads(model_);
  EXPECT_EQ(r.correct, static_cast<int>(model_.size()) + 4) << r.first_problem;
}

TEST_F(ManifestDamageTest, WrongTableSizeIsDataLossOnRead) {
  // The MANIFEST records a table's size; if it is wrong the footer is looked
  // for in the wrong place, and every read of that table reports DataLoss.
  std::vector<std::string> tables = FilesOfType(FileType::kTableFile);
  for (int64_t delta : {-1, 1, 100, -4000}) {
    Restore();
    FileMetaData f = TableMeta(tables.back());
    f.file_size += delta;
    VersionEdit e;
    e.AddFile(0, f);  // Replaces the entry of the same number.
    AppendEdit(e);
    Open(ParanoidOptions());
    ReadOutcome r = CheckReads(model_);
    EXPECT_EQ(r.wrong, 0) << delta << ": " << r.first_problem;
    EXPECT_EQ(r.other_errors, 0) << delta << ": " << r.first_problem;
    EXPECT_GT(r.data_loss, 0) << delta;
  }
  ExpectIntactAfterRestore();
}

TEST_F(ManifestDamageTest, TableDamagedAtOpenIsDataLossForItsKeysOnly) {
  // The newest table holds the only copy of keys 400..599 (BuildDatabase's
  // last flush wrote keys 300..599). Its footer is destroyed.
  std::vector<std::string> tables = FilesOfType(FileType::kTableFile);
  std::string newest_flush;
  for (const std::string& path : tables) {
    FileMetaData f = TableMeta(path);
    if (ExtractUserKey(f.largest) == Key(599)) newest_flush = path;
  }
  ASSERT_FALSE(newest_flush.empty());
  std::string contents = ReadFile(newest_flush);
  for (size_t i = contents.size() - 8; i < contents.size(); i++) {
    contents[i] = 0;  // The magic number.
  }
  WriteFile(newest_flush, contents);
  for (bool paranoid : {false, true}) {
    Open(paranoid ? ParanoidOptions() : DefaultOptions());
    for (int k = 0; k < 600; k++) {
      absl::StatusOr<std::string> got = db_->Get(ReadOptions(), Key(k));
      if (k >= 300) {
        EXPECT_TRUE(absl::IsDataLoss(got.status())) << k << got.status();
      } else {
        ASSERT_TRUE(got.ok()) << k << got.status();
        EXPECT_EQ(*got, model_[Key(k)]);
      }
    }
    // Writes go on; a compaction that needs the table fails with DataLoss.
    CT_ASSERT_OK(Put("new", "value"));
    absl::Status s = db_->CompactRange(nullptr, nullptr);
    EXPECT_TRUE(absl::IsDataLoss(s)) << s;
    Close();
  }
}

}  // namespace
}  // namespace kvs::corruption_testing
