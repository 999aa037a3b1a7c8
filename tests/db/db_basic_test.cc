// The public API on a single thread: put/get/delete semantics and edge cases,
// batches, options validation, opening rules, properties and size estimates.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "lsm/comparator.h"
#include "lsm/db.h"
#include "lsm/file_system.h"
#include "lsm/write_batch.h"
#include "tests/db/db_test_util.h"

namespace kvs::db_testing {
namespace {

bool Contains(const absl::Status& s, std::string_view text) {
  return absl::StrContains(std::string(s.message()),
                           absl::string_view(text.data(), text.size()));
}

// --- 1. Basic semantics --------------------------------------------------

TEST_F(DBTest, PutGetOverwriteDelete) {
  Open();
  EXPECT_EQ(Get("a"), "NOT_FOUND");
  DB_ASSERT_OK(Put("a", "1"));
  EXPECT_EQ(Get("a"), "1");
  DB_ASSERT_OK(Put("a", "2"));
  EXPECT_EQ(Get("a"), "2");
  DB_ASSERT_OK(Put("b", "3"));
  DB_ASSERT_OK(Delete("a"));
  EXPECT_EQ(Get("a"), "NOT_FOUND");
  EXPECT_EQ(Get("b"), "3");
  DB_ASSERT_OK(Put("a", "4"));
  EXPECT_EQ(Get("a"), "4");
  EXPECT_EQ(Contents(), (Model{{"a", "4"}, {"b", "3"}}));
}

TEST_F(DBTest, GetOfMissingKeyIsNotFound) {
  Open();
  DB_ASSERT_OK(Put("b", "x"));
  absl::StatusOr<std::string> v = db_->Get(ReadOptions(), "a");
  EXPECT_TRUE(absl::IsNotFound(v.status())) << v.status();
  v = db_->Get(ReadOptions(), "c");
  EXPECT_TRUE(absl::IsNotFound(v.status())) << v.status();
  // Also when the data is in a table.
  DB_ASSERT_OK(db_->Flush());
  v = db_->Get(ReadOptions(), "a");
  EXPECT_TRUE(absl::IsNotFound(v.status())) << v.status();
  v = db_->Get(ReadOptions(), "bb");
  EXPECT_TRUE(absl::IsNotFound(v.status())) << v.status();
}

TEST_F(DBTest, DeleteOfMissingKeyIsOk) {
  Open();
  DB_EXPECT_OK(Delete("nothing"));
  EXPECT_EQ(Get("nothing"), "NOT_FOUND");
  EXPECT_TRUE(Contents().empty());
  DB_ASSERT_OK(db_->Flush());
  DB_EXPECT_OK(Delete("nothing"));
  EXPECT_TRUE(Contents().empty());
}

TEST_F(DBTest, EmptyKeyAndEmptyValue) {
  Open();
  DB_ASSERT_OK(Put("", "empty key"));
  DB_ASSERT_OK(Put("k", ""));
  EXPECT_EQ(Get(""), "empty key");
  EXPECT_EQ(Get("k"), "");
  EXPECT_EQ(Contents(), (Model{{"", "empty key"}, {"k", ""}}));
  DB_ASSERT_OK(db_->Flush());
  EXPECT_EQ(Get(""), "empty key");
  EXPECT_EQ(Get("k"), "");
  Reopen();
  EXPECT_EQ(Get(""), "empty key");
  EXPECT_EQ(Get("k"), "");
  DB_ASSERT_OK(Delete(""));
  EXPECT_EQ(Get(""), "NOT_FOUND");
  EXPECT_EQ(Contents(), (Model{{"k", ""}}));
}

TEST_F(DBTest, LargeValues) {
  Open();
  Random rnd(301);
  std::string big1 = rnd.RandomBytes(1 << 20);
  std::string big2 = rnd.RandomBytes((1 << 20) + 17);
  DB_ASSERT_OK(Put("big1", big1));
  DB_ASSERT_OK(Put("small", "s"));
  DB_ASSERT_OK(Put("big2", big2));
  EXPECT_TRUE(Get("big1") == big1);
  EXPECT_TRUE(Get("big2") == big2);
  DB_ASSERT_OK(db_->Flush());
  EXPECT_TRUE(Get("big1") == big1);
  EXPECT_TRUE(Get("big2") == big2);
  Reopen();
  EXPECT_TRUE(Get("big1") == big1);
  EXPECT_TRUE(Get("big2") == big2);
  EXPECT_EQ(Get("small"), "s");
  Model contents = Contents();
  ASSERT_EQ(contents.size(), 3u);
  EXPECT_TRUE(contents["big2"] == big2);
}

TEST_F(DBTest, HugeKeys) {
  Open();
  Random rnd(9);
  // Keys far bigger than a block, sharing long prefixes (index separators and
  // prefix compression both work hard), next to tiny ones.
  std::string base = rnd.RandomBytes(100 << 10);
  Model model;
  for (int i = 0; i < 6; i++) {
    std::string k = base + std::string(1, static_cast<char>('a' + i));
    if (i == 5) k = rnd.RandomBytes(1 << 20);
    std::string v = "v" + std::to_string(i);
    DB_ASSERT_OK(Put(k, v));
    model[k] = v;
  }
  DB_ASSERT_OK(Put("tiny", "t"));
  model["tiny"] = "t";
  for (const auto& [k, v] : model) EXPECT_EQ(Get(k), v);
  DB_ASSERT_OK(db_->Flush());
  Reopen();
  for (const auto& [k, v] : model) EXPECT_EQ(Get(k), v);
  EXPECT_EQ(Get(base), "NOT_FOUND");
  EXPECT_TRUE(Contents() == model);
  std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
  it->Seek(base);
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), "v0");
  DB_ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  it.reset();
  EXPECT_TRUE(Contents() == model);
}

