// Fuzz target: the database API. The input is a program of operations (put,
// delete, batch, get, scans, seeks, bounded iterators, snapshots, flush,
// compaction, reopen) run on the in-memory file system against a std::map
// model; every read must match the model exactly.
//
// Input: one byte of options, then operations, each an opcode byte followed by
// its arguments (see Run). Bytes past the end read as zero.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lsm/db.h"
#include "lsm/options.h"
#include "lsm/write_batch.h"
#include "tests/fuzz/fuzz_util.h"
#include "util/mem_file_system.h"

namespace kvs::fuzz {
namespace {

constexpr char kDB[] = "/db";
constexpr size_t kMaxSnapshots = 4;

using Model = std::map<std::string, std::string>;

// 250 short keys in byte order, plus a few long ones and the empty key.
std::string KeyFor(uint8_t b) {
  static const char kHex[] = "0123456789abcdef";
  if (b == 0) return "";
  if (b >= 250) return std::string(200 + b, 'x') + static_cast<char>(b);
  return std::string("k") + kHex[b >> 4] + kHex[b & 15];
}

// A value unique to the operation that wrote it: up to 127 bytes, or a
// multiple of 600 bytes up to ~77 KiB (bigger than a memtable).
std::string ValueFor(uint64_t op, uint8_t length_code) {
  size_t n = length_code < 128 ? length_code : (length_code - 127) * 600;
  std::string v = std::to_string(op) + ":";
  while (v.size() < n) v.push_back(static_cast<char>('a' + v.size() % 26));
  v.resize(n);
  return v;
}

void Check(const absl::Status& s, const char* what) {
  FUZZ_CHECK(s.ok(), std::string(what) + ": " + s.ToString());
}

std::string Printable(std::string_view s) {
  std::string out(s.substr(0, 40));
  return out + (s.size() > 40 ? "..." : "") + " (" + std::to_string(s.size()) +
         " bytes)";
}

class Harness {
 public:
  explicit Harness(uint8_t config) : fs_(NewMemFileSystem()) {
    options_.create_if_missing = true;
    options_.file_system = fs_.get();
    options_.write_buffer_size = 64 << 10;
    options_.block_size = (config & 1) ? 256 : 1024;
    options_.block_restart_interval = (config & 2) ? 1 : 4;
    options_.compression =
        (config & 4) ? CompressionType::kNone : CompressionType::kSnappy;
    options_.bloom_bits_per_key = (config & 8) ? 0 : 10;
    options_.compaction_priority =
        (config & 16) ? CompactionPriority::kRoundRobin
                      : CompactionPriority::kMinOverlappingRatio;
    options_.paranoid_checks = (config & 32) != 0;
    options_.level0_file_num_compaction_trigger = 2;
    options_.level0_slowdown_writes_trigger = 4;
    options_.level0_stop_writes_trigger = 8;
    options_.max_file_size = 64 << 10;
    options_.max_bytes_for_level_base = 128 << 10;
    options_.max_bytes_for_level_multiplier = 2;
    options_.num_levels = 4;
    Open();
  }

  ~Harness() {
    ReleaseSnapshots();
    db_.reset();
    fs_.reset();
  }

