#ifndef KVS_TESTS_CORRUPTION_CORRUPTION_TEST_UTIL_H_
#define KVS_TESTS_CORRUPTION_CORRUPTION_TEST_UTIL_H_

// A fixture for damaging a database's files: a DB on the in-memory file system
// with a model of its contents, helpers to list its files by type and to flip,
// overwrite or truncate their bytes, and checks that every read either returns
// exactly the model's data or reports DataLoss.

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "compaction/filename.h"
#include "gtest/gtest.h"
#include "lsm/db.h"
#include "lsm/file_system.h"
#include "lsm/iterator.h"
#include "lsm/options.h"
#include "util/mem_file_system.h"

#define CT_ASSERT_OK(expr)                      \
  do {                                          \
    const absl::Status ct_status_ = (expr);     \
    ASSERT_TRUE(ct_status_.ok()) << ct_status_; \
  } while (0)

namespace kvs::corruption_testing {

#if defined(KVS_TSAN) || defined(KVS_ASAN)
inline constexpr int kScale = 4;
#else
inline constexpr int kScale = 1;
#endif

using Model = std::map<std::string, std::string>;

inline std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%06d", i);
  return buf;
}

// A value naming its key and version, about size bytes.
inline std::string Value(int key, int version, size_t size = 100) {
  std::string v = Key(key) + "@" + std::to_string(version) + ":";
  while (v.size() < size) v.push_back(static_cast<char>('a' + v.size() % 26));
  return v;
}

// How reads of a damaged database went.
struct ReadOutcome {
  int correct = 0;       // Reads that returned the model's answer.
  int data_loss = 0;     // Reads that reported DataLoss.
  int wrong = 0;         // Silent wrong answers: must stay 0.
  int other_errors = 0;  // Any other error: must stay 0.
  std::string first_problem;
};

class CorruptionTest : public ::testing::Test {
 public:
  static constexpr char kDBName[] = "/db";

  CorruptionTest() : fs_(NewMemFileSystem()) {}
  ~CorruptionTest() override {
    db_.reset();
    fs_.reset();
  }

  // Small memtables so a few hundred writes make a table; level 0 is never
  // compacted unless a test asks, so the tables stay as written.
  Options DefaultOptions() {
    Options options;
    options.create_if_missing = true;
    options.file_system = fs_.get();
    options.write_buffer_size = 64 << 10;
    options.block_size = 1024;
    options.level0_file_num_compaction_trigger = 100;
    options.level0_slowdown_writes_trigger = 100;
    options.level0_stop_writes_trigger = 100;
    return options;
  }
  Options ParanoidOptions() {
    Options options = DefaultOptions();
    options.paranoid_checks = true;
    return options;
  }

  absl::Status TryOpen(const Options& options) {
    db_.reset();
    absl::StatusOr<std::unique_ptr<DB>> db = DB::Open(options, kDBName);
    if (!db.ok()) return db.status();
    db_ = std::move(*db);
    return absl::OkStatus();
  }
  void Open(const Options& options) { CT_ASSERT_OK(TryOpen(options)); }
  void Open() { Open(DefaultOptions()); }
  void Close() { db_.reset(); }

  absl::Status Put(std::string_view key, std::string_view value) {
    return db_->Put(WriteOptions(), key, value);
  }

  // Writes keys [first, first + n) at version, recording them in model_.
  void Fill(int first, int n, int version, size_t value_size = 100) {
    for (int i = first; i < first + n; i++) {
      std::string v = Value(i, version, value_size);
      ASSERT_TRUE(Put(Key(i), v).ok());
      model_[Key(i)] = v;
    }
  }

  // A database with several level-0 tables, each holding a new version of an
  // overlapping range, plus unflushed writes in the live WAL.
  void BuildDatabase() {
    Open();
    for (int table = 0; table < 4; table++) {
      Fill(table * 100, 300, table);
      CT_ASSERT_OK(db_->Flush());
    }
    Fill(50, 200, 9);  // Stays in the WAL.
    Close();
  }

  static std::string Path(std::string_view name) {
    return std::string(kDBName) + "/" + std::string(name);
  }

  std::vector<std::string> Files() {
    absl::StatusOr<std::vector<std::string>> children =
        fs_->GetChildren(kDBName);
    EXPECT_TRUE(children.ok()) << children.status();
    return children.ok() ? *children : std::vector<std::string>();
  }
  // Paths of the files of one type, in number order.
  std::vector<std::string> FilesOfType(FileType wanted) {
    std::map<uint64_t, std::string> found;
    for (const std::string& name : Files()) {
      uint64_t number;
      FileType type;
      if (ParseFileName(name, &number, &type) && type == wanted) {
        found[number] = Path(name);
      }
    }
    std::vector<std::string> out;
    for (auto& [number, path] : found) out.push_back(path);
    return out;
  }