TEST_F(DBTest, BinaryKeysWithZeroBytes) {
  Open();
  const std::string k1("a\0b", 3);
  const std::string k2("a\0c", 3);
  const std::string k3("a", 1);
  const std::string k4("\0", 1);
  const std::string k5("\xff\xff\0", 3);
  const std::string v("\0value\0", 7);
  for (const std::string& k : {k1, k2, k3, k4, k5}) {
    DB_ASSERT_OK(Put(k, v + k));
  }
  for (const std::string& k : {k1, k2, k3, k4, k5}) EXPECT_EQ(Get(k), v + k);
  EXPECT_EQ(Get(std::string("a\0", 2)), "NOT_FOUND");
  DB_ASSERT_OK(db_->Flush());
  Reopen();
  for (const std::string& k : {k1, k2, k3, k4, k5}) EXPECT_EQ(Get(k), v + k);
  Model contents = Contents();
  std::vector<std::string> keys;
  for (const auto& [k, unused] : contents) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{k4, k3, k1, k2, k5}));
}

TEST_F(DBTest, BatchLastUpdateOfAKeyWins) {
  Open();
  WriteBatch batch;
  batch.Put("k", "1");
  batch.Delete("k");
  batch.Put("k", "2");
  batch.Put("gone", "x");
  batch.Delete("gone");
  batch.Delete("other");
  batch.Put("other", "3");
  DB_ASSERT_OK(db_->Write(WriteOptions(), &batch));
  EXPECT_EQ(Get("k"), "2");
  EXPECT_EQ(Get("gone"), "NOT_FOUND");
  EXPECT_EQ(Get("other"), "3");
  EXPECT_EQ(Contents(), (Model{{"k", "2"}, {"other", "3"}}));
  DB_ASSERT_OK(db_->Flush());
  EXPECT_EQ(Contents(), (Model{{"k", "2"}, {"other", "3"}}));
  Reopen();
  EXPECT_EQ(Contents(), (Model{{"k", "2"}, {"other", "3"}}));
}

TEST_F(DBTest, BatchEndingInDeleteRecovers) {
  Open();
  WriteBatch batch;
  batch.Put("k", "1");
  batch.Delete("k");
  DB_ASSERT_OK(db_->Write(WriteOptions(), &batch));
  EXPECT_EQ(Get("k"), "NOT_FOUND");
  Reopen();  // Replayed from the WAL.
  EXPECT_EQ(Get("k"), "NOT_FOUND");
  EXPECT_TRUE(Contents().empty());
}

