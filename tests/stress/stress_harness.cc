#include "tests/stress/stress_harness.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lsm/db.h"
#include "lsm/db_impl.h"
#include "lsm/iterator.h"
#include "lsm/options.h"
#include "lsm/write_batch.h"
#include "tests/crash/test_value.h"
#include "util/mem_file_system.h"
#include "util/mutex.h"
#include "util/posix_file_system.h"
#include "util/random.h"

namespace kvs::stress_testing {
namespace {

using crash_testing::CheckValue;
using crash_testing::KeyName;
using crash_testing::MakeValue;
using crash_testing::ParseKeyName;
using Clock = std::chrono::steady_clock;

// A key's published state: version << 1 | (1 if a delete). 0: never written.
constexpr uint64_t Encode(uint64_t version, bool is_delete) {
  return version << 1 | (is_delete ? 1 : 0);
}
constexpr uint64_t VersionOf(uint64_t code) { return code >> 1; }
constexpr bool IsDelete(uint64_t code) { return (code & 1) != 0; }

std::string CodeString(uint64_t code) {
  if (code == 0) return "never written";
  return absl::StrCat(IsDelete(code) ? "delete" : "put", " @", VersionOf(code));
}

// What a read may return for a key, given what was acknowledged before the
// read began (lo) and what had been started when it ended (hi): a value whose
// version lies in [version(lo), version(hi)], or nothing if the acknowledged
// state was "absent" or a newer operation (possibly a delete) was under way.
absl::Status CheckRead(uint64_t key, uint64_t lo, uint64_t hi,
                       std::optional<uint64_t> version, std::string_view how) {
  bool ok;
  if (version) {
    ok = VersionOf(lo) <= *version && *version <= VersionOf(hi);
  } else {
    ok = lo == 0 || IsDelete(lo) || VersionOf(hi) > VersionOf(lo);
  }
  if (ok) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat(
      absl::string_view(how.data(), how.size()), " of ", KeyName(key),
      " returns ", version ? absl::StrCat("version ", *version) : "nothing",
      "; acknowledged before: ", CodeString(lo),
      ", started by the end: ", CodeString(hi)));
}

struct Counters {
  std::atomic<uint64_t> puts{0}, deletes{0}, batches{0};
  std::atomic<uint64_t> gets{0}, gets_found{0};
  std::atomic<uint64_t> scans{0}, scan_entries{0};
  std::atomic<uint64_t> snapshot_checks{0}, snapshot_reads{0};
  std::atomic<uint64_t> flushes{0}, compactions{0};
};

class Stress {
 public:
  explicit Stress(const StressConfig& config)
      : config_(config),
        started_(new std::atomic<uint64_t>[config.num_keys]),
        acked_(new std::atomic<uint64_t>[config.num_keys]) {
    for (int k = 0; k < config.num_keys; ++k) {
      started_[k].store(0);
      acked_[k].store(0);
    }
  }

  absl::StatusOr<StressSummary> Run() {
    fs_ = config_.dir.empty() ? NewMemFileSystem() : NewPosixFileSystem();
    const std::string path = config_.dir.empty() ? "/stress_db" : config_.dir;
    if (!config_.dir.empty()) {
      absl::Status s = DestroyDB(path, DBOptions());
      if (!s.ok()) return s;
    }
    absl::StatusOr<std::unique_ptr<DB>> db = DB::Open(DBOptions(), path);
    if (!db.ok()) return db.status();
    db_ = std::move(*db);

    const Clock::time_point start = Clock::now();
    std::vector<std::thread> threads;
    for (int i = 0; i < config_.writers; ++i) {
      threads.emplace_back([this, i] { Writer(i); });
    }
    std::vector<std::thread> others;
    for (int i = 0; i < config_.readers; ++i) {
      others.emplace_back([this, i] { Reader(100 + i); });
    }
    for (int i = 0; i < config_.iterators; ++i) {
      others.emplace_back([this, i] { Scanner(200 + i); });
    }
    for (int i = 0; i < config_.snapshot_readers; ++i) {
      others.emplace_back([this, i] { SnapshotReader(300 + i); });
    }
    if (config_.maintenance) others.emplace_back([this] { Maintenance(400); });

    if (config_.duration_seconds > 0) {
      const auto end =
          start + std::chrono::duration<double>(config_.duration_seconds);
      auto next_report = start + std::chrono::seconds(1);
      while (!stop_.load() && Clock::now() < end) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (config_.verbose && Clock::now() >= next_report) {
          next_report += std::chrono::seconds(1);
          std::fprintf(stderr, "%s\n", Summary(start).ToString().c_str());
        }
      }
      stop_.store(true);
    }
    for (std::thread& t : threads) t.join();
    stop_.store(true);
    for (std::thread& t : others) t.join();
    absl::Status s = FirstError();
    if (!s.ok()) return s;