  void Run(InputReader* in) {
    for (uint64_t op = 0; !in->empty(); op++) {
      switch (in->Byte() % 14) {
        case 0: {  // put key value_length
          std::string key = KeyFor(in->Byte());
          std::string value = ValueFor(op, in->Byte());
          Check(db_->Put(WriteOptions(), key, value), "Put");
          model_[key] = value;
          break;
        }
        case 1: {  // delete key
          std::string key = KeyFor(in->Byte());
          Check(db_->Delete(WriteOptions(), key), "Delete");
          model_.erase(key);
          break;
        }
        case 2: {  // batch n, then n x (kind key [value_length])
          WriteBatch batch;
          Model after = model_;
          int n = 1 + in->Byte() % 8;
          for (int i = 0; i < n; i++) {
            bool put = (in->Byte() & 1) != 0;
            std::string key = KeyFor(in->Byte());
            if (put) {
              std::string value = ValueFor(op * 8 + i, in->Byte());
              batch.Put(key, value);
              after[key] = value;
            } else {
              batch.Delete(key);
              after.erase(key);
            }
          }
          WriteOptions wo;
          wo.sync = (op & 1) != 0;
          Check(db_->Write(wo, &batch), "Write");
          model_ = std::move(after);
          break;
        }
        case 3:  // get key
          CheckGet(KeyFor(in->Byte()), nullptr, model_);
          break;
        case 4:  // full scan
          CheckScan(nullptr, model_, nullptr, nullptr);
          break;
        case 5:  // seek key, then steps (bit i: next or prev)
          CheckSeek(KeyFor(in->Byte()), in->Byte());
          break;
        case 6:  // snapshot
          if (snapshots_.size() < kMaxSnapshots) {
            snapshots_.emplace_back(db_->GetSnapshot(), model_);
          }
          break;
        case 7: {  // read at snapshot i: get key, full scan
          uint8_t i = in->Byte();
          std::string key = KeyFor(in->Byte());
          if (snapshots_.empty()) break;
          const auto& [snap, model] = snapshots_[i % snapshots_.size()];
          CheckGet(key, snap, model);
          CheckScan(snap, model, nullptr, nullptr);
          break;
        }
        case 8: {  // release snapshot i
          uint8_t i = in->Byte();
          if (snapshots_.empty()) break;
          auto it = snapshots_.begin() + i % snapshots_.size();
          db_->ReleaseSnapshot(it->first);
          snapshots_.erase(it);
          break;
        }
        case 9:
          Check(db_->Flush(), "Flush");
          break;
        case 10:
          Reopen();
          break;
        case 11: {  // compact range: flags (bit 0: begin, bit 1: end) begin end
          uint8_t flags = in->Byte();
          std::string begin = KeyFor(in->Byte());
          std::string end = KeyFor(in->Byte());
          std::string_view b(begin);
          std::string_view e(end);
          Check(db_->CompactRange((flags & 1) ? &b : nullptr,
                                  (flags & 2) ? &e : nullptr),
                "CompactRange");
          break;
        }
        case 12: {  // bounded scan: flags lower upper
          uint8_t flags = in->Byte();
          std::string lower = KeyFor(in->Byte());
          std::string upper = KeyFor(in->Byte());
          CheckScan(nullptr, model_, (flags & 1) ? &lower : nullptr,
                    (flags & 2) ? &upper : nullptr);
          break;
        }
        case 13: {  // fill: n puts of ~1 KiB from key k, to make flushes
          int n = 16 + in->Byte() % 128;
          uint8_t first = in->Byte();
          for (int i = 0; i < n; i++) {
            std::string key = KeyFor(static_cast<uint8_t>(first + i));
            std::string value = ValueFor(op * 256 + i, 100 + (i % 2));
            Check(db_->Put(WriteOptions(), key, value), "Put");
            model_[key] = value;
          }
          break;
        }
      }
    }
    CheckScan(nullptr, model_, nullptr, nullptr);
    Reopen();
    CheckScan(nullptr, model_, nullptr, nullptr);
    std::string value;
    FUZZ_CHECK(db_->GetProperty("kvs.stats", &value), "kvs.stats");
    FUZZ_CHECK(db_->GetProperty("kvs.sstables", &value), "kvs.sstables");
    db_->GetApproximateSizes({Range{"", "zzz"}});
  }

 private:
  void Open() {
    absl::StatusOr<std::unique_ptr<DB>> db = DB::Open(options_, kDB);
    Check(db.status(), "Open");
    db_ = std::move(*db);
  }
  void ReleaseSnapshots() {
    for (auto& [snap, model] : snapshots_) db_->ReleaseSnapshot(snap);
    snapshots_.clear();
  }
  void Reopen() {
    ReleaseSnapshots();
    db_.reset();
    Open();
  }