TEST_F(DBTest, EmptyAndNullBatchesAreNoOps) {
  Open();
  DB_ASSERT_OK(Put("a", "1"));
  WriteBatch empty;
  DB_EXPECT_OK(db_->Write(WriteOptions(), &empty));
  DB_EXPECT_OK(db_->Write(WriteOptions(), nullptr));
  WriteOptions sync;
  sync.sync = true;
  DB_EXPECT_OK(db_->Write(sync, &empty));
  EXPECT_EQ(Contents(), (Model{{"a", "1"}}));
  Reopen();
  EXPECT_EQ(Contents(), (Model{{"a", "1"}}));
}

TEST_F(DBTest, ManyKeysAcrossFlushesMatchModel) {
  Open();
  Model model;
  Random rnd(17);
  for (int i = 0; i < 3000 / kScale; i++) {
    std::string k = Key(rnd.Uniform(500));
    if (rnd.OneIn(5)) {
      DB_ASSERT_OK(Delete(k));
      model.erase(k);
    } else {
      std::string v = Value(rnd.Uniform(500), i, rnd.Uniform(400));
      DB_ASSERT_OK(Put(k, v));
      model[k] = v;
    }
  }
  EXPECT_GT(NumTableFiles(), 0);
  for (int i = 0; i < 500; i++) {
    auto it = model.find(Key(i));
    EXPECT_EQ(Get(Key(i)), it == model.end() ? "NOT_FOUND" : it->second);
  }
  EXPECT_TRUE(Contents() == model);
}

TEST_F(DBTest, IteratorOnEmptyDatabase) {
  Open();
  std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
  EXPECT_FALSE(it->Valid());
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  it->SeekToLast();
  EXPECT_FALSE(it->Valid());
  it->Seek("a");
  EXPECT_FALSE(it->Valid());
  it->Seek("");
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok()) << it->status();
  // Deleted data is no data.
  it.reset();
  DB_ASSERT_OK(Put("a", "1"));
  DB_ASSERT_OK(db_->Flush());
  DB_ASSERT_OK(Delete("a"));
  it = db_->NewIterator(ReadOptions());
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  it->SeekToLast();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok()) << it->status();
}

// Collects the info log's lines in memory.
class CapturingLogger final : public Logger {
 public:
  void Log(std::string_view line) override {
    std::lock_guard<std::mutex> l(mu_);
    text_.append(line);
    text_.push_back('\n');
  }
  std::string text() {
    std::lock_guard<std::mutex> l(mu_);
    return text_;
  }

 private:
  std::mutex mu_;
  std::string text_;
};

TEST_F(DBTest, UserInfoLogReplacesTheLogFile) {
  auto logger = std::make_shared<CapturingLogger>();
  Options options = DefaultOptions();
  options.info_log = logger;
  Open(options);
  DB_ASSERT_OK(Put("a", "1"));
  DB_ASSERT_OK(db_->Flush());
  Close();
  Open(options);
  EXPECT_EQ(Get("a"), "1");
  Close();
  EXPECT_FALSE(fs_->FileExists(std::string(kDBName) + "/LOG"));
  std::string text = logger->text();
  EXPECT_TRUE(absl::StrContains(text, "flush")) << text;
  EXPECT_TRUE(absl::StrContains(text, "opened")) << text;
}

TEST_F(DBTest, FlushOfEmptyMemtableIsNoOp) {
  Open();
  DB_ASSERT_OK(db_->Flush());
  EXPECT_EQ(NumLevel0Files(), 0);
  DB_ASSERT_OK(Put("a", "1"));
  DB_ASSERT_OK(db_->Flush());
  EXPECT_EQ(NumLevel0Files(), 1);
  DB_ASSERT_OK(db_->Flush());
  EXPECT_EQ(NumLevel0Files(), 1);
  EXPECT_EQ(Get("a"), "1");
}

// --- 8. Options validation and opening rules ------------------------------

