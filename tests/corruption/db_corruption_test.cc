// Damage trials: a database with several tables, a WAL with unflushed writes,
// a MANIFEST and CURRENT; one byte flipped (or the file truncated) per trial,
// in every kind of file and every part of a table. Opened with paranoid_checks
// and read with verify_checksums, every trial must end in correct data or
// DataLoss: never a crash, never a wrong value, never a key silently missing.
//
// One kind of damage cannot be told apart from a crash by the log format
// (docs/format.md, "Write-ahead log"): a length field in the final block of a
// log (WAL or MANIFEST) that now runs past the end of the file reads as a torn
// tail, which is dropped without a report; so does a truncated log. For those
// trials the database must hold, for every key, some version that was written
// (the state before the lost records), never garbage.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "lsm/db.h"
#include "sstable/block.h"
#include "sstable/format.h"
#include "tests/corruption/corruption_test_util.h"
#include "util/random.h"
#include "wal/format.h"
#include "wal/reader.h"

namespace kvs::corruption_testing {
namespace {

// What a trial's damage must lead to.
enum class Expect {
  // Detected: the open fails with DataLoss, or some read reports DataLoss;
  // every other read is exact.
  kDetected,
  // Possibly undetectable by the format (a log's tail): every read returns a
  // version that was once written, NotFound or DataLoss.
  kSomeWrittenVersion,
};

struct Tally {
  int trials = 0;
  int open_data_loss = 0;
  int read_data_loss = 0;  // Opened, and some read reported DataLoss.
  int all_exact = 0;       // Opened and every read exact (only for log tails).
  int older_versions = 0;  // Log-tail trials that lost their newest records.
  int format_limited = 0;  // Trials with Expect::kSomeWrittenVersion.
};
Tally g_tally;

class DamageTrials : public CorruptionTest {
 protected:
  void SetUp() override {
    BuildDatabase();
    // Every version each key ever had, as BuildDatabase wrote them.
    for (int table = 0; table < 4; table++) {
      for (int k = table * 100; k < table * 100 + 300; k++) {
        history_[Key(k)].insert(Value(k, table));
      }
    }
    for (int k = 50; k < 250; k++) history_[Key(k)].insert(Value(k, 9));
    for (const std::string& name : Files()) {
      pristine_[name] = ReadFile(Path(name));
    }
  }

  static void TearDownTestSuite() {
    std::printf(
        "damage trials: %d (%d on log tails the format cannot tell from a "
        "crash); open refused with DataLoss: %d; opened and a read reported "
        "DataLoss: %d; opened with exact data: %d; log tails that fell back "
        "to older versions: %d; crashes: 0; wrong values: 0\n",
        g_tally.trials, g_tally.format_limited, g_tally.open_data_loss,
        g_tally.read_data_loss, g_tally.all_exact, g_tally.older_versions);
  }

  // Puts the directory back exactly as BuildDatabase left it.
  void Restore() {
    db_.reset();
    for (const std::string& name : Files()) {
      ASSERT_TRUE(fs_->RemoveFile(Path(name)).ok()) << name;
    }
    for (const auto& [name, contents] : pristine_) {
      WriteFile(Path(name), contents);
    }
  }

  std::string OnlyFile(FileType type) {
    std::vector<std::string> files = FilesOfType(type);
    EXPECT_EQ(files.size(), 1u);
    return files.empty() ? "" : files[0];
  }

  // Runs one trial: damage is applied to the pristine files, then the DB is
  // opened (paranoid) and read.
  void Trial(const std::string& what, const std::function<void()>& damage,
             Expect expect) {
    Restore();
    damage();
    g_tally.trials++;
    if (expect == Expect::kSomeWrittenVersion) g_tally.format_limited++;
    absl::Status s = TryOpen(ParanoidOptions());
    if (!s.ok()) {
      ASSERT_TRUE(absl::IsDataLoss(s)) << what << ": " << s;
      g_tally.open_data_loss++;
      return;
    }
    if (expect == Expect::kDetected) {
      ReadOutcome r = CheckReads(model_);
      ASSERT_EQ(r.wrong, 0) << what << ": " << r.first_problem;
      ASSERT_EQ(r.other_errors, 0) << what << ": " << r.first_problem;
      ASSERT_GT(r.data_loss, 0) << what << ": damage went unnoticed";
      g_tally.read_data_loss++;
    } else {
      CheckSomeWrittenVersion(what);
    }
  }

