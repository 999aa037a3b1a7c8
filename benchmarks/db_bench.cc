// db_bench: LevelDB's classic database benchmark, run against kvs, LevelDB or
// RocksDB with equivalent options (see db_bench_rocksdb.cc for the mapping).
//
//   bazel run -c opt //benchmarks:db_bench -- --engine=kvs \
//       --benchmarks=fillseq,fillrandom,readrandom --num=1000000
//
// Workloads (--benchmarks, comma-separated, run in order):
//   fillseq        put num keys in ascending order into a fresh database
//   fillrandom     put num keys in random order into a fresh database
//   fillsync       put num/100 random keys, each write synced, fresh database
//   fillbatch      put num keys in ascending order, 1000 per write batch
//   overwrite      put num random keys into the existing database
//   readrandom     get reads random keys (all present after fillseq)
//   readmissing    get reads keys that are never present
//   readhot        get reads random keys from the first 1% of the key range
//   readseq        read reads entries with an iterator, forwards
//   readreverse    the same, backwards
//   seekrandom     reads times: a fresh iterator, seek to a random key, then
//                  read the next 10 entries
//   deleteseq      delete num keys in ascending order
//   deleterandom   delete num random keys
//   readwhilewriting  --threads readers run readrandom while one more thread
//                  puts random keys until they finish; the readers' rate is
//                  reported
//   compact        compact the whole key space
//   stats          print the engine's statistics
//
// Every thread runs the full count (num or reads) of its workload, as in
// LevelDB. micros/op adds up the threads' busy time per operation; ops/sec and
// MB/s divide by wall time.
//
// --result_file appends one tab-separated line per measured workload (used by
// //benchmarks:compare):
//   engine workload micros/op ops/sec MB/s write_amp space_amp p50 p99 p99.9

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_split.h"
#include "benchmarks/db_bench_engine.h"
#include "benchmarks/db_bench_util.h"
#include "util/mutex.h"
#include "util/random.h"

ABSL_FLAG(std::string, benchmarks,
          "fillseq,fillsync,fillrandom,overwrite,readrandom,readrandom,readseq,"
          "readreverse,compact,readrandom,readseq,readreverse,fillbatch,"
          "readhot,readmissing,seekrandom,readwhilewriting,deleteseq,"
          "deleterandom,stats",
          "comma-separated workloads, run in order");
ABSL_FLAG(std::string, engine, "kvs", "kvs, leveldb or rocksdb");
ABSL_FLAG(int64_t, num, 1000000, "number of keys");
ABSL_FLAG(int64_t, reads, -1,
          "operations of the read workloads; negative means --num");
ABSL_FLAG(int32_t, value_size, 100, "bytes per value");
ABSL_FLAG(int32_t, key_size, 16, "bytes per key (zero-padded decimal)");
ABSL_FLAG(double, compression_ratio, 0.5,
          "values are generated to compress to this fraction with Snappy");
ABSL_FLAG(int32_t, threads, 1, "threads running each workload concurrently");
ABSL_FLAG(int64_t, write_buffer_size, 4 << 20, "memtable size in bytes");
ABSL_FLAG(int64_t, cache_size, 8 << 20, "block cache capacity in bytes");
ABSL_FLAG(int32_t, bloom_bits, 10, "Bloom filter bits per key; 0 for none");
ABSL_FLAG(int32_t, block_size, 4096, "table block size in bytes");
ABSL_FLAG(int32_t, max_open_files, 1000, "table files kept open");
ABSL_FLAG(bool, compression, true, "Snappy-compress table blocks");
ABSL_FLAG(std::string, kvs_compaction_priority, "min_overlap",
          "kvs only: which file a compaction pushes down, min_overlap or "
          "round_robin");
ABSL_FLAG(std::string, db, "",
          "database directory; default /tmp/kvs_db_bench/<engine>");
ABSL_FLAG(bool, use_existing_db, false,
          "keep the database at --db; fill workloads are then skipped");
ABSL_FLAG(bool, histogram, false, "print latency percentiles");
ABSL_FLAG(uint64_t, seed, 0, "base seed of the random key sequences");
ABSL_FLAG(bool, progress, true, "print progress of long workloads to stderr");
ABSL_FLAG(std::string, result_file, "",
          "append machine-readable results to this file");