struct BadOption {
  const char* field;
  void (*apply)(Options*);
};

TEST_F(DBTest, NonsensicalOptionsAreRejectedNamingTheField) {
  const BadOption cases[] = {
      {"write_buffer_size", [](Options* o) { o->write_buffer_size = 1000; }},
      {"write_buffer_size",
       [](Options* o) { o->write_buffer_size = (1ull << 32) + 1; }},
      {"max_open_files", [](Options* o) { o->max_open_files = 5; }},
      {"block_size", [](Options* o) { o->block_size = 10; }},
      {"block_size", [](Options* o) { o->block_size = size_t{1} << 30; }},
      {"block_restart_interval",
       [](Options* o) { o->block_restart_interval = 0; }},
      {"compression",
       [](Options* o) { o->compression = static_cast<CompressionType>(7); }},
      {"compaction_priority",
       [](Options* o) {
         o->compaction_priority = static_cast<CompactionPriority>(9);
       }},
      {"bloom_bits_per_key", [](Options* o) { o->bloom_bits_per_key = -1; }},
      {"bloom_bits_per_key", [](Options* o) { o->bloom_bits_per_key = 1000; }},
      {"max_file_size", [](Options* o) { o->max_file_size = 100; }},
      {"num_levels", [](Options* o) { o->num_levels = 1; }},
      {"num_levels", [](Options* o) { o->num_levels = 100; }},
      {"level0_file_num_compaction_trigger",
       [](Options* o) { o->level0_file_num_compaction_trigger = 0; }},
      {"level0_slowdown_writes_trigger",
       [](Options* o) { o->level0_slowdown_writes_trigger = 2; }},
      {"level0_stop_writes_trigger",
       [](Options* o) { o->level0_stop_writes_trigger = 7; }},
      {"max_bytes_for_level_base",
       [](Options* o) { o->max_bytes_for_level_base = 1; }},
      {"max_bytes_for_level_multiplier",
       [](Options* o) { o->max_bytes_for_level_multiplier = 1; }},
      {"max_bytes_for_level_multiplier",
       [](Options* o) { o->max_bytes_for_level_multiplier = 0.0 / 0.0; }},
  };
  for (const BadOption& c : cases) {
    Options options = DefaultOptions();
    c.apply(&options);
    absl::Status s = TryOpen(options);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << c.field << ": " << s;
    EXPECT_TRUE(Contains(s, c.field)) << c.field << ": " << s;
  }
  // None of them created anything.
  EXPECT_FALSE(fs_->FileExists(std::string(kDBName) + "/CURRENT"));
  // And the defaults (with the small memtable) are fine.
  Open();
}

TEST_F(DBTest, MissingDatabaseWithoutCreateIfMissingFails) {
  Options options = DefaultOptions();
  options.create_if_missing = false;
  absl::Status s = TryOpen(options);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_TRUE(Contains(s, "create_if_missing")) << s;
  EXPECT_FALSE(fs_->FileExists(std::string(kDBName) + "/CURRENT"));
  // Once it exists, create_if_missing is not needed.
  Open();
  DB_ASSERT_OK(Put("a", "1"));
  Close();
  Open(options);
  EXPECT_EQ(Get("a"), "1");
}

TEST_F(DBTest, ErrorIfExists) {
  Options options = DefaultOptions();
  options.error_if_exists = true;
  Open(options);  // Does not exist yet: fine.
  DB_ASSERT_OK(Put("a", "1"));
  Close();
  absl::Status s = TryOpen(options);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_TRUE(Contains(s, "error_if_exists")) << s;
  // The failed open left the database alone.
  Open();
  EXPECT_EQ(Get("a"), "1");
}

TEST_F(DBTest, SecondOpenOfTheSameDatabaseIsUnavailable) {
  Open();
  DB_ASSERT_OK(Put("a", "1"));
  absl::StatusOr<std::unique_ptr<DB>> second =
      DB::Open(DefaultOptions(), kDBName);
  EXPECT_TRUE(absl::IsUnavailable(second.status())) << second.status();
  // The failed open did not disturb the first one.
  DB_ASSERT_OK(Put("b", "2"));
  EXPECT_EQ(Get("a"), "1");
  Close();
  Open();
  EXPECT_EQ(Contents(), (Model{{"a", "1"}, {"b", "2"}}));
}

