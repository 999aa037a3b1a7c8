// Reopening: what survives a clean close, a process crash and a power loss;
// recovery of several WALs and of WALs bigger than a memtable; damage found at
// open; the LOG file; and deletion of files nobody needs.

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "lsm/db.h"
#include "lsm/write_batch.h"
#include "memtable/write_batch_internal.h"
#include "tests/db/db_test_util.h"
#include "wal/writer.h"

namespace kvs::db_testing {
namespace {

std::string Path(std::string_view name) {
  return std::string(DBTest::kDBName) + "/" + std::string(name);
}

// Writes n keys starting at first (one version), returning the model.
void Fill(DBTest* t, Model* model, int first, int n, int version, bool sync,
          size_t value_size = 100) {
  for (int i = first; i < first + n; i++) {
    std::string v = Value(i, version, value_size);
    ASSERT_TRUE(t->Put(Key(i), v, sync).ok());
    (*model)[Key(i)] = v;
  }
}

using DBRecoveryTest = DBTest;

TEST_F(DBRecoveryTest, ReopenWithoutFlushKeepsEverything) {
  Open();
  Model model;
  Fill(this, &model, 0, 100, 0, false);
  DB_ASSERT_OK(Delete(Key(5)));
  model.erase(Key(5));
  Reopen();
  EXPECT_TRUE(Contents() == model);
  EXPECT_EQ(Get(Key(5)), "NOT_FOUND");
  // Twice: the second open recovers what the first one wrote.
  Fill(this, &model, 50, 100, 1, false);
  Reopen();
  Reopen();
  EXPECT_TRUE(Contents() == model);
}

TEST_F(DBRecoveryTest, ReopenAfterFlushesKeepsEverything) {
  Open(NoCompactionOptions());
  Model model;
  // Several memtables' worth: many level-0 files plus an unflushed tail.
  Fill(this, &model, 0, 3000, 0, false);
  DB_ASSERT_OK(db_->Flush());
  Fill(this, &model, 1000, 500, 1, false);
  DB_ASSERT_OK(db_->Flush());
  Fill(this, &model, 2000, 50, 2, false);
  const int files = NumLevel0Files();
  EXPECT_GE(files, 4);
  Close();
  Open(NoCompactionOptions());
  EXPECT_GE(NumLevel0Files(), files);
  EXPECT_TRUE(Contents() == model);
  for (int i = 0; i < 3000; i += 97) {
    EXPECT_EQ(Get(Key(i)), model[Key(i)]);
  }
  Open(NoCompactionOptions());
  EXPECT_TRUE(Contents() == model);
}

TEST_F(DBRecoveryTest, SyncAndNonSyncWritesSurviveReopen) {
  Open();
  Model model;
  Random rnd(3);
  for (int i = 0; i < 400; i++) {
    std::string v = Value(i, 0, rnd.Uniform(500));
    DB_ASSERT_OK(Put(Key(i), v, rnd.OneIn(3)));
    model[Key(i)] = v;
  }
  Reopen();
  EXPECT_TRUE(Contents() == model);
}

TEST_F(DBRecoveryTest, ProcessCrashKeepsNonSyncWrites) {
  Open();
  Model model;
  // Enough for several memtable switches, with flushes racing the crash.
  Fill(this, &model, 0, 2000, 0, false);
  // The process dies: no clean close (every later file operation fails), but
  // what it wrote reached the operating system.
  fs_->SetFilesystemActive(false);
  Close();
  fs_->SetFilesystemActive(true);
  Open();
  EXPECT_TRUE(Contents() == model);
}

TEST_F(DBRecoveryTest, PowerLossKeepsSyncWrites) {
  Open();
  Model model;
  Fill(this, &model, 0, 1500, 0, true);
  PowerLoss();
  Open();
  EXPECT_TRUE(Contents() == model);
  // And again, on top of the recovered state.
  Fill(this, &model, 1000, 1500, 1, true);
  PowerLoss();
  Open();
  EXPECT_TRUE(Contents() == model);
}

TEST_F(DBRecoveryTest, SyncWriteMakesEarlierNonSyncWritesDurable) {
  Open();
  Model model;
  Fill(this, &model, 0, 50, 0, false);
  DB_ASSERT_OK(Put("sync", "1", /*sync=*/true));
  model["sync"] = "1";
  PowerLoss();
  Open();
  EXPECT_TRUE(Contents() == model);
}

// Writes a WAL by hand: an opening record (an empty batch carrying the
// sequence the WAL starts at) unless opening is 0, then one Put per key, with
// consecutive sequences from first.
void WriteWal(FileSystem* fs, const std::string& path, SequenceNumber opening,
              SequenceNumber first, const std::vector<std::string>& keys) {
  auto file = fs->NewWritableFile(path);
  ASSERT_TRUE(file.ok()) << file.status();
  wal::Writer log(file->get(), 0);
  if (opening != 0) {
    WriteBatch empty;
    WriteBatchInternal::SetSequence(&empty, opening);
    DB_ASSERT_OK(log.AddRecord(WriteBatchInternal::Contents(empty)));
  }
  SequenceNumber sequence = first;
  for (const std::string& key : keys) {
    WriteBatch batch;
    batch.Put(key, "v" + key);
    WriteBatchInternal::SetSequence(&batch, sequence++);
    DB_ASSERT_OK(log.AddRecord(WriteBatchInternal::Contents(batch)));
  }
  DB_ASSERT_OK(log.Sync());
  DB_ASSERT_OK((*file)->Close());
}

// The WAL before the newest one lost its last records (it was not synced when
// the power went, while the newest one reached the disk): the newest one's
// opening record shows the gap, and replaying it would not give a prefix of
// the writes.
TEST_F(DBRecoveryTest, WalAfterALostTailIsNotReplayed) {
  struct Case {
    SequenceNumber second_opening;  // 0: a WAL written without one.
    SequenceNumber second_first;    // The second WAL's first batch.
    bool second_replayed;
  };
  for (const Case& c : {Case{4, 4, true}, Case{6, 6, false}, Case{0, 4, true},
                        Case{0, 6, false}}) {
    SCOPED_TRACE(testing::Message()
                 << c.second_opening << " " << c.second_first);
    Close();
    DB_ASSERT_OK(DestroyDB(kDBName, DefaultOptions()));
    Open();
    Close();
    std::vector<std::string> logs;
    for (const std::string& name : Files()) {
      if (name.ends_with(".log")) logs.push_back(name);
    }
    ASSERT_EQ(logs.size(), 1u);
    const uint64_t number = std::stoull(logs[0]);
    char second[32];
    std::snprintf(second, sizeof(second), "%06llu.log",
                  static_cast<unsigned long long>(number + 1));
    // Sequences 1-3 in the first WAL; the second starts at 4 if nothing was
    // lost, at 6 if 4 and 5 were (seen from its opening record or, without
    // one, from its first batch).
    WriteWal(fs_.get(), Path(logs[0]), 1, 1, {"a", "b", "c"});
    WriteWal(fs_.get(), Path(second), c.second_opening, c.second_first,
             {"late"});
    // A third WAL that follows the second without a gap: replayed exactly
    // when the second is.
    std::snprintf(second, sizeof(second), "%06llu.log",
                  static_cast<unsigned long long>(number + 2));
    const SequenceNumber third = c.second_first + 1;
    WriteWal(fs_.get(), Path(second), third, third, {"later"});
    Open();
    EXPECT_EQ(Get("a"), "va");
    EXPECT_EQ(Get("c"), "vc");
    EXPECT_EQ(Get("late"), c.second_replayed ? "vlate" : "NOT_FOUND");
    EXPECT_EQ(Get("later"), c.second_replayed ? "vlater" : "NOT_FOUND");
    // The database goes on from there.
    DB_ASSERT_OK(Put("after", "1", /*sync=*/true));
    Reopen();
    EXPECT_EQ(Get("after"), "1");
    EXPECT_EQ(Get("late"), c.second_replayed ? "vlate" : "NOT_FOUND");
  }
}

// A memtable switch leaves the previous WAL unsynced; a sync write must sync
// it too, or a power loss could lose the earlier writes it vouches for.
TEST_F(DBRecoveryTest, SyncWriteAfterMemtableSwitchesMakesEverythingDurable) {
  for (int round = 0; round < 10; round++) {
    Close();
    DB_ASSERT_OK(DestroyDB(kDBName, DefaultOptions()));
    Open(NoCompactionOptions());
    Model model;
    Fill(this, &model, 0, 200, round, false);
    // Bigger than the 64 KiB memtable: the next write switches memtables and
    // WALs, and the power goes right after it, most likely before the flush
    // of the old memtable has made its WAL unnecessary.
    DB_ASSERT_OK(Put("big", std::string(100 << 10, 'b'), /*sync=*/false));
    model["big"] = std::string(100 << 10, 'b');
    DB_ASSERT_OK(Put("sync", "1", /*sync=*/true));
    model["sync"] = "1";
    PowerLoss();
    Open(NoCompactionOptions());
    ASSERT_TRUE(Contents() == model) << "round " << round;
  }
}

TEST_F(DBRecoveryTest, EmptySyncBatchMakesEarlierWritesDurable) {
  // "A null or empty batch ... with sync, syncs earlier writes."
  Open();
  Model model;
  Fill(this, &model, 0, 50, 0, false);
  WriteBatch empty;
  WriteOptions sync;
  sync.sync = true;
  DB_ASSERT_OK(db_->Write(sync, &empty));
  Fill(this, &model, 50, 10, 0, false);
  DB_ASSERT_OK(db_->Write(sync, nullptr));
  PowerLoss();
  Open();
  EXPECT_TRUE(Contents() == model);
}

TEST_F(DBRecoveryTest, PowerLossAfterFlushKeepsFlushedData) {
  Open();
  Model model;
  Fill(this, &model, 0, 300, 0, false);
  DB_ASSERT_OK(db_->Flush());  // Flush makes the data durable.
  PowerLoss();
  Open();
  EXPECT_TRUE(Contents() == model);
}

TEST_F(DBRecoveryTest, RecoveryOfAWalBiggerThanTheMemtable) {
  Options big = DefaultOptions();
  big.write_buffer_size = 4 << 20;
  Open(big);
  Model model;
  Fill(this, &model, 0, 3000, 0, false, 300);
  EXPECT_EQ(NumTableFiles(), 0);
  Close();
  // Replaying ~1 MiB into 64 KiB memtables writes several tables.
  Open(NoCompactionOptions());
  EXPECT_GT(NumLevel0Files(), 2);
  EXPECT_TRUE(Contents() == model);
  Reopen();
  EXPECT_TRUE(Contents() == model);
}

TEST_F(DBRecoveryTest, LogFileMentionsTheRecovery) {
  Open();
  DB_ASSERT_OK(Put("a", "1"));
  Close();
  std::string first_log = ReadFile(Path("LOG"));
  EXPECT_TRUE(absl::StrContains(first_log, "created")) << first_log;
  Open();
  EXPECT_EQ(Get("a"), "1");
  std::string log = ReadFile(Path("LOG"));
  EXPECT_TRUE(absl::StrContains(log, "recover")) << log;
  EXPECT_TRUE(absl::StrContains(log, ".log")) << log;
  // The previous run's LOG is kept as LOG.old.
  EXPECT_TRUE(fs_->FileExists(Path("LOG.old")));
  EXPECT_EQ(ReadFile(Path("LOG.old")).substr(0, 100), first_log.substr(0, 100));
}

TEST_F(DBRecoveryTest, OldWalsAreDeletedAfterFlush) {
  Open();
  Model model;
  for (int round = 0; round < 5; round++) {
    Fill(this, &model, round * 100, 100, round, false);
    DB_ASSERT_OK(db_->Flush());
  }
  Fill(this, &model, 0, 2000, 9, false);  // Background flushes too.
  DB_ASSERT_OK(db_->Flush());
  Close();  // Waits for background work, including file deletion.
  EXPECT_EQ(CountFiles(".log"), 1) << ::testing::PrintToString(Files());
  int manifests = 0;
  for (const std::string& f : Files()) {
    if (f.starts_with("MANIFEST-")) manifests++;
  }
  EXPECT_EQ(manifests, 1) << ::testing::PrintToString(Files());
  Open();
  EXPECT_TRUE(Contents() == model);
}

TEST_F(DBRecoveryTest, StrayFilesAreRemovedAtOpen) {
  Open();
  DB_ASSERT_OK(Put("a", "1"));
  DB_ASSERT_OK(db_->Flush());
  Close();
  std::set<std::string> before;
  for (const std::string& f : Files()) before.insert(f);
  // Leftovers of a crash: a CURRENT being replaced (with a low and a high
  // number) and a table no MANIFEST names; plus a file kvs does not own.
  for (const char* name :
       {"000001.dbtmp", "000999.dbtmp", "000777.sst", "notes.txt"}) {
    auto f = fs_->NewWritableFile(Path(name));
    ASSERT_TRUE(f.ok()) << f.status();
    DB_ASSERT_OK((*f)->Append("junk"));
    DB_ASSERT_OK((*f)->Close());
  }
  Open();
  EXPECT_EQ(Get("a"), "1");
  std::vector<std::string> files = Files();
  auto has = [&](const char* name) {
    return std::find(files.begin(), files.end(), name) != files.end();
  };
  EXPECT_FALSE(has("000001.dbtmp")) << ::testing::PrintToString(files);
  EXPECT_FALSE(has("000999.dbtmp")) << ::testing::PrintToString(files);
  EXPECT_FALSE(has("000777.sst")) << ::testing::PrintToString(files);
  EXPECT_TRUE(has("notes.txt"));
  Reopen();
  EXPECT_EQ(Get("a"), "1");
}

// The table numbers of the current Version, from "kvs.sstables" (lines like
// " 12:3401['a' @ 1 : value .. 'z' @ 9 : value]").
std::set<std::string> LiveTables(DB* db) {
  std::string text;
  EXPECT_TRUE(db->GetProperty("kvs.sstables", &text));
  std::set<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    if (line.empty() || line[0] != ' ') continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    uint64_t number = std::stoull(std::string(line.substr(1, colon - 1)));
    char name[32];
    std::snprintf(name, sizeof(name), "%06llu.sst",
                  static_cast<unsigned long long>(number));
    out.insert(name);
  }
  return out;
}

TEST_F(DBRecoveryTest, IteratorKeepsItsFilesWhileItLives) {
  Open();
  Model model;
  Fill(this, &model, 0, 1500, 0, false);
  DB_ASSERT_OK(db_->Flush());
  // Background compactions may change the Version at any time; a table in the
  // Version both before and after NewIterator is in the one it pinned.
  std::set<std::string> before = LiveTables(db_.get());
  std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
  std::set<std::string> after = LiveTables(db_.get());
  std::vector<std::string> pinned;
  std::set_intersection(before.begin(), before.end(), after.begin(),
                        after.end(), std::back_inserter(pinned));
  ASSERT_FALSE(pinned.empty());
  // Overwrite and delete everything, flush, and compact if compaction exists:
  // the tables the iterator reads become obsolete for the current state.
  Model later;
  for (int i = 0; i < 1500; i++) {
    if (i % 3 == 0) {
      DB_ASSERT_OK(Delete(Key(i)));
    } else {
      DB_ASSERT_OK(Put(Key(i), "new"));
      later[Key(i)] = "new";
    }
  }
  DB_ASSERT_OK(db_->Flush());
  absl::Status compacted = db_->CompactRange(nullptr, nullptr);
  EXPECT_TRUE(compacted.ok() || absl::IsUnimplemented(compacted)) << compacted;
  for (const std::string& f : pinned) {
    EXPECT_TRUE(fs_->FileExists(Path(f))) << f << " deleted under an iterator";
  }
  EXPECT_TRUE(ScanForward(it.get()) == model);
  EXPECT_TRUE(ScanBackward(it.get()) == model);
  it.reset();
  EXPECT_TRUE(Contents() == later);
  // Once it is gone, the next housekeeping deletes what only it needed: with
  // no background work running, the tables on disk are exactly the live ones.
  Close();
  Open(NoCompactionOptions());
  EXPECT_TRUE(Contents() == later);
  std::set<std::string> on_disk;
  for (const std::string& f : Files()) {
    if (f.ends_with(".sst")) on_disk.insert(f);
  }
  EXPECT_EQ(on_disk, LiveTables(db_.get()));
}

TEST_F(DBRecoveryTest, MissingTableIsDataLoss) {
  Open();
  DB_ASSERT_OK(Put("a", "1"));
  DB_ASSERT_OK(db_->Flush());
  Close();
  for (const std::string& f : Files()) {
    if (f.ends_with(".sst")) DB_ASSERT_OK(fs_->RemoveFile(Path(f)));
  }
  absl::Status s = TryOpen();
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
}

TEST_F(DBRecoveryTest, MissingCurrentManifestIsDataLoss) {
  Open();
  DB_ASSERT_OK(Put("a", "1"));
  Close();
  for (const std::string& f : Files()) {
    if (f.starts_with("MANIFEST-")) DB_ASSERT_OK(fs_->RemoveFile(Path(f)));
  }
  absl::Status s = TryOpen();
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
}

TEST_F(DBRecoveryTest, DamagedTableGivesDataLossNotGarbage) {
  Options options = NoCompactionOptions();
  options.compression = CompressionType::kNone;
  Open(options);
  Model model;
  Fill(this, &model, 0, 500, 0, false);
  DB_ASSERT_OK(db_->Flush());
  Close();
  // The biggest table.
  std::string table;
  std::string contents;
  for (const std::string& f : Files()) {
    if (!f.ends_with(".sst")) continue;
    std::string c = ReadFile(Path(f));
    if (c.size() > contents.size()) {
      table = Path(f);
      contents = c;
    }
  }
  ASSERT_GT(contents.size(), 20000u);
  contents[contents.size() / 3] ^= 0x01;  // In a data block.
  {
    auto f = fs_->NewWritableFile(table);
    ASSERT_TRUE(f.ok());
    DB_ASSERT_OK((*f)->Append(contents));
    DB_ASSERT_OK((*f)->Close());
  }
  Open(options);  // A fresh block cache: nothing read before the damage.
  ReadOptions verify;
  verify.verify_checksums = true;
  int damaged = 0;
  for (const auto& [k, v] : model) {
    absl::StatusOr<std::string> got = db_->Get(verify, k);
    if (got.ok()) {
      EXPECT_EQ(*got, v) << k;
    } else {
      EXPECT_TRUE(absl::IsDataLoss(got.status())) << k << ": " << got.status();
      damaged++;
    }
  }
  EXPECT_GT(damaged, 0);
  EXPECT_LT(damaged, 100);  // One block's worth, not the whole table.
  // A scan yields only correct entries and ends with the damage reported.
  std::unique_ptr<Iterator> it = db_->NewIterator(verify);
  int n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), n++) {
    EXPECT_EQ(model[std::string(it->key())], it->value());
  }
  EXPECT_TRUE(absl::IsDataLoss(it->status())) << it->status();
  EXPECT_LT(n, static_cast<int>(model.size()));
}