  void CheckGet(const std::string& key, const Snapshot* snap,
                const Model& model) {
    ReadOptions ro;
    ro.snapshot = snap;
    ro.verify_checksums = true;
    absl::StatusOr<std::string> got = db_->Get(ro, key);
    auto it = model.find(key);
    if (it == model.end()) {
      FUZZ_CHECK(absl::IsNotFound(got.status()),
                 "Get " + Printable(key) + " of a missing key: " +
                     (got.ok() ? Printable(*got) : got.status().ToString()));
    } else {
      FUZZ_CHECK(got.ok() && *got == it->second,
                 "Get " + Printable(key) + ": " +
                     (got.ok() ? Printable(*got) : got.status().ToString()) +
                     " instead of " + Printable(it->second));
    }
  }

  void CheckScan(const Snapshot* snap, const Model& model,
                 const std::string* lower, const std::string* upper) {
    std::string_view lower_view =
        lower ? std::string_view(*lower) : std::string_view();
    std::string_view upper_view =
        upper ? std::string_view(*upper) : std::string_view();
    ReadOptions ro;
    ro.snapshot = snap;
    ro.iterate_lower_bound = lower ? &lower_view : nullptr;
    ro.iterate_upper_bound = upper ? &upper_view : nullptr;
    auto begin = lower ? model.lower_bound(*lower) : model.begin();
    auto end = upper ? model.lower_bound(*upper) : model.end();
    if (lower && upper && *lower >= *upper) end = begin;
    std::unique_ptr<Iterator> it = db_->NewIterator(ro);
    auto m = begin;
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++m) {
      FUZZ_CHECK(m != end, "scan yields extra key " + Printable(it->key()));
      FUZZ_CHECK(it->key() == m->first && it->value() == m->second,
                 "scan at " + Printable(it->key()) + " expected " +
                     Printable(m->first));
    }
    Check(it->status(), "scan");
    FUZZ_CHECK(m == end, "scan misses " + Printable(m->first));
    auto r = end;
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      FUZZ_CHECK(r != begin, "reverse scan yields extra key");
      --r;
      FUZZ_CHECK(it->key() == r->first && it->value() == r->second,
                 "reverse scan at " + Printable(it->key()) + " expected " +
                     Printable(r->first));
    }
    Check(it->status(), "reverse scan");
    FUZZ_CHECK(r == begin, "reverse scan misses keys");
  }

  void CheckSeek(const std::string& target, uint8_t steps) {
    std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
    it->Seek(target);
    auto m = model_.lower_bound(target);
    for (int i = 0;; i++) {
      if (m == model_.end()) {
        FUZZ_CHECK(!it->Valid(),
                   "seek/step past the end yields " + Printable(it->key()));
        break;
      }
      FUZZ_CHECK(it->Valid(), "seek/step lost " + Printable(m->first) + ": " +
                                  it->status().ToString());
      FUZZ_CHECK(it->key() == m->first && it->value() == m->second,
                 "seek/step at " + Printable(it->key()) + " expected " +
                     Printable(m->first));
      if (i == 8) break;
      if (steps & (1 << i)) {
        it->Next();
        ++m;
      } else {
        it->Prev();
        if (m == model_.begin()) {
          FUZZ_CHECK(!it->Valid(), "Prev before the first key");
          break;
        }
        --m;
      }
    }
    Check(it->status(), "seek");
  }

  Options options_;
  std::unique_ptr<FileSystem> fs_;
  std::unique_ptr<DB> db_;
  Model model_;
  std::vector<std::pair<const Snapshot*, Model>> snapshots_;
};

}  // namespace
}  // namespace kvs::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kvs::fuzz::InputReader in(data, size);
  kvs::fuzz::Harness harness(in.Byte());
  harness.Run(&in);
  return 0;
}