    // Quiet now: the database must hold exactly the acknowledged state.
    s = VerifyFinal("at the end");
    if (s.ok()) {
      auto* impl = static_cast<DBImpl*>(db_.get());
      s = impl->WaitForBackgroundWork();
      if (s.ok()) s = impl->CheckInvariants();
    }
    StressSummary summary = Summary(start);
    db_->GetProperty("kvs.stats", &summary.db_stats);
    if (s.ok()) {
      db_.reset();
      db = DB::Open(DBOptions(), path);
      if (!db.ok()) return db.status();
      db_ = std::move(*db);
      s = VerifyFinal("after reopen");
    }
    db_.reset();
    fs_.reset();
    if (!s.ok()) return s;
    return summary;
  }

 private:
  Options DBOptions() {
    Options o;
    o.create_if_missing = true;
    o.file_system = fs_.get();
    o.write_buffer_size = 64 << 10;
    o.max_file_size = 64 << 10;
    o.max_bytes_for_level_base = 128 << 10;
    o.max_bytes_for_level_multiplier = 4;
    o.level0_file_num_compaction_trigger = 2;
    o.block_size = 1024;
    o.block_cache_size = 256 << 10;  // Small: reads keep going to the files.
    o.num_levels = 5;
    return o;
  }

  StressSummary Summary(Clock::time_point start) {
    StressSummary s;
    s.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    s.puts = counters_.puts;
    s.deletes = counters_.deletes;
    s.batches = counters_.batches;
    s.gets = counters_.gets;
    s.gets_found = counters_.gets_found;
    s.scans = counters_.scans;
    s.scan_entries = counters_.scan_entries;
    s.snapshot_checks = counters_.snapshot_checks;
    s.snapshot_reads = counters_.snapshot_reads;
    s.flushes = counters_.flushes;
    s.compactions = counters_.compactions;
    std::string n;
    for (int level = 0;
         db_ != nullptr &&
         db_->GetProperty(absl::StrCat("kvs.num-files-at-level", level), &n);
         ++level) {
      absl::StrAppend(&s.files_per_level, level ? " " : "", n);
    }
    return s;
  }

  void Fail(absl::Status s) {
    MutexLock l(&error_mu_);
    if (error_.ok()) error_ = std::move(s);
    stop_.store(true);
  }

  absl::Status FirstError() {
    MutexLock l(&error_mu_);
    return error_;
  }

  bool Stopping() const { return stop_.load(std::memory_order_relaxed); }

  // Writer w owns the keys k with k % writers == w.
  uint64_t OwnKey(Random* rnd, int w) {
    const uint64_t per_writer =
        (config_.num_keys - w + config_.writers - 1) / config_.writers;
    return w + config_.writers * rnd->Uniform(per_writer);
  }