// Orders keys backward: a different order than the database was made with.
class ReverseComparator final : public Comparator {
 public:
  int Compare(std::string_view a, std::string_view b) const override {
    return b.compare(a);
  }
  const char* Name() const override { return "test.Reverse"; }
  void FindShortestSeparator(std::string*, std::string_view) const override {}
  void FindShortSuccessor(std::string*) const override {}
};

TEST_F(DBTest, ComparatorMismatchOnReopenFails) {
  Open();
  DB_ASSERT_OK(Put("a", "1"));
  DB_ASSERT_OK(db_->Flush());
  Close();
  ReverseComparator reverse;
  Options options = DefaultOptions();
  options.comparator = &reverse;
  absl::Status s = TryOpen(options);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_TRUE(Contains(s, "test.Reverse")) << s;
  Open();
  EXPECT_EQ(Get("a"), "1");
}

TEST_F(DBTest, CustomComparatorOrdersIterationAndSurvivesReopen) {
  ReverseComparator reverse;
  Options options = DefaultOptions();
  options.comparator = &reverse;
  Open(options);
  for (int i = 0; i < 5; i++) DB_ASSERT_OK(Put(Key(i), "v"));
  DB_ASSERT_OK(db_->Flush());
  for (int i = 5; i < 10; i++) DB_ASSERT_OK(Put(Key(i), "v"));
  Close();
  Open(options);
  std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
  int expect = 9;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    EXPECT_EQ(it->key(), Key(expect));
    expect--;
  }
  EXPECT_EQ(expect, -1);
}

TEST_F(DBTest, DestroyDBRemovesTheFiles) {
  Open();
  for (int i = 0; i < 2000; i++) DB_ASSERT_OK(Put(Key(i), Value(i, 0)));
  DB_ASSERT_OK(db_->Flush());
  EXPECT_GT(CountFiles(".sst"), 0);
  // Not while it is open.
  absl::Status s = DestroyDB(kDBName, DefaultOptions());
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_EQ(Get(Key(7)), Value(7, 0));
  Close();
  DB_ASSERT_OK(DestroyDB(kDBName, DefaultOptions()));
  EXPECT_FALSE(fs_->FileExists(kDBName));
  // Destroying nothing is fine too.
  DB_EXPECT_OK(DestroyDB(kDBName, DefaultOptions()));
  // A new, empty database can be made in its place.
  Options options = DefaultOptions();
  options.error_if_exists = true;
  Open(options);
  EXPECT_TRUE(Contents().empty());
}

TEST_F(DBTest, DestroyDBLeavesForeignFiles) {
  Open();
  DB_ASSERT_OK(Put("a", "1"));
  Reopen();  // So there is a LOG.old as well.
  Close();
  EXPECT_TRUE(fs_->FileExists(std::string(kDBName) + "/LOG.old"));
  std::string foreign = std::string(kDBName) + "/notes.txt";
  {
    auto f = fs_->NewWritableFile(foreign);
    ASSERT_TRUE(f.ok()) << f.status();
    DB_ASSERT_OK((*f)->Append("mine"));
    DB_ASSERT_OK((*f)->Close());
  }
  DB_ASSERT_OK(DestroyDB(kDBName, DefaultOptions()));
  EXPECT_TRUE(fs_->FileExists(foreign));
  EXPECT_EQ(Files(), std::vector<std::string>{"notes.txt"});
}

// --- 9. Properties and size estimates -------------------------------------