  // Reads every key and scans: each answer is a version once written,
  // NotFound or DataLoss.
  void CheckSomeWrittenVersion(const std::string& what) {
    ReadOptions options;
    options.verify_checksums = true;
    bool exact = true;
    bool data_loss = false;
    for (const auto& [key, versions] : history_) {
      absl::StatusOr<std::string> got = db_->Get(options, key);
      if (got.ok()) {
        ASSERT_TRUE(versions.contains(*got)) << what << ": " << key;
        exact = exact && *got == model_[key];
      } else if (absl::IsDataLoss(got.status())) {
        data_loss = true;
      } else {
        ASSERT_TRUE(absl::IsNotFound(got.status()))
            << what << ": " << got.status();
        exact = false;
      }
    }
    std::unique_ptr<Iterator> it = db_->NewIterator(options);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto h = history_.find(std::string(it->key()));
      ASSERT_TRUE(h != history_.end() &&
                  h->second.contains(std::string(it->value())))
          << what << ": scan returned " << it->key();
    }
    ASSERT_TRUE(it->status().ok() || absl::IsDataLoss(it->status()))
        << what << ": " << it->status();
    if (data_loss || !it->status().ok()) {
      g_tally.read_data_loss++;
    } else if (exact) {
      g_tally.all_exact++;
    } else {
      g_tally.older_versions++;
    }
  }

  // Offsets of the length fields of the fragments in a log's final block.
  static std::set<size_t> FinalBlockLengthBytes(const std::string& log) {
    std::set<size_t> out;
    if (log.empty()) return out;
    const size_t final_block = (log.size() - 1) / wal::kBlockSize;
    size_t pos = 0;
    while (pos + wal::kHeaderSize <= log.size()) {
      size_t left = wal::kBlockSize - pos % wal::kBlockSize;
      if (left < wal::kHeaderSize) {
        pos += left;
        continue;
      }
      size_t length = static_cast<uint8_t>(log[pos + 4]) |
                      static_cast<size_t>(static_cast<uint8_t>(log[pos + 5]))
                          << 8;
      if (pos / wal::kBlockSize == final_block) {
        out.insert(pos + 4);
        out.insert(pos + 5);
      }
      pos += wal::kHeaderSize + length;
    }
    return out;
  }

  // Byte flips at first, last and `random` random offsets of [begin, end).
  void FlipTrials(const std::string& what, const std::string& path,
                  size_t begin, size_t end, int random,
                  const std::set<size_t>& tail_lengths = {}) {
    ASSERT_LT(begin, end) << what;
    std::vector<size_t> offsets = {begin, end - 1};
    for (int i = 0; i < random; i++) {
      offsets.push_back(begin + rnd_.Uniform(end - begin));
    }
    for (size_t offset : offsets) {
      uint8_t mask = static_cast<uint8_t>(1 + rnd_.Uniform(255));
      Expect expect = tail_lengths.contains(offset)
                          ? Expect::kSomeWrittenVersion
                          : Expect::kDetected;
      Trial(
          what + " byte " + std::to_string(offset) + " ^ " +
              std::to_string(mask),
          [&] { FlipByte(path, offset, mask); }, expect);
      if (HasFatalFailure()) return;
    }
  }