namespace kvs::bench {
namespace {

void Fail(const char* what, const absl::Status& s) {
  std::fprintf(stderr, "db_bench: %s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

// What each named workload does.
enum class Method {
  kWriteSeq,
  kWriteRandom,
  kReadRandom,
  kReadMissing,
  kReadHot,
  kReadSeq,
  kReadReverse,
  kSeekRandom,
  kDeleteSeq,
  kDeleteRandom,
  kReadWhileWriting,
  kCompact,
  kStats,
};

struct Workload {
  Method method;
  bool fresh_db = false;  // Starts from an empty database.
  bool puts = false;      // Reports write and space amplification.
  bool sync = false;      // Synced writes.
  int64_t ops = 0;        // Per thread.
  int batch = 1;          // Entries per write.
};

// Per-thread measurements of one workload.
struct ThreadStats {
  uint64_t start = 0;
  uint64_t finish = 0;
  int64_t done = 0;
  int64_t found = 0;
  uint64_t bytes = 0;
  int64_t unpublished = 0;  // Operations not yet added to the progress count.
  LatencyRecorder latencies;
};

// Start gate and progress shared by the threads of one workload.
struct SharedState {
  Mutex mu;
  CondVar cv{&mu};
  int ready KVS_GUARDED_BY(mu) = 0;
  bool go KVS_GUARDED_BY(mu) = false;
  std::atomic<int64_t> progress{0};
  std::atomic<int> readers_left{0};
};

class Benchmark {
 public:
  Benchmark(EngineKind kind, std::string path)
      : kind_(kind),
        path_(std::move(path)),
        num_(absl::GetFlag(FLAGS_num)),
        reads_(absl::GetFlag(FLAGS_reads) < 0 ? num_
                                              : absl::GetFlag(FLAGS_reads)),
        value_size_(absl::GetFlag(FLAGS_value_size)),
        key_size_(absl::GetFlag(FLAGS_key_size)),
        threads_(absl::GetFlag(FLAGS_threads)),
        histogram_(absl::GetFlag(FLAGS_histogram)),
        show_progress_(absl::GetFlag(FLAGS_progress)),
        progress_tty_(isatty(STDERR_FILENO) != 0) {
    options_.write_buffer_size =
        static_cast<size_t>(absl::GetFlag(FLAGS_write_buffer_size));
    options_.cache_size = static_cast<size_t>(absl::GetFlag(FLAGS_cache_size));
    options_.block_size = static_cast<size_t>(absl::GetFlag(FLAGS_block_size));
    options_.bloom_bits = absl::GetFlag(FLAGS_bloom_bits);
    options_.compression = absl::GetFlag(FLAGS_compression);
    options_.max_open_files = absl::GetFlag(FLAGS_max_open_files);
    options_.kvs_round_robin =
        absl::GetFlag(FLAGS_kvs_compaction_priority) == "round_robin";
    std::string result_file = absl::GetFlag(FLAGS_result_file);
    if (!result_file.empty()) {
      results_ = std::fopen(result_file.c_str(), "a");
      if (results_ == nullptr) {
        std::fprintf(stderr, "db_bench: cannot open %s\n", result_file.c_str());
        std::exit(1);
      }
    }
  }

  ~Benchmark() {
    engine_.reset();
    if (results_ != nullptr) std::fclose(results_);
  }

  void Run() {
    PrintHeader();
    bool use_existing = absl::GetFlag(FLAGS_use_existing_db);
    if (!use_existing) Destroy();
    Open();
    std::vector<std::string> names =
        absl::StrSplit(absl::GetFlag(FLAGS_benchmarks), ',', absl::SkipEmpty());
    int index = 0;
    for (const std::string& name : names) {
      index++;
      Workload w;
      if (!Describe(name, &w)) {
        std::fprintf(stderr, "db_bench: unknown workload '%s'\n", name.c_str());
        std::exit(1);
      }
      if (w.fresh_db) {
        if (use_existing) {
          std::printf("%-16s : skipped (--use_existing_db)\n", name.c_str());
          continue;
        }
        engine_.reset();
        Destroy();
        Open();
      }
      // A workload named twice is reported as name, name#2, ...
      int seen = ++occurrences_[name];
      std::string label = seen == 1 ? name : name + "#" + std::to_string(seen);
      if (w.method == Method::kCompact) {
        RunCompact(label);
      } else if (w.method == Method::kStats) {
        std::printf("%s\n", engine_->Stats().c_str());
      } else {
        RunWorkload(label, w, static_cast<uint64_t>(index));
      }
      std::fflush(stdout);
    }
  }

 private:
  bool Describe(const std::string& name, Workload* w) {
    if (name == "fillseq") {
      *w = {Method::kWriteSeq, true, true, false, num_, 1};
    } else if (name == "fillrandom") {
      *w = {Method::kWriteRandom, true, true, false, num_, 1};
    } else if (name == "fillsync") {
      *w = {Method::kWriteRandom,
            true,
            true,
            true,
            std::max<int64_t>(1, num_ / 100),
            1};
    } else if (name == "fillbatch") {
      *w = {Method::kWriteSeq, true, true, false, num_, 1000};
    } else if (name == "overwrite") {
      *w = {Method::kWriteRandom, false, true, false, num_, 1};
    } else if (name == "readrandom") {
      *w = {Method::kReadRandom, false, false, false, reads_, 1};
    } else if (name == "readmissing") {
      *w = {Method::kReadMissing, false, false, false, reads_, 1};
    } else if (name == "readhot") {
      *w = {Method::kReadHot, false, false, false, reads_, 1};
    } else if (name == "readseq") {
      *w = {Method::kReadSeq, false, false, false, reads_, 1};
    } else if (name == "readreverse") {
      *w = {Method::kReadReverse, false, false, false, reads_, 1};
    } else if (name == "seekrandom") {
      *w = {Method::kSeekRandom, false, false, false, reads_, 1};
    } else if (name == "deleteseq") {
      *w = {Method::kDeleteSeq, false, false, false, num_, 1};
    } else if (name == "deleterandom") {
      *w = {Method::kDeleteRandom, false, false, false, num_, 1};
    } else if (name == "readwhilewriting") {
      *w = {Method::kReadWhileWriting, false, false, false, reads_, 1};
    } else if (name == "compact") {
      *w = {Method::kCompact, false, false, false, 0, 1};
    } else if (name == "stats") {
      *w = {Method::kStats, false, false, false, 0, 1};
    } else {
      return false;
    }
    return true;
  }

  void PrintHeader() {
    double entry = key_size_ + value_size_;
    double compressed =
        key_size_ + value_size_ * absl::GetFlag(FLAGS_compression_ratio);
    std::printf("Engine:      %s\n", EngineDescription(kind_).c_str());
    std::printf("Keys:        %d bytes each\n", key_size_);
    std::printf(
        "Values:      %d bytes each (%d bytes after compression)\n",
        value_size_,
        static_cast<int>(value_size_ * absl::GetFlag(FLAGS_compression_ratio) +
                         0.5));
    std::printf("Entries:     %" PRId64 " (reads %" PRId64 ", threads %d)\n",
                num_, reads_, threads_);
    std::printf("RawSize:     %.1f MB (estimated)\n",
                entry * static_cast<double>(num_) / 1048576.0);
    std::printf("FileSize:    %.1f MB (estimated)\n",
                compressed * static_cast<double>(num_) / 1048576.0);
    std::printf(
        "Options:     write_buffer_size=%zu cache_size=%zu block_size=%zu "
        "bloom_bits=%d compression=%s max_open_files=%d max_file_size=%zu\n",
        options_.write_buffer_size, options_.cache_size, options_.block_size,
        options_.bloom_bits, options_.compression ? "snappy" : "none",
        options_.max_open_files, options_.max_file_size);
    std::printf("Database:    %s\n", path_.c_str());
    std::printf("CPU:         %d * %s\n", CpuCount(), CpuModel().c_str());
    std::printf("Machine:     %s memory, %s, load average %s\n",
                MemoryTotal().c_str(), KernelRelease().c_str(),
                LoadAverage().c_str());
    PrintAssertionNote();
    IoCounters io = ReadIoCounters();
    std::printf(
        "Write amp:   bytes the process sent to the block layer "
        "(/proc/self/io write_bytes, all threads, measured when the workload "
        "ends, so compactions still pending are not counted) / user bytes "
        "put%s\n",
        io.ok ? "" : " -- /proc/self/io is unreadable here, so not reported");
    std::printf(
        "Space amp:   size of the database directory after the workload / "
        "(keys put, at most --num) * (key+value bytes)\n");
    std::printf("------------------------------------------------\n");
  }

  void PrintAssertionNote() {
#if defined(NDEBUG) && defined(__OPTIMIZE__)
    const char* ours = "kvs and this harness: optimized, NDEBUG (no asserts)";
#else
    const char* ours =
        "WARNING: kvs and this harness are NOT an optimized NDEBUG build; "
        "use bazel run -c opt";
#endif
#if defined(KVS_ASAN) || defined(KVS_TSAN)
    std::printf(
        "WARNING:     built with a sanitizer; figures are meaningless\n");
#endif
    std::printf("Assertions:  %s\n", ours);
    if (kind_ != EngineKind::kKvs) {
      // Checked when this harness was written: Debian's libleveldb.so.1.23
      // has 251 call sites of __assert_fail, librocksdb.so.7.8.3 has 6390,
      // and neither's pkg-config/CMake files define NDEBUG.
      std::printf(
          "             Debian builds LevelDB 1.23 and RocksDB 7.8.3 without "
          "NDEBUG: their shared libraries call __assert_fail (251 and 6390 "
          "call sites), so their assert() checks run and cost them some "
          "speed\n");
    }
  }

  void Open() {
    absl::StatusOr<std::unique_ptr<Engine>> engine =
        OpenEngine(kind_, options_, path_);
    if (!engine.ok()) Fail("open", engine.status());
    engine_ = *std::move(engine);
  }

  void Destroy() {
    absl::Status s = DestroyEngine(kind_, path_);
    if (!s.ok()) Fail("destroy", s);
  }

  void RunCompact(const std::string& label) {
    uint64_t start = NowNanos();
    absl::Status s = engine_->CompactAll();
    uint64_t elapsed = NowNanos() - start;
    if (absl::IsUnimplemented(s)) {
      std::printf("%-16s : skipped (%s)\n", label.c_str(),
                  std::string(s.message()).c_str());
      return;
    }
    if (!s.ok()) Fail("compact", s);
    std::printf("%-16s : %11.3f s\n", label.c_str(),
                static_cast<double>(elapsed) / 1e9);
  }

  // Runs w on threads_ threads (plus a writer for readwhilewriting) and
  // reports it.
  void RunWorkload(const std::string& label, const Workload& w,
                   uint64_t workload_index) {
    SharedState shared;
    int readers = threads_;
    bool writer = w.method == Method::kReadWhileWriting;
    int total_threads = readers + (writer ? 1 : 0);
    shared.readers_left.store(readers);
    std::vector<ThreadStats> stats(static_cast<size_t>(total_threads));
    IoCounters io_before = ReadIoCounters();

    std::vector<std::thread> threads;
    for (int i = 0; i < total_threads; i++) {
      threads.emplace_back([&, i] {
        {
          MutexLock lock(&shared.mu);
          shared.ready++;
          shared.cv.SignalAll();
          while (!shared.go) shared.cv.Wait();
        }
        uint64_t seed = absl::GetFlag(FLAGS_seed) * 1000003 +
                        workload_index * 1000 + static_cast<uint64_t>(i);
        ThreadStats* t = &stats[static_cast<size_t>(i)];
        t->start = NowNanos();
        if (i == readers) {
          RunBackgroundWriter(seed, &shared, t);
        } else {
          RunThread(label, w, i, seed, &shared, t);
          shared.readers_left.fetch_sub(1);
        }
        t->finish = NowNanos();
      });
    }
    {
      MutexLock lock(&shared.mu);
      while (shared.ready < total_threads) shared.cv.Wait();
      shared.go = true;
      shared.cv.SignalAll();
    }
    for (auto& thread : threads) thread.join();
    IoCounters io_after = ReadIoCounters();
    ClearProgress();

    // Merge the reporting threads (never the background writer).
    ThreadStats total;
    double busy_seconds = 0;
    total.start = UINT64_MAX;
    for (int i = 0; i < readers; i++) {
      ThreadStats& t = stats[static_cast<size_t>(i)];
      total.start = std::min(total.start, t.start);
      total.finish = std::max(total.finish, t.finish);
      total.done += t.done;
      total.found += t.found;
      total.bytes += t.bytes;
      total.latencies.Merge(t.latencies);
      busy_seconds += static_cast<double>(t.finish - t.start) / 1e9;
    }
    double elapsed =
        std::max(1e-9, static_cast<double>(total.finish - total.start) / 1e9);
    double done = static_cast<double>(std::max<int64_t>(1, total.done));
    double micros_per_op = busy_seconds * 1e6 / done;
    double ops_per_sec = static_cast<double>(total.done) / elapsed;
    double mb_per_sec = static_cast<double>(total.bytes) / 1048576.0 / elapsed;

    std::string extra;
    double write_amp = -1, space_amp = -1;
    if (w.puts) {
      // Bytes the workload asked the engine to store.
      double user_bytes = static_cast<double>(total.bytes);
      uint64_t written = io_after.write_bytes - io_before.write_bytes;
      const char* source = "write_bytes";
      if (written == 0) {
        // Some kernels and file systems do not account write_bytes; the
        // syscall-level count is the next best thing.
        written = io_after.wchar - io_before.wchar;
        source = "wchar";
      }
      if (io_after.ok && user_bytes > 0) {
        write_amp = static_cast<double>(written) / user_bytes;
        extra += " write_amp " + Format(write_amp, 2) + " (" + source + ");";
      }
      double live_keys =
          static_cast<double>(std::min<int64_t>(num_, total.done));
      double live_bytes = live_keys * (key_size_ + value_size_);
      if (live_bytes > 0) {
        space_amp = static_cast<double>(DirectorySize(path_)) / live_bytes;
        extra += " space_amp " + Format(space_amp, 2) + ";";
      }
    }
    if (IsRead(w.method)) {
      extra += " (" + std::to_string(total.found) + " of " +
               std::to_string(total.done) + " found)";
    }
    if (writer) {
      extra += " (background writer: " +
               std::to_string(stats[static_cast<size_t>(readers)].done) +
               " puts)";
    }
    std::printf("%-16s : %11.3f micros/op; %10.0f ops/sec; %7.1f MB/s;%s\n",
                label.c_str(), micros_per_op, ops_per_sec, mb_per_sec,
                extra.c_str());
    double p50 = -1, p99 = -1, p999 = -1;
    if (histogram_ && total.latencies.count() > 0) {
      p50 = total.latencies.PercentileMicros(50);
      p99 = total.latencies.PercentileMicros(99);
      p999 = total.latencies.PercentileMicros(99.9);
      std::printf(
          "%-16s   latency micros: p50 %.2f  p99 %.2f  p99.9 %.2f  mean %.2f  "
          "max %.2f  (%zu samples%s)\n",
          "", p50, p99, p999, total.latencies.MeanMicros(),
          total.latencies.MaxMicros(), total.latencies.count(),
          w.batch > 1 ? ", one per batch" : "");
    }
    if (results_ != nullptr) {
      std::fprintf(results_,
                   "%s\t%s\t%.4f\t%.1f\t%.3f\t%.4f\t%.4f\t%.3f\t%.3f\t%.3f\n",
                   EngineName(kind_), label.c_str(), micros_per_op, ops_per_sec,
                   mb_per_sec, write_amp, space_amp, p50, p99, p999);
      std::fflush(results_);
    }
  }

  static bool IsRead(Method m) {
    return m == Method::kReadRandom || m == Method::kReadMissing ||
           m == Method::kReadHot || m == Method::kSeekRandom ||
           m == Method::kReadWhileWriting;
  }

  static std::string Format(double v, int digits) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
    return buf;
  }

  // Per-thread context of one workload.
  struct Context {
    Context(Benchmark* b, uint64_t seed)
        : rnd(seed),
          keys(b->key_size_),
          values(absl::GetFlag(FLAGS_compression_ratio), seed ^ 0x5bd1e995,
                 static_cast<size_t>(b->value_size_)) {}
    Random rnd;
    KeyFormatter keys;
    ValueGenerator values;
  };

  // Counts finished operations; thread 0 also reports progress.
  void Finished(int thread, int64_t n, int64_t expected, const char* label,
                SharedState* shared, ThreadStats* t) {
    t->done += n;
    if (!show_progress_) return;
    // Publishing every 1024 operations keeps the shared counter cold.
    t->unpublished += n;
    if (t->unpublished < 1024) return;
    int64_t all = shared->progress.fetch_add(t->unpublished) + t->unpublished;
    t->unpublished = 0;
    if (thread != 0) return;
    uint64_t now = NowNanos();
    uint64_t interval = progress_tty_ ? 1000000000ull : 10000000000ull;
    if (now - t->start < 2000000000ull || now - last_progress_ < interval) {
      return;
    }
    last_progress_ = now;
    int64_t goal = expected * threads_;
    std::fprintf(stderr, "%s%-16s : %" PRId64 " of %" PRId64 " ops (%d%%)%s",
                 progress_tty_ ? "\r" : "", label, all, goal,
                 goal > 0 ? static_cast<int>(100 * all / goal) : 0,
                 progress_tty_ ? "   " : "\n");
    progress_shown_ = progress_tty_;
  }

  void ClearProgress() {
    if (progress_shown_) {
      std::fprintf(stderr, "\r%78s\r", "");
      progress_shown_ = false;
    }
    last_progress_ = 0;
  }

  void Check(const absl::Status& s, const char* what) {
    if (!s.ok()) Fail(what, s);
  }

  // Times op (when --histogram is on).
  template <typename Op>
  void Timed(ThreadStats* t, Op&& op) {
    if (!histogram_) {
      op();
      return;
    }
    uint64_t start = NowNanos();
    op();
    t->latencies.Add(NowNanos() - start);
  }

  void RunThread(const std::string& label, const Workload& w, int thread,
                 uint64_t seed, SharedState* shared, ThreadStats* t) {
    Context c(this, seed);
    const char* name = label.c_str();
    const uint64_t range = static_cast<uint64_t>(std::max<int64_t>(1, num_));
    std::string value;
    switch (w.method) {
      case Method::kWriteSeq:
      case Method::kWriteRandom: {
        std::unique_ptr<Batch> batch = engine_->NewBatch();
        for (int64_t i = 0; i < w.ops; i += w.batch) {
          int64_t n = std::min<int64_t>(w.batch, w.ops - i);
          batch->Clear();
          for (int64_t j = 0; j < n; j++) {
            uint64_t k = w.method == Method::kWriteSeq
                             ? static_cast<uint64_t>(i + j)
                             : c.rnd.Uniform(range);
            std::string_view key = c.keys.Format(k);
            std::string_view v = c.values.Generate(value_size_);
            t->bytes += key.size() + v.size();
            if (w.batch == 1) {
              Timed(t, [&] { Check(engine_->Put(key, v, w.sync), "put"); });
            } else {
              batch->Put(key, v);
            }
          }
          if (w.batch > 1) {
            Timed(t,
                  [&] { Check(engine_->Write(batch.get(), w.sync), "write"); });
          }
          Finished(thread, n, w.ops, name, shared, t);
        }
        break;
      }
      case Method::kReadRandom:
      case Method::kReadMissing:
      case Method::kReadHot:
      case Method::kReadWhileWriting: {
        uint64_t hot = std::max<uint64_t>(1, (range + 99) / 100);
        for (int64_t i = 0; i < w.ops; i++) {
          std::string_view key;
          if (w.method == Method::kReadMissing) {
            key = c.keys.FormatMissing(c.rnd.Uniform(range));
          } else if (w.method == Method::kReadHot) {
            key = c.keys.Format(c.rnd.Uniform(hot));
          } else {
            key = c.keys.Format(c.rnd.Uniform(range));
          }
          absl::Status s;
          Timed(t, [&] { s = engine_->Get(key, &value); });
          if (s.ok()) {
            t->found++;
            t->bytes += key.size() + value.size();
          } else if (!absl::IsNotFound(s)) {
            Fail("get", s);
          }
          Finished(thread, 1, w.ops, name, shared, t);
        }
        break;
      }
      case Method::kReadSeq:
      case Method::kReadReverse: {
        std::unique_ptr<Cursor> cursor = engine_->NewCursor();
        bool forward = w.method == Method::kReadSeq;
        int64_t i = 0;
        Timed(t,
              [&] { forward ? cursor->SeekToFirst() : cursor->SeekToLast(); });
        while (i < w.ops && cursor->Valid()) {
          t->bytes += cursor->key().size() + cursor->value().size();
          i++;
          Finished(thread, 1, w.ops, name, shared, t);
          Timed(t, [&] { forward ? cursor->Next() : cursor->Prev(); });
        }
        Check(cursor->status(), "iterate");
        break;
      }
      case Method::kSeekRandom: {
        for (int64_t i = 0; i < w.ops; i++) {
          std::string_view key = c.keys.Format(c.rnd.Uniform(range));
          Timed(t, [&] {
            std::unique_ptr<Cursor> cursor = engine_->NewCursor();
            cursor->Seek(key);
            if (cursor->Valid() && cursor->key() == key) t->found++;
            for (int j = 0; j < 10 && cursor->Valid(); j++) {
              t->bytes += cursor->key().size() + cursor->value().size();
              cursor->Next();
            }
            Check(cursor->status(), "seek");
          });
          Finished(thread, 1, w.ops, name, shared, t);
        }
        break;
      }
      case Method::kDeleteSeq:
      case Method::kDeleteRandom: {
        for (int64_t i = 0; i < w.ops; i++) {
          uint64_t k = w.method == Method::kDeleteSeq ? static_cast<uint64_t>(i)
                                                      : c.rnd.Uniform(range);
          std::string_view key = c.keys.Format(k);
          t->bytes += key.size();
          Timed(t, [&] { Check(engine_->Delete(key, false), "delete"); });
          Finished(thread, 1, w.ops, name, shared, t);
        }
        break;
      }
      case Method::kCompact:
      case Method::kStats:
        break;
    }
  }

  // readwhilewriting's extra thread: puts random keys until every reader has
  // finished.
  void RunBackgroundWriter(uint64_t seed, SharedState* shared, ThreadStats* t) {
    Context c(this, seed);
    const uint64_t range = static_cast<uint64_t>(std::max<int64_t>(1, num_));
    while (shared->readers_left.load(std::memory_order_relaxed) > 0) {
      std::string_view key = c.keys.Format(c.rnd.Uniform(range));
      Check(engine_->Put(key, c.values.Generate(value_size_), false), "put");
      t->done++;
    }
  }

  const EngineKind kind_;
  const std::string path_;
  const int64_t num_;
  const int64_t reads_;
  const int value_size_;
  const int key_size_;
  const int threads_;
  const bool histogram_;
  const bool show_progress_;
  const bool progress_tty_;
  EngineOptions options_;
  std::unique_ptr<Engine> engine_;
  FILE* results_ = nullptr;
  std::map<std::string, int> occurrences_;
  uint64_t last_progress_ = 0;  // Touched by thread 0 only.
  bool progress_shown_ = false;
};

}  // namespace
}  // namespace kvs::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "LevelDB-style database benchmark for kvs, LevelDB and RocksDB.\n"
      "  db_bench --engine=kvs --benchmarks=fillseq,readrandom --num=100000");
  absl::ParseCommandLine(argc, argv);
  absl::StatusOr<kvs::bench::EngineKind> kind =
      kvs::bench::ParseEngineKind(absl::GetFlag(FLAGS_engine));
  if (!kind.ok()) kvs::bench::Fail("--engine", kind.status());
  if (absl::GetFlag(FLAGS_num) < 1 || absl::GetFlag(FLAGS_threads) < 1 ||
      absl::GetFlag(FLAGS_key_size) < 1 ||
      absl::GetFlag(FLAGS_value_size) < 0 ||
      absl::GetFlag(FLAGS_block_size) < 1 ||
      absl::GetFlag(FLAGS_write_buffer_size) < 1 ||
      absl::GetFlag(FLAGS_cache_size) < 0) {
    std::fprintf(stderr,
                 "db_bench: --num, --threads, --key_size, --block_size and "
                 "--write_buffer_size must be positive; --value_size and "
                 "--cache_size not negative\n");
    return 1;
  }
  std::string path = absl::GetFlag(FLAGS_db);
  if (path.empty()) {
    path = std::string("/tmp/kvs_db_bench/") + kvs::bench::EngineName(*kind);
  }
  // The engines create the database directory but not its parents.
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(),
                                      ec);
  kvs::bench::Benchmark benchmark(*kind, path);
  benchmark.Run();
  return 0;
}