TEST_F(DBTest, Properties) {
  Open();
  std::string value;
  EXPECT_FALSE(db_->GetProperty("kvs.no-such-property", &value));
  EXPECT_FALSE(db_->GetProperty("kvs.num-files-at-level", &value));
  EXPECT_FALSE(db_->GetProperty("kvs.num-files-at-levelx", &value));
  EXPECT_FALSE(db_->GetProperty("kvs.num-files-at-level99", &value));
  EXPECT_FALSE(db_->GetProperty("leveldb.stats", &value));
  EXPECT_EQ(Property("kvs.num-files-at-level0"), "0");
  EXPECT_EQ(Property("kvs.num-files-at-level6"), "0");
  size_t memory_before = std::stoull(Property("kvs.approximate-memory-usage"));

  for (int i = 0; i < 100; i++) DB_ASSERT_OK(Put(Key(i), Value(i, 0, 200)));
  size_t memory_after = std::stoull(Property("kvs.approximate-memory-usage"));
  EXPECT_GE(memory_after, memory_before + 100 * 200);

  DB_ASSERT_OK(db_->Flush());
  DB_ASSERT_OK(Put("z", "1"));
  DB_ASSERT_OK(db_->Flush());
  EXPECT_EQ(Property("kvs.num-files-at-level0"), "2");

  std::string sstables = Property("kvs.sstables");
  EXPECT_TRUE(absl::StrContains(sstables, "level 0")) << sstables;
  // One line per table, naming its key range.
  EXPECT_TRUE(absl::StrContains(sstables, Key(0))) << sstables;
  EXPECT_TRUE(absl::StrContains(sstables, "'z'")) << sstables;

  std::string stats = Property("kvs.stats");
  EXPECT_TRUE(absl::StrContains(stats, "flushes: 2")) << stats;
  // The format is for people; pin only what any version must show.
  EXPECT_TRUE(absl::StrContains(stats, "writes: ")) << stats;
  EXPECT_TRUE(absl::StrContains(stats, "level")) << stats;
}

TEST_F(DBTest, ApproximateSizes) {
  Options options = DefaultOptions();
  options.compression = CompressionType::kNone;
  Open(options);
  std::vector<uint64_t> sizes =
      db_->GetApproximateSizes({Range{"", "zzz"}, Range{"a", "a"}});
  EXPECT_EQ(sizes, (std::vector<uint64_t>{0, 0}));

  // 1000 values of 1 KiB in [key000000, key001000).
  Random rnd(7);
  for (int i = 0; i < 1000; i++)
    DB_ASSERT_OK(Put(Key(i), rnd.RandomBytes(1000)));
  // Memtables do not count.
  DB_ASSERT_OK(db_->Flush());
  ASSERT_GT(NumTableFiles(), 0);

  for (int round = 0; round < 2; round++) {
    sizes = db_->GetApproximateSizes({
        Range{"", Key(1000)},         // everything
        Range{Key(0), Key(100)},      // 100 values
        Range{Key(0), Key(500)},      // 500 values
        Range{Key(250), Key(750)},    // 500 values in the middle
        Range{"key0001", "key0001"},  // empty
        Range{"a", "b"},              // before the data
        Range{"x", "y"},              // after the data
        Range{Key(500), Key(100)},    // backward: nothing
    });
    ASSERT_EQ(sizes.size(), 8u);
    EXPECT_GE(sizes[0], 1000u * 1000);
    EXPECT_LE(sizes[0], 1000u * 1000 * 12 / 10);
    EXPECT_GE(sizes[1], 100u * 1000 * 8 / 10);
    EXPECT_LE(sizes[1], 100u * 1000 * 12 / 10 + 8192);
    EXPECT_GE(sizes[2], 500u * 1000 * 9 / 10);
    EXPECT_LE(sizes[2], 500u * 1000 * 11 / 10 + 8192);
    EXPECT_GE(sizes[3], 500u * 1000 * 9 / 10);
    EXPECT_LE(sizes[3], 500u * 1000 * 11 / 10 + 8192);
    EXPECT_GT(sizes[2], sizes[1]);
    EXPECT_EQ(sizes[4], 0u);
    EXPECT_LE(sizes[5], 8192u);
    EXPECT_LE(sizes[6], 8192u);
    EXPECT_EQ(sizes[7], 0u);
    // Same after reopening (estimates come from the tables themselves).
    Reopen();
  }
}

}  // namespace
}  // namespace kvs::db_testing