  void Writer(int w) {
    Random rnd(config_.seed * 1000 + w);
    for (uint64_t i = 0; !Stopping(); ++i) {
      if (config_.duration_seconds <= 0 && i >= config_.ops_per_writer) break;
      WriteOptions wo;
      wo.sync = !config_.dir.empty() ? rnd.OneIn(200) : rnd.OneIn(20);
      const uint64_t r = rnd.Uniform(100);
      // Distinct keys for a batch: an entry overwritten within its own batch
      // is never visible, which the version window could not express.
      std::vector<uint64_t> keys;
      const size_t n = r < 85 ? 1 : 2 + rnd.Uniform(7);
      while (keys.size() < n) {
        uint64_t k = OwnKey(&rnd, w);
        if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
          keys.push_back(k);
        }
      }
      std::vector<uint64_t> codes;
      std::string single_value;
      WriteBatch batch;
      for (uint64_t k : keys) {
        const bool del = r < 85 ? r >= 70 : rnd.OneIn(4);
        const uint64_t code = Encode(next_version_.fetch_add(1), del);
        codes.push_back(code);
        started_[k].store(code);
        const std::string key = KeyName(k);
        if (del) {
          batch.Delete(key);
        } else {
          single_value = MakeValue(key, VersionOf(code), rnd.Skewed(9));
          batch.Put(key, single_value);
        }
      }
      absl::Status s;
      if (n > 1) {
        s = db_->Write(wo, &batch);
        counters_.batches++;
      } else if (IsDelete(codes[0])) {
        s = db_->Delete(wo, KeyName(keys[0]));
        counters_.deletes++;
      } else {
        s = db_->Put(wo, KeyName(keys[0]), single_value);
        counters_.puts++;
      }
      if (!s.ok()) {
        Fail(absl::Status(s.code(), absl::StrCat("writer: ", s.message())));
        return;
      }
      for (size_t j = 0; j < keys.size(); ++j) acked_[keys[j]].store(codes[j]);
    }
  }

  void Reader(int id) {
    Random rnd(config_.seed * 1000 + id);
    while (!Stopping()) {
      const uint64_t k = rnd.Uniform(config_.num_keys);
      const std::string key = KeyName(k);
      const uint64_t lo = acked_[k].load();
      absl::StatusOr<std::string> value = db_->Get(ReadOptions(), key);
      const uint64_t hi = started_[k].load();
      counters_.gets++;
      std::optional<uint64_t> version;
      if (value.ok()) {
        absl::StatusOr<uint64_t> v = CheckValue(key, *value);
        if (!v.ok()) return Fail(v.status());
        version = *v;
        counters_.gets_found++;
      } else if (!absl::IsNotFound(value.status())) {
        return Fail(value.status());
      }
      absl::Status s = CheckRead(k, lo, hi, version, "Get");
      if (!s.ok()) return Fail(s);
    }
  }

  std::vector<uint64_t> Load(
      const std::unique_ptr<std::atomic<uint64_t>[]>& a) {
    std::vector<uint64_t> out(config_.num_keys);
    for (int k = 0; k < config_.num_keys; ++k) out[k] = a[k].load();
    return out;
  }

  // Scans [lower, upper) of keys (indices) in one direction through it,
  // checking order, values and that every key in range was seen or could be
  // absent. Returns what it saw.
  absl::StatusOr<std::map<uint64_t, uint64_t>> Scan(
      Iterator* it, uint64_t lower, uint64_t upper, bool forward,
      const std::vector<uint64_t>& lo, const std::vector<uint64_t>* hi_now) {
    std::map<uint64_t, uint64_t> seen;
    if (forward) {
      it->SeekToFirst();
    } else {
      it->SeekToLast();
    }
    std::optional<uint64_t> last;
    for (; it->Valid(); forward ? it->Next() : it->Prev()) {
      uint64_t k;
      if (!ParseKeyName(it->key(), &k) || k < lower || k >= upper) {
        return absl::DataLossError(absl::StrCat(
            "scan of [", KeyName(lower), ", ", KeyName(upper), ") yields key '",
            absl::string_view(it->key().data(), it->key().size()), "'"));
      }
      if (last && (forward ? k <= *last : k >= *last)) {
        return absl::DataLossError(absl::StrCat(
            "scan out of order: ", KeyName(*last), " then ", KeyName(k)));
      }
      last = k;
      absl::StatusOr<uint64_t> v = CheckValue(it->key(), it->value());
      if (!v.ok()) return v.status();
      seen[k] = *v;
    }
    if (!it->status().ok()) return it->status();
    if (hi_now != nullptr) {
      for (uint64_t k = lower; k < upper; ++k) {
        auto f = seen.find(k);
        absl::Status s = CheckRead(
            k, lo[k], (*hi_now)[k],
            f == seen.end() ? std::nullopt : std::optional<uint64_t>(f->second),
            forward ? "forward scan" : "backward scan");
        if (!s.ok()) return s;
      }
    }
    return seen;
  }

  void PickRange(Random* rnd, uint64_t* lower, uint64_t* upper) {
    *lower = 0;
    *upper = config_.num_keys;
    if (rnd->OneIn(3)) return;  // Everything.
    *lower = rnd->Uniform(config_.num_keys);
    *upper = *lower + 1 +
             rnd->Uniform(std::min<uint64_t>(300, config_.num_keys - *lower));
  }

  void Scanner(int id) {
    Random rnd(config_.seed * 1000 + id);
    while (!Stopping()) {
      uint64_t lower, upper;
      PickRange(&rnd, &lower, &upper);
      const std::string lk = KeyName(lower), uk = KeyName(upper);
      std::string_view lv = lk, uv = uk;
      ReadOptions ro;
      ro.iterate_lower_bound = &lv;
      ro.iterate_upper_bound = &uv;
      ro.fill_cache = rnd.OneIn(2);
      const std::vector<uint64_t> lo = Load(acked_);
      std::unique_ptr<Iterator> it = db_->NewIterator(ro);
      const bool forward = rnd.OneIn(2);
      absl::StatusOr<std::map<uint64_t, uint64_t>> seen =
          Scan(it.get(), lower, upper, forward, lo, nullptr);
      if (!seen.ok()) return Fail(seen.status());
      const std::vector<uint64_t> hi = Load(started_);
      // The same pass again on the same iterator, the other way: an
      // iterator reads one implicit snapshot, so it must see the same.
      absl::StatusOr<std::map<uint64_t, uint64_t>> again =
          Scan(it.get(), lower, upper, !forward, lo, &hi);
      if (!again.ok()) return Fail(again.status());
      if (*again != *seen) {
        return Fail(absl::DataLossError(
            absl::StrCat("one iterator over [", lk, ", ", uk, ") sees ",
                         seen->size(), " keys one way and ", again->size(),
                         " keys (or other versions) the other way")));
      }
      counters_.scans++;
      counters_.scan_entries += seen->size();
    }
  }

  // Point reads of keys and a scan, all through snapshot.
  absl::StatusOr<std::map<uint64_t, std::optional<uint64_t>>> ReadThrough(
      const Snapshot* snapshot, const std::vector<uint64_t>& keys,
      uint64_t lower, uint64_t upper, std::map<uint64_t, uint64_t>* scanned) {
    std::map<uint64_t, std::optional<uint64_t>> out;
    ReadOptions ro;
    ro.snapshot = snapshot;
    for (uint64_t k : keys) {
      const std::string key = KeyName(k);
      absl::StatusOr<std::string> value = db_->Get(ro, key);
      counters_.snapshot_reads++;
      if (absl::IsNotFound(value.status())) {
        out[k] = std::nullopt;
        continue;
      }
      if (!value.ok()) return value.status();
      absl::StatusOr<uint64_t> v = CheckValue(key, *value);
      if (!v.ok()) return v.status();
      out[k] = *v;
    }
    const std::string lk = KeyName(lower), uk = KeyName(upper);
    std::string_view lv = lk, uv = uk;
    ro.iterate_lower_bound = &lv;
    ro.iterate_upper_bound = &uv;
    std::unique_ptr<Iterator> it = db_->NewIterator(ro);
    std::vector<uint64_t> unused;
    absl::StatusOr<std::map<uint64_t, uint64_t>> seen =
        Scan(it.get(), lower, upper, true, unused, nullptr);
    if (!seen.ok()) return seen.status();
    *scanned = std::move(*seen);
    return out;
  }

  void SnapshotReader(int id) {
    Random rnd(config_.seed * 1000 + id);
    while (!Stopping()) {
      std::vector<uint64_t> keys;
      for (int i = 0; i < 40; ++i)
        keys.push_back(rnd.Uniform(config_.num_keys));
      uint64_t lower, upper;
      PickRange(&rnd, &lower, &upper);
      const std::vector<uint64_t> lo = Load(acked_);
      const Snapshot* snapshot = db_->GetSnapshot();
      // An iterator kept over the same wait: the tables it reads must stay
      // alive through the compactions that replace them.
      const std::string lk = KeyName(lower), uk = KeyName(upper);
      std::string_view lv = lk, uv = uk;
      ReadOptions held_options;
      held_options.iterate_lower_bound = &lv;
      held_options.iterate_upper_bound = &uv;
      std::unique_ptr<Iterator> held = db_->NewIterator(held_options);
      const std::vector<uint64_t> hi = Load(started_);
      std::map<uint64_t, uint64_t> scan1, scan2;
      auto first = ReadThrough(snapshot, keys, lower, upper, &scan1);
      absl::Status s = first.status();
      absl::StatusOr<std::map<uint64_t, uint64_t>> held1 =
          Scan(held.get(), lower, upper, true, lo, &hi);
      if (s.ok()) s = held1.status();
      if (s.ok()) {
        for (const auto& [k, version] : *first) {
          s = CheckRead(k, lo[k], hi[k], version, "snapshot Get");
          if (!s.ok()) break;
          // Point reads and the scan of one snapshot agree.
          if (k >= lower && k < upper) {
            auto f = scan1.find(k);
            std::optional<uint64_t> in_scan =
                f == scan1.end() ? std::nullopt
                                 : std::optional<uint64_t>(f->second);
            if (in_scan != version) {
              s = absl::DataLossError(absl::StrCat(
                  "snapshot Get and scan disagree on ", KeyName(k)));
              break;
            }
          }
        }
      }
      for (uint64_t k = lower; s.ok() && k < upper; ++k) {
        auto f = scan1.find(k);
        s = CheckRead(k, lo[k], hi[k],
                      f == scan1.end() ? std::nullopt
                                       : std::optional<uint64_t>(f->second),
                      "snapshot scan");
      }
      if (s.ok()) {
        // Let the writers move on, then ask the snapshot again.
        const uint64_t target = next_version_.load() + 200;
        for (int i = 0; i < 50 && !Stopping() && next_version_.load() < target;
             ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        auto second = ReadThrough(snapshot, keys, lower, upper, &scan2);
        absl::StatusOr<std::map<uint64_t, uint64_t>> held2 =
            Scan(held.get(), lower, upper, rnd.OneIn(2), lo, &hi);
        if (!second.ok()) {
          s = second.status();
        } else if (*second != *first || scan2 != scan1) {
          s = absl::DataLossError(absl::StrCat(
              "a snapshot answers differently the second time (range [",
              KeyName(lower), ", ", KeyName(upper), "), ", scan1.size(),
              " then ", scan2.size(), " keys in the scan)"));
        } else if (!held2.ok()) {
          s = held2.status();
        } else if (*held2 != *held1) {
          s = absl::DataLossError(absl::StrCat(
              "an iterator held over writes and compactions sees ",
              held1->size(), " then ", held2->size(),
              " keys (or other versions) in [", lk, ", ", uk, ")"));
        }
      }
      held.reset();
      db_->ReleaseSnapshot(snapshot);
      if (!s.ok()) return Fail(s);
      counters_.snapshot_checks++;
    }
  }

  void Maintenance(int id) {
    Random rnd(config_.seed * 1000 + id);
    while (!Stopping()) {
      std::this_thread::sleep_for(
          std::chrono::milliseconds(10 + rnd.Uniform(60)));
      absl::Status s;
      const uint64_t r = rnd.Uniform(6);
      if (r == 0) {
        // Introspection runs concurrently with everything else too.
        std::string value;
        for (const char* property :
             {"kvs.stats", "kvs.sstables", "kvs.approximate-memory-usage",
              "kvs.num-files-at-level0"}) {
          if (!db_->GetProperty(property, &value)) {
            s = absl::InternalError(absl::StrCat("no property ", property));
          }
        }
        const std::string a = KeyName(rnd.Uniform(config_.num_keys));
        const std::string b = KeyName(rnd.Uniform(config_.num_keys));
        std::vector<uint64_t> sizes = db_->GetApproximateSizes(
            {Range{a, b}, Range{KeyName(0), KeyName(config_.num_keys)}});
        if (sizes.size() != 2) s = absl::InternalError("GetApproximateSizes");
      } else if (r <= 2) {
        s = db_->Flush();
        counters_.flushes++;
      } else {
        const uint64_t a = rnd.Uniform(config_.num_keys);
        const uint64_t b = a + rnd.Uniform(config_.num_keys - a);
        const std::string ak = KeyName(a), bk = KeyName(b);
        std::string_view av = ak, bv = bk;
        s = db_->CompactRange(rnd.OneIn(5) ? nullptr : &av,
                              rnd.OneIn(5) ? nullptr : &bv);
        counters_.compactions++;
      }
      if (!s.ok()) return Fail(s);
    }
  }

  absl::Status VerifyFinal(std::string_view when) {
    const std::vector<uint64_t> state = Load(acked_);
    const std::vector<uint64_t> started = Load(started_);
    std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
    std::vector<uint64_t> unused;
    absl::StatusOr<std::map<uint64_t, uint64_t>> seen =
        Scan(it.get(), 0, config_.num_keys, true, unused, nullptr);
    if (!seen.ok()) return seen.status();
    const std::string w(when);
    for (int k = 0; k < config_.num_keys; ++k) {
      if (started[k] != state[k]) {
        return absl::InternalError("a write was left unacknowledged");
      }
      absl::StatusOr<std::string> value = db_->Get(ReadOptions(), KeyName(k));
      std::optional<uint64_t> got;
      if (value.ok()) {
        absl::StatusOr<uint64_t> v = CheckValue(KeyName(k), *value);
        if (!v.ok()) return v.status();
        got = *v;
      } else if (!absl::IsNotFound(value.status())) {
        return value.status();
      }
      std::optional<uint64_t> want;
      if (state[k] != 0 && !IsDelete(state[k])) want = VersionOf(state[k]);
      auto f = seen->find(k);
      std::optional<uint64_t> scanned =
          f == seen->end() ? std::nullopt : std::optional<uint64_t>(f->second);
      if (got != want || scanned != want) {
        return absl::DataLossError(absl::StrCat(
            w, ": ", KeyName(k), " should be ", CodeString(state[k]),
            "; Get finds ", got ? absl::StrCat("version ", *got) : "nothing",
            ", a scan finds ",
            scanned ? absl::StrCat("version ", *scanned) : "nothing"));
      }
    }
    return absl::OkStatus();
  }

  const StressConfig config_;
  std::unique_ptr<FileSystem> fs_;
  std::unique_ptr<DB> db_;
  std::unique_ptr<std::atomic<uint64_t>[]> started_;
  std::unique_ptr<std::atomic<uint64_t>[]> acked_;
  std::atomic<uint64_t> next_version_{1};
  std::atomic<bool> stop_{false};
  Counters counters_;
  Mutex error_mu_;
  absl::Status error_ KVS_GUARDED_BY(error_mu_);
};

}  // namespace

std::string StressSummary::ToString() const {
  return absl::StrCat(
      "stress: ", static_cast<int64_t>(seconds * 10) / 10.0, " s, ", puts,
      " puts, ", deletes, " deletes, ", batches, " batches, ", gets, " gets (",
      gets_found, " found), ", scans, " scans (", scan_entries, " entries), ",
      snapshot_checks, " snapshot checks (", snapshot_reads,
      " reads through snapshots), ", flushes, " flushes, ", compactions,
      " manual compactions; tables per level: ", files_per_level);
}

absl::StatusOr<StressSummary> RunStress(const StressConfig& config) {
  if (config.writers < 1 || config.num_keys < config.writers * 10 ||
      config.readers < 0 || config.iterators < 0 ||
      config.snapshot_readers < 0) {
    return absl::InvalidArgumentError("bad stress configuration");
  }
  Stress stress(config);
  return stress.Run();
}

}  // namespace kvs::stress_testing
