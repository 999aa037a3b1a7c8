// RepairDB: a database that lost or damaged its MANIFEST or CURRENT, or holds
// a damaged table or WAL, is rebuilt from the files present. Afterwards it
// opens, every key whose data survived reads exactly, the damaged files are in
// lost/, compaction works and reopening is fine.

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "lsm/comparator.h"
#include "lsm/db.h"
#include "tests/corruption/corruption_test_util.h"

namespace kvs::corruption_testing {
namespace {

class RepairTest : public CorruptionTest {
 protected:
  absl::Status Repair() { return RepairDB(kDBName, DefaultOptions()); }

  std::set<std::string> Lost() {
    absl::StatusOr<std::vector<std::string>> children =
        fs_->GetChildren(Path("lost"));
    if (!children.ok()) return {};
    return std::set<std::string>(children->begin(), children->end());
  }

  static std::string Name(const std::string& path) { return path.substr(4); }

  // Every key of expected reads back exactly, by Get and by scans, and no
  // other key exists.
  void ExpectExactly(const Model& expected) {
    ReadOutcome r = CheckReads(expected);
    EXPECT_EQ(r.correct, static_cast<int>(expected.size()) + 4)
        << r.first_problem;
    EXPECT_EQ(r.wrong + r.data_loss + r.other_errors, 0) << r.first_problem;
  }

  // After a repair: compaction works, and the data survives it and a reopen.
  void ExpectCompactionAndReopenWork(const Model& expected) {
    CT_ASSERT_OK(db_->CompactRange(nullptr, nullptr));
    ExpectExactly(expected);
    std::string value;
    ASSERT_TRUE(db_->GetProperty("kvs.num-files-at-level0", &value));
    EXPECT_EQ(value, "0") << "everything was compacted out of level 0";
    CT_ASSERT_OK(Put("after-repair", "x"));
    Model with_new = expected;
    with_new["after-repair"] = "x";
    Close();
    Open(ParanoidOptions());
    ExpectExactly(with_new);
  }

  // The model BuildDatabase's files describe without the table holding the
  // given flush (0-3): each key's newest version among the other sources.
  static Model ModelWithoutFlush(int lost_flush) {
    Model m;
    for (int t = 0; t < 4; t++) {
      if (t == lost_flush) continue;
      for (int k = t * 100; k < t * 100 + 300; k++) m[Key(k)] = Value(k, t);
    }
    for (int k = 50; k < 250; k++) m[Key(k)] = Value(k, 9);
    return m;
  }
};

TEST_F(RepairTest, DeletedManifest) {
  BuildDatabase();
  for (const std::string& path : FilesOfType(FileType::kDescriptorFile)) {
    CT_ASSERT_OK(fs_->RemoveFile(path));
  }
  EXPECT_TRUE(absl::IsDataLoss(TryOpen(DefaultOptions())));
  std::vector<std::string> wals = FilesOfType(FileType::kLogFile);
  ASSERT_EQ(wals.size(), 1u);

  CT_ASSERT_OK(Repair());
  std::string log = ReadFile(Path("LOG"));
  EXPECT_TRUE(absl::StrContains(log, "repair")) << log;
  EXPECT_TRUE(absl::StrContains(log, "5 tables kept")) << log;
  // The WAL became a table and was archived.
  EXPECT_EQ(Lost(), std::set<std::string>{Name(wals[0])});
  EXPECT_TRUE(FilesOfType(FileType::kLogFile).empty());

  Open(ParanoidOptions());
  std::string value;
  ASSERT_TRUE(db_->GetProperty("kvs.num-files-at-level0", &value));
  EXPECT_EQ(value, "5");
  ExpectExactly(model_);
  ExpectCompactionAndReopenWork(model_);
}

TEST_F(RepairTest, DeletedCurrent) {
  BuildDatabase();
  std::vector<std::string> manifests = FilesOfType(FileType::kDescriptorFile);
  CT_ASSERT_OK(fs_->RemoveFile(Path("CURRENT")));
  EXPECT_FALSE(TryOpen(DefaultOptions()).ok());

  CT_ASSERT_OK(Repair());
  std::set<std::string> lost = Lost();
  for (const std::string& m : manifests) {
    EXPECT_TRUE(lost.contains(Name(m))) << m << " was not archived";
  }
  Open(ParanoidOptions());
  ExpectExactly(model_);
  ExpectCompactionAndReopenWork(model_);
}

TEST_F(RepairTest, CorruptedManifest) {
  BuildDatabase();
  std::string manifest = FilesOfType(FileType::kDescriptorFile).back();
  std::string contents = ReadFile(manifest);
  for (size_t i = 10; i < contents.size(); i += 37) contents[i] ^= 0x55;
  WriteFile(manifest, contents);
  EXPECT_TRUE(absl::IsDataLoss(TryOpen(ParanoidOptions())));

  CT_ASSERT_OK(Repair());
  EXPECT_TRUE(Lost().contains(Name(manifest)));
  Open(ParanoidOptions());
  ExpectExactly(model_);
  ExpectCompactionAndReopenWork(model_);
}

TEST_F(RepairTest, CorruptTableGoesToLost) {
  BuildDatabase();
  std::vector<std::string> tables = FilesOfType(FileType::kTableFile);
  ASSERT_EQ(tables.size(), 4u);
  // The last flush (keys 300..599): damage a data block in its middle.
  const std::string damaged = tables[3];
  FlipByte(damaged, ReadFile(damaged).size() / 3, 0x20);

  CT_ASSERT_OK(Repair());
  EXPECT_TRUE(Lost().contains(Name(damaged)));
  EXPECT_FALSE(fs_->FileExists(damaged));
  std::string log = ReadFile(Path("LOG"));
  EXPECT_TRUE(absl::StrContains(log, "unusable")) << log;

  // Keys 300..499 fall back to their previous versions; 500..599 are gone.
  Model expected = ModelWithoutFlush(3);
  EXPECT_EQ(expected.size(), 500u);
  Open(ParanoidOptions());
  ExpectExactly(expected);
  ExpectCompactionAndReopenWork(expected);
}

TEST_F(RepairTest, EveryTableDamagedLeavesTheWalData) {
  BuildDatabase();
  for (const std::string& table : FilesOfType(FileType::kTableFile)) {
    Truncate(table, 100);
  }
  CT_ASSERT_OK(Repair());
  // The 4 tables, the WAL and the MANIFEST.
  EXPECT_EQ(Lost().size(), 6u);
  Model expected;
  for (int k = 50; k < 250; k++) expected[Key(k)] = Value(k, 9);
  Open(ParanoidOptions());
  ExpectExactly(expected);
  ExpectCompactionAndReopenWork(expected);
}

TEST_F(RepairTest, DamagedWalRecordsAreDroppedAndLogged) {
  Open();
  // One record per key, in a fresh WAL of ~26 KiB (a single block).
  Fill(0, 200, 0);
  Close();
  std::string wal = FilesOfType(FileType::kLogFile).back();
  FlipByte(wal, ReadFile(wal).size() / 2, 0x01);
  CT_ASSERT_OK(fs_->RemoveFile(Path("CURRENT")));

  CT_ASSERT_OK(Repair());
  std::string log = ReadFile(Path("LOG"));
  EXPECT_TRUE(absl::StrContains(log, "dropping")) << log;
  Open(ParanoidOptions());
  // A checksum mismatch drops the rest of the block: a prefix of the writes
  // survives, each exact.
  std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
  int n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), n++) {
    ASSERT_EQ(it->key(), Key(n));
    ASSERT_EQ(it->value(), model_[Key(n)]);
  }
  CT_ASSERT_OK(it->status());
  EXPECT_GT(n, 50);
  EXPECT_LT(n, 200);
}