  std::string ReadFile(const std::string& path) {
    absl::StatusOr<std::unique_ptr<SequentialFile>> file =
        fs_->NewSequentialFile(path);
    EXPECT_TRUE(file.ok()) << path << ": " << file.status();
    if (!file.ok()) return "";
    std::string out;
    std::string scratch(1 << 16, '\0');
    while (true) {
      std::string_view piece;
      absl::Status s = (*file)->Read(scratch.size(), &piece, scratch.data());
      EXPECT_TRUE(s.ok()) << s;
      if (!s.ok() || piece.empty()) return out;
      out.append(piece);
    }
  }
  void WriteFile(const std::string& path, std::string_view contents) {
    absl::StatusOr<std::unique_ptr<WritableFile>> file =
        fs_->NewWritableFile(path);
    ASSERT_TRUE(file.ok()) << file.status();
    CT_ASSERT_OK((*file)->Append(contents));
    CT_ASSERT_OK((*file)->Close());
  }
  // XORs the byte at offset with mask (non-zero).
  void FlipByte(const std::string& path, size_t offset, uint8_t mask) {
    std::string contents = ReadFile(path);
    ASSERT_LT(offset, contents.size());
    contents[offset] = static_cast<char>(contents[offset] ^ mask);
    WriteFile(path, contents);
  }
  void Truncate(const std::string& path, size_t size) {
    std::string contents = ReadFile(path);
    ASSERT_LE(size, contents.size());
    contents.resize(size);
    WriteFile(path, contents);
  }

  // Every key of model (plus some absent ones) through Get, and the whole
  // database through forward and backward scans: each answer must be the
  // model's or DataLoss. A scan that ends in DataLoss may have skipped keys
  // but must not have returned a wrong one.
  ReadOutcome CheckReads(const Model& model) {
    ReadOutcome out;
    ReadOptions options;
    options.verify_checksums = true;
    auto note = [&](const std::string& problem) {
      if (out.first_problem.empty()) out.first_problem = problem;
    };
    auto classify = [&](const absl::Status& s, const std::string& what) {
      if (absl::IsDataLoss(s)) {
        out.data_loss++;
      } else {
        out.other_errors++;
        note(what + ": " + s.ToString());
      }
    };
    for (const auto& [key, value] : model) {
      absl::StatusOr<std::string> got = db_->Get(options, key);
      if (got.ok() && *got == value) {
        out.correct++;
      } else if (got.ok() || absl::IsNotFound(got.status())) {
        out.wrong++;
        note("Get(" + key + ") = " +
             (got.ok() ? got->substr(0, 30) : got.status().ToString()));
      } else {
        classify(got.status(), "Get(" + key + ")");
      }
    }
    for (const std::string& absent : {std::string("a"), Key(999999)}) {
      absl::StatusOr<std::string> got = db_->Get(options, absent);
      if (absl::IsNotFound(got.status())) {
        out.correct++;
      } else if (got.ok()) {
        out.wrong++;
        note("Get of absent " + absent + " found a value");
      } else {
        classify(got.status(), "Get(" + absent + ")");
      }
    }
    for (bool forward : {true, false}) {
      std::unique_ptr<Iterator> it = db_->NewIterator(options);
      int seen = 0;
      bool bad = false;
      if (forward) {
        it->SeekToFirst();
      } else {
        it->SeekToLast();
      }
      for (; it->Valid(); forward ? it->Next() : it->Prev()) {
        seen++;
        auto m = model.find(std::string(it->key()));
        if (m == model.end() || m->second != it->value()) {
          bad = true;
          note(std::string(forward ? "scan" : "reverse scan") + " returned " +
               std::string(it->key()) + " = " +
               std::string(it->value().substr(0, 20)) + ", expected " +
               (m == model.end() ? "nothing" : m->second.substr(0, 20)));
        }
      }
      if (bad) {
        out.wrong++;
      } else if (it->status().ok()) {
        if (seen == static_cast<int>(model.size())) {
          out.correct++;
        } else {
          out.wrong++;
          note("scan silently missed keys: " + std::to_string(seen) + " of " +
               std::to_string(model.size()));
        }
      } else {
        classify(it->status(), forward ? "scan" : "reverse scan");
      }
    }
    return out;
  }

  std::unique_ptr<FileSystem> fs_;
  std::unique_ptr<DB> db_;
  Model model_;
};

}  // namespace kvs::corruption_testing

#endif  // KVS_TESTS_CORRUPTION_CORRUPTION_TEST_UTIL_H_