TEST_F(DBRecoveryTest, ManyTablesWithASmallTableCache) {
  Options options = NoCompactionOptions();
  options.max_open_files = 20;  // Far fewer than the tables.
  Open(options);
  Model model;
  for (int round = 0; round < 40; round++) {
    // Each table covers the whole key range, so every read meets them all.
    for (int i = round % 7; i < 700; i += 7 + round % 5) {
      std::string v = Value(i, round, 20);
      DB_ASSERT_OK(Put(Key(i), v));
      model[Key(i)] = v;
    }
    DB_ASSERT_OK(db_->Flush());
  }
  EXPECT_EQ(NumLevel0Files(), 40);
  // An iterator holds every table at once; Gets meanwhile churn the cache.
  std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
  for (int i = 0; i < 700; i++) {
    auto found = model.find(Key(i));
    EXPECT_EQ(Get(Key(i)), found == model.end() ? "NOT_FOUND" : found->second);
  }
  EXPECT_TRUE(ScanForward(it.get()) == model);
  EXPECT_TRUE(ScanBackward(it.get()) == model);
  it.reset();
  Close();
  Open(options);
  EXPECT_TRUE(Contents() == model);
}

TEST_F(DBRecoveryTest, TornWalTailIsNotDamage) {
  // A crash in the middle of appending the last record leaves it cut short:
  // that write was never acknowledged, and recovery (even paranoid) drops it
  // quietly.
  Open();
  Model model;
  Fill(this, &model, 0, 100, 0, false);
  DB_ASSERT_OK(Put("last", std::string(500, 'x')));
  Close();
  std::string wal;
  for (const std::string& f : Files()) {
    if (f.ends_with(".log")) wal = Path(f);
  }
  ASSERT_FALSE(wal.empty());
  std::string contents = ReadFile(wal);
  ASSERT_GT(contents.size(), 300u);
  contents.resize(contents.size() - 200);
  {
    auto f = fs_->NewWritableFile(wal);
    ASSERT_TRUE(f.ok());
    DB_ASSERT_OK((*f)->Append(contents));
    DB_ASSERT_OK((*f)->Close());
  }
  Options paranoid = DefaultOptions();
  paranoid.paranoid_checks = true;
  Open(paranoid);
  EXPECT_TRUE(Contents() == model);
  // The next run starts a new WAL: nothing is appended after the stub.
  DB_ASSERT_OK(Put("after", "1"));
  model["after"] = "1";
  Close();
  Open(paranoid);
  EXPECT_TRUE(Contents() == model);
}