TEST_F(RepairTest, StaleWalDoesNotResurrectOldValues) {
  // An old WAL that should have been deleted (its data is in a table already)
  // becomes the highest-numbered table. Level-0 lookups would find its stale
  // values first, so repair must merge the tables.
  Open();
  Fill(0, 100, 0);
  std::string old_wal = FilesOfType(FileType::kLogFile).back();
  std::string old_contents = ReadFile(old_wal);
  CT_ASSERT_OK(db_->Flush());
  Fill(0, 100, 1);
  CT_ASSERT_OK(db_->Flush());
  Close();
  WriteFile(old_wal, old_contents);
  CT_ASSERT_OK(fs_->RemoveFile(Path("CURRENT")));

  CT_ASSERT_OK(Repair());
  std::string log = ReadFile(Path("LOG"));
  EXPECT_TRUE(absl::StrContains(log, "compacting")) << log;
  Open(ParanoidOptions());
  ExpectExactly(model_);
  ExpectCompactionAndReopenWork(model_);
}

TEST_F(RepairTest, RepairOfAnIntactDatabaseChangesNoData) {
  BuildDatabase();
  CT_ASSERT_OK(Repair());
  Open(ParanoidOptions());
  ExpectExactly(model_);
  Close();
  // Twice in a row is fine too.
  Close();
  CT_ASSERT_OK(Repair());
  Open(ParanoidOptions());
  ExpectExactly(model_);
  // A WAL holding only its opening record (no writes since the last open)
  // produces no table, so no table is archived as damaged (old MANIFESTs are
  // archived by design).
  for (const std::string& name : Lost()) {
    EXPECT_FALSE(name.ends_with(".sst")) << name << " archived in lost/";
  }
}

TEST_F(RepairTest, RefusesAnOpenOrMissingDatabase) {
  BuildDatabase();
  Open();
  EXPECT_TRUE(absl::IsUnavailable(Repair()));
  Close();
  EXPECT_TRUE(absl::IsNotFound(RepairDB("/nowhere", DefaultOptions())));
}

TEST_F(RepairTest, WrongComparatorChangesNothing) {
  BuildDatabase();
  std::map<std::string, std::string> before;
  for (const std::string& name : Files()) {
    if (!name.starts_with("LOG")) before[name] = ReadFile(Path(name));
  }
  class Reverse : public Comparator {
   public:
    int Compare(std::string_view a, std::string_view b) const override {
      return b.compare(a);
    }
    const char* Name() const override { return "test.Reverse"; }
    void FindShortestSeparator(std::string*, std::string_view) const override {}
    void FindShortSuccessor(std::string*) const override {}
  } reverse;
  Options options = DefaultOptions();
  options.comparator = &reverse;
  // Found in the MANIFEST's comparator record, and without a MANIFEST from
  // the tables' key order.
  for (bool with_manifest : {true, false}) {
    if (!with_manifest) {
      for (const std::string& path : FilesOfType(FileType::kDescriptorFile)) {
        CT_ASSERT_OK(fs_->RemoveFile(path));
        before.erase(Name(path));
      }
    }
    absl::Status s = RepairDB(kDBName, options);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
    for (const auto& [name, contents] : before) {
      EXPECT_TRUE(ReadFile(Path(name)) == contents) << name << " changed";
    }
    EXPECT_TRUE(Lost().empty());
  }
}

}  // namespace
}  // namespace kvs::corruption_testing