  std::map<std::string, std::set<std::string>> history_;
  std::map<std::string, std::string> pristine_;
  Random rnd_{20240611};
};

// The parts of a table file, as [begin, end) byte ranges.
struct TableParts {
  std::map<std::string, std::pair<size_t, size_t>> parts;
};

TableParts SplitTable(const std::string& file) {
  TableParts t;
  Footer footer;
  const size_t footer_at = file.size() - Footer::kEncodedLength;
  EXPECT_TRUE(footer.DecodeFrom(std::string_view(file).substr(footer_at)).ok());
  auto range = [](const BlockHandle& h) {
    return std::make_pair(static_cast<size_t>(h.offset),
                          static_cast<size_t>(h.end_with_trailer()));
  };
  t.parts["data blocks"] = {0, static_cast<size_t>(footer.meta_offset)};
  t.parts["index block"] = range(footer.index);
  t.parts["metaindex block"] = range(footer.metaindex);
  t.parts["footer"] = {footer_at, file.size()};
  std::string_view stored = std::string_view(file).substr(
      footer.metaindex.offset, footer.metaindex.size);
  std::string_view trailer = std::string_view(file).substr(
      footer.metaindex.offset + footer.metaindex.size, kBlockTrailerSize);
  absl::StatusOr<BlockContents> contents = DecodeBlock(stored, trailer, true);
  EXPECT_TRUE(contents.ok());
  Block metaindex(std::move(*contents));
  std::unique_ptr<Iterator> it(metaindex.NewIterator(BytewiseComparator()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    BlockHandle h;
    std::string_view value = it->value();
    EXPECT_TRUE(h.DecodeFrom(&value).ok());
    std::string name(it->key());
    t.parts[name.starts_with("filter.") ? "filter block" : name + " block"] =
        range(h);
  }
  return t;
}

TEST_F(DamageTrials, FlippedBytesInTables) {
  std::vector<std::string> tables = FilesOfType(FileType::kTableFile);
  ASSERT_EQ(tables.size(), 4u);
  // The oldest table (its keys mostly shadowed by newer ones) and the newest.
  for (const std::string& path : {tables.front(), tables.back()}) {
    TableParts t = SplitTable(pristine_[path.substr(4)]);
    ASSERT_EQ(t.parts.size(),
              6u);  // data, filter, index, properties, meta, footer
    for (const auto& [part, range] : t.parts) {
      int random = (part == "data blocks" ? 24 : 8) / kScale;
      FlipTrials(path + " " + part, path, range.first, range.second, random);
      if (HasFatalFailure()) return;
    }
  }
}

TEST_F(DamageTrials, FlippedBytesInTheWal) {
  std::string wal = OnlyFile(FileType::kLogFile);
  const std::string& contents = pristine_[wal.substr(4)];
  ASSERT_GT(contents.size(), 10000u);
  std::set<size_t> tail_lengths = FinalBlockLengthBytes(contents);
  FlipTrials("WAL", wal, 0, contents.size(), 64 / kScale, tail_lengths);
  if (HasFatalFailure()) return;
  // Every length field, too: the format limit, measured.
  int n = 0;
  for (size_t offset : tail_lengths) {
    if (n++ % (4 * kScale) != 0) continue;
    Trial(
        "WAL length byte " + std::to_string(offset),
        [&] { FlipByte(wal, offset, 0x80); }, Expect::kSomeWrittenVersion);
    if (HasFatalFailure()) return;
  }
}

TEST_F(DamageTrials, FlippedBytesInTheManifestAndCurrent) {
  std::string manifest = OnlyFile(FileType::kDescriptorFile);
  const std::string& contents = pristine_[manifest.substr(4)];
  FlipTrials("MANIFEST", manifest, 0, contents.size(), 48 / kScale,
             FinalBlockLengthBytes(contents));
  if (HasFatalFailure()) return;
  std::string current = Path("CURRENT");
  FlipTrials("CURRENT", current, 0, pristine_["CURRENT"].size(), 16 / kScale);
}

TEST_F(DamageTrials, TruncatedFiles) {
  std::vector<std::string> tables = FilesOfType(FileType::kTableFile);
  for (const std::string& path :
       {tables.front(), tables.back(), OnlyFile(FileType::kLogFile),
        OnlyFile(FileType::kDescriptorFile), Path("CURRENT")}) {
    const size_t size = pristine_[path.substr(4)].size();
    bool is_log = path.ends_with(".log") || absl::StrContains(path, "MANIFEST");
    std::vector<size_t> sizes = {0, size - 1, size / 2};
    for (int i = 0; i < 8 / kScale; i++) sizes.push_back(rnd_.Uniform(size));
    for (size_t new_size : sizes) {
      // A truncated log is what a crash leaves: its tail is gone, silently.
      Trial(
          path + " truncated to " + std::to_string(new_size),
          [&] { Truncate(path, new_size); },
          is_log ? Expect::kSomeWrittenVersion : Expect::kDetected);
      if (HasFatalFailure()) return;
    }
  }
}

TEST_F(DamageTrials, ScansNeverReturnAnOlderVersionAtDamage) {
  // The oldest table holds the oldest version of keys 0..299; newer tables
  // and the WAL hold newer versions of most of them. A damaged data block in
  // the oldest table must stop a scan (DataLoss) in either direction; going
  // backward the scan sees a key's oldest version first, and used to return
  // it when the damage stopped it before the newer ones.
  const std::string path = FilesOfType(FileType::kTableFile).front();
  const std::string& file = pristine_[path.substr(4)];
  Footer footer;
  ASSERT_TRUE(footer
                  .DecodeFrom(std::string_view(file).substr(
                      file.size() - Footer::kEncodedLength))
                  .ok());
  // Data blocks are about 1 KiB (block_size): damage one byte in each.
  int damaged_blocks = 0;
  for (size_t at = 512; at < footer.meta_offset; at += 1024) {
    Restore();
    FlipByte(path, at, 0x10);
    Open(ParanoidOptions());
    ReadOutcome r = CheckReads(model_);
    EXPECT_EQ(r.wrong, 0) << "byte " << at << ": " << r.first_problem;
    EXPECT_EQ(r.other_errors, 0) << "byte " << at << ": " << r.first_problem;
    EXPECT_GE(r.data_loss, 2) << "byte " << at << ": both scans must fail";
    damaged_blocks++;
  }
  EXPECT_GE(damaged_blocks, 5);
}

TEST_F(DamageTrials, BoundedScansStayWithinTheirBoundsAtDamage) {
  // The newest flush (keys 300..599) gets a damaged data block. Scans bounded
  // around it, in both directions, return only keys within their bounds, each
  // exact, and end with DataLoss or at the bound. (Going backward from an
  // upper bound inside the damaged block, the DB iterator falls back to the
  // very last key: only the table iterators' sticky errors keep that from
  // returning keys past the bound.)
  const std::string path = FilesOfType(FileType::kTableFile).back();
  const std::string& file = pristine_[path.substr(4)];
  Restore();
  FlipByte(path, file.size() / 2, 0x08);
  Open(ParanoidOptions());
  ReadOptions options;
  options.verify_checksums = true;
  int data_loss = 0;
  for (int bound = 250; bound <= 600; bound += 10) {
    const std::string lower_key = Key(bound - 150);
    const std::string upper_key = Key(bound);
    std::string_view lower = lower_key;
    std::string_view upper = upper_key;
    options.iterate_lower_bound = &lower;
    options.iterate_upper_bound = &upper;
    std::unique_ptr<Iterator> it = db_->NewIterator(options);
    for (bool forward : {true, false}) {
      if (forward) {
        it->SeekToFirst();
      } else {
        it->SeekToLast();
      }
      for (; it->Valid(); forward ? it->Next() : it->Prev()) {
        std::string key(it->key());
        ASSERT_GE(key, lower_key) << "bound " << bound;
        ASSERT_LT(key, upper_key) << "bound " << bound;
        ASSERT_EQ(it->value(), model_[key]) << key;
      }
      ASSERT_TRUE(it->status().ok() || absl::IsDataLoss(it->status()))
          << it->status();
      if (!it->status().ok()) data_loss++;
    }
  }
  EXPECT_GT(data_loss, 0);
}

// Without paranoid_checks, WAL damage costs only the records it touches (the
// rest of their 32 KiB block, as the reader cannot trust a damaged length),
// the LOG says what was dropped, and everything else opens normally.
TEST(WalDamageTest, WithoutParanoidChecksOnlyDamagedRecordsAreDropped) {
  struct Fixture : public CorruptionTest {
    void TestBody() override {}
  } t;
  t.Open();
  t.Fill(5000, 300, 0);  // In a table.
  CT_ASSERT_OK(t.db_->Flush());
  t.Fill(0, 300, 1);  // One WAL record per key: ~40 KiB, two blocks.
  t.Close();
  const std::string wal = t.FilesOfType(FileType::kLogFile).back();
  const std::string pristine = t.ReadFile(wal);
  ASSERT_GT(pristine.size(), wal::kBlockSize);

  // Where each record and each fragment lies.
  struct Record {
    size_t begin, end;
    std::string key;
  };
  std::vector<Record> records;
  {
    auto file = t.fs_->NewSequentialFile(wal);
    ASSERT_TRUE(file.ok());
    wal::Reader reader(file->get(), nullptr, true);
    std::string_view record;
    std::string scratch;
    while (reader.ReadRecord(&record, &scratch)) {
      // The WAL's opening record: an empty batch (its 12-byte header alone).
      if (record.size() == 12) continue;
      // A one-Put batch: header (12), type, key length (1), "keyNNNNNN".
      records.push_back({static_cast<size_t>(reader.LastRecordOffset()),
                         static_cast<size_t>(reader.EndOfLastRecord()),
                         std::string(record.substr(14, 9))});
    }
    ASSERT_EQ(records.size(), 300u);
    ASSERT_EQ(records[7].key, Key(7));
  }
  std::vector<std::pair<size_t, size_t>> fragments;  // [header, end)
  for (size_t pos = 0; pos + wal::kHeaderSize <= pristine.size();) {
    size_t left = wal::kBlockSize - pos % wal::kBlockSize;
    if (left < wal::kHeaderSize) {
      pos += left;
      continue;
    }
    size_t length = static_cast<uint8_t>(pristine[pos + 4]) |
                    static_cast<size_t>(static_cast<uint8_t>(pristine[pos + 5]))
                        << 8;
    fragments.emplace_back(pos, pos + wal::kHeaderSize + length);
    pos += wal::kHeaderSize + length;
  }
  const size_t final_block = (pristine.size() - 1) / wal::kBlockSize;

  Random rnd(77);
  int trials = 0;
  int dropped_total = 0;
  for (int i = 0; i < 48 / kScale; i++) {
    const size_t offset = rnd.Uniform(pristine.size());
    auto frag = std::find_if(fragments.begin(), fragments.end(), [&](auto& f) {
      return f.first <= offset && offset < f.second;
    });
    if (frag == fragments.end()) continue;  // Block padding: never read.
    if (frag->first / wal::kBlockSize == final_block &&
        (offset == frag->first + 4 || offset == frag->first + 5)) {
      continue;  // A length that may read as a torn tail: the format's limit.
    }
    // What may be lost: records touching [damaged fragment, end of block).
    const size_t lose_begin = frag->first;
    const size_t lose_end = (offset / wal::kBlockSize + 1) * wal::kBlockSize;

    std::string damaged = pristine;
    damaged[offset] =
        static_cast<char>(damaged[offset] ^ (1 + rnd.Uniform(255)));
    t.Close();
    t.WriteFile(wal, damaged);
    Options options = t.DefaultOptions();
    CT_ASSERT_OK(t.TryOpen(options));
    trials++;
    int dropped = 0;
    for (const Record& r : records) {
      absl::StatusOr<std::string> got = t.db_->Get(ReadOptions(), r.key);
      bool may_lose = r.begin < lose_end && r.end > lose_begin;
      bool is_damaged = r.begin <= offset && offset < r.end;
      if (got.ok()) {
        ASSERT_EQ(*got, t.model_[r.key]) << "offset " << offset;
        ASSERT_FALSE(is_damaged) << "offset " << offset << ": damaged record "
                                 << r.key << " was replayed";
      } else {
        ASSERT_TRUE(absl::IsNotFound(got.status())) << got.status();
        ASSERT_TRUE(may_lose) << "offset " << offset << ": " << r.key
                              << " was dropped but lies outside the damage";
        dropped++;
      }
    }
    ASSERT_GT(dropped, 0);
    dropped_total += dropped;
    for (int k = 5000; k < 5300; k++) {
      absl::StatusOr<std::string> got = t.db_->Get(ReadOptions(), Key(k));
      ASSERT_TRUE(got.ok() && *got == t.model_[Key(k)]) << k;
    }
    std::string log = t.ReadFile(CorruptionTest::Path("LOG"));
    ASSERT_TRUE(absl::StrContains(log, "dropping")) << log;
    // Undo the replay, so the next trial starts from the same state: the WAL
    // went into a table; delete the DB's data and rebuild it the same way.
    t.Close();
    for (const std::string& name : t.Files()) {
      CT_ASSERT_OK(t.fs_->RemoveFile(CorruptionTest::Path(name)));
    }
    t.model_.clear();
    t.Open();
    t.Fill(5000, 300, 0);
    CT_ASSERT_OK(t.db_->Flush());
    t.Fill(0, 300, 1);
    t.Close();
    ASSERT_EQ(t.FilesOfType(FileType::kLogFile).back(), wal);
    ASSERT_TRUE(t.ReadFile(wal) == pristine);
  }
  EXPECT_GE(trials, 10 / kScale);
  std::printf(
      "WAL damage without paranoid checks: %d trials, %d records "
      "dropped in all, none outside the damaged block\n",
      trials, dropped_total);
}

}  // namespace
}  // namespace kvs::corruption_testing