TEST_F(DBRecoveryTest, ReopenWithDifferentTableOptions) {
  Model model;
  for (int round = 0; round < 6; round++) {
    SCOPED_TRACE(round);
    Options options = DefaultOptions();
    options.compression =
        round % 2 ? CompressionType::kNone : CompressionType::kSnappy;
    options.block_size = round % 3 == 0 ? 256 : 4096 << (round % 3);
    options.block_restart_interval = 1 + round * 5;
    options.bloom_bits_per_key = round == 4 ? 0 : 10;
    options.write_buffer_size = (64 << 10) << (round % 3);
    Open(options);
    EXPECT_TRUE(Contents() == model);
    Fill(this, &model, round * 300, 800, round, round % 2 == 0);
    DB_ASSERT_OK(Delete(Key(round * 300 + 5)));
    model.erase(Key(round * 300 + 5));
    EXPECT_TRUE(Contents() == model);
  }
  Reopen();
  EXPECT_TRUE(Contents() == model);
  for (const auto& [k, v] : model) ASSERT_EQ(Get(k), v);
}

// Flips one byte in the middle of the only WAL.
void CorruptWal(DBTest* t, FileSystem* fs) {
  std::string wal;
  for (const std::string& f : t->Files()) {
    if (f.ends_with(".log")) wal = Path(f);
  }
  ASSERT_FALSE(wal.empty());
  std::string contents = t->ReadFile(wal);
  ASSERT_GT(contents.size(), 1000u);
  contents[contents.size() / 2] ^= 0x40;
  auto f = fs->NewWritableFile(wal);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append(contents).ok());
  ASSERT_TRUE((*f)->Close().ok());
}

using DBRecoveryCorruptionTest = DBTest;

TEST_F(DBRecoveryCorruptionTest, DamagedWalIsSkippedUnlessParanoid) {
  Open();
  Model model;
  Fill(this, &model, 0, 200, 0, false);
  Close();
  CorruptWal(this, fs_.get());

  Options paranoid = DefaultOptions();
  paranoid.paranoid_checks = true;
  absl::Status s = TryOpen(paranoid);
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;

  // Without paranoid checks the damaged part is dropped and the rest kept.
  Open();
  Model got = Contents();
  EXPECT_LT(got.size(), model.size());
  EXPECT_GT(got.size(), 0u);
  for (const auto& [k, v] : got) EXPECT_EQ(model[k], v) << k;
  std::string log = ReadFile(Path("LOG"));
  EXPECT_TRUE(absl::StrContains(log, "dropping")) << log;
  // What survived stays after the next reopen (the damaged WAL is gone).
  Reopen();
  EXPECT_TRUE(Contents() == got);
}

}  // namespace
}  // namespace kvs::db_testing
