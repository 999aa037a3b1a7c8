// Runs db_bench for kvs, LevelDB and RocksDB in turn, several repetitions
// each, and prints a markdown report: the median of every workload per engine
// with the spread (min..max) over the repetitions, kvs's ratio to each other
// engine, and a description of the machine.
//
//   bazel run -c opt //benchmarks:compare                 # quick default
//   bazel run -c opt //benchmarks:compare -- --num=1000000 --repetitions=5 \
//       --benchmarks=fillseq,fillrandom,readrandom --extra="--histogram"
//
// The engines take turns (kvs, leveldb, rocksdb, then leveldb, rocksdb, kvs,
// ...) so that a slow phase of a busy machine does not land on one engine
// only. Each run is a separate db_bench process with a fresh database; its
// full output goes to <db_root>/logs/.

#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_split.h"
#include "benchmarks/db_bench_util.h"

ABSL_FLAG(std::string, engines, "kvs,leveldb,rocksdb",
          "engines to compare; the first is the one the ratios are about");
ABSL_FLAG(std::string, benchmarks,
          "fillseq,fillrandom,overwrite,readrandom,readseq,seekrandom,"
          "readwhilewriting",
          "db_bench workloads, run in this order in each db_bench process");
ABSL_FLAG(int64_t, num, 200000, "db_bench --num");
ABSL_FLAG(int32_t, repetitions, 3, "db_bench runs per engine");
ABSL_FLAG(std::string, db_root, "/tmp/kvs_compare",
          "databases go to <db_root>/<engine>, logs to <db_root>/logs");
ABSL_FLAG(std::string, extra, "",
          "more db_bench flags for every run, space-separated, e.g. "
          "\"--histogram --value_size=400\"");
ABSL_FLAG(std::string, db_bench, "",
          "path of the db_bench binary; found next to this one by default");
ABSL_FLAG(std::string, output, "", "also write the report to this file");
ABSL_FLAG(bool, keep_db, false, "leave the databases behind after the runs");

namespace kvs::bench {
namespace {

namespace fs = std::filesystem;

struct Sample {
  double micros_per_op = 0;
  double ops_per_sec = 0;
  double mb_per_sec = 0;
  double write_amp = -1;
  double space_amp = -1;
  double p50 = -1, p99 = -1, p999 = -1;
};

// workload -> engine -> one sample per repetition.
using Results =
    std::map<std::string, std::map<std::string, std::vector<Sample>>>;

bool Executable(const std::string& path) {
  return !path.empty() && access(path.c_str(), X_OK) == 0;
}

// db_bench sits in this binary's runfiles (a data dependency) and, in
// bazel-bin, right next to it.
std::string FindDbBench(const char* argv0) {
  std::string flag = absl::GetFlag(FLAGS_db_bench);
  if (!flag.empty()) return flag;
  std::vector<std::string> candidates;
  if (const char* runfiles = std::getenv("RUNFILES_DIR")) {
    candidates.push_back(std::string(runfiles) + "/kvs/benchmarks/db_bench");
  }
  std::string self = argv0;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) self = exe.string();
  candidates.push_back(self + ".runfiles/kvs/benchmarks/db_bench");
  candidates.push_back((fs::path(self).parent_path() / "db_bench").string());
  candidates.push_back((fs::path(argv0).parent_path() / "db_bench").string());
  for (const std::string& c : candidates) {
    if (Executable(c)) return c;
  }
  return "";
}

// Runs argv with stdout sent to log_path; stderr (db_bench's progress) stays
// on the terminal. Returns the exit status, or -1 if it could not run.
int RunProcess(const std::vector<std::string>& args,
               const std::string& log_path) {
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    FILE* log = std::fopen(log_path.c_str(), "w");
    if (log == nullptr || dup2(fileno(log), STDOUT_FILENO) < 0) _exit(127);
    std::vector<char*> argv;
    for (const std::string& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool ParseResults(const std::string& path, Results* results,
                  std::vector<std::string>* order) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() < 10) continue;
    Sample s;
    s.micros_per_op = std::atof(f[2].c_str());
    s.ops_per_sec = std::atof(f[3].c_str());
    s.mb_per_sec = std::atof(f[4].c_str());
    s.write_amp = std::atof(f[5].c_str());
    s.space_amp = std::atof(f[6].c_str());
    s.p50 = std::atof(f[7].c_str());
    s.p99 = std::atof(f[8].c_str());
    s.p999 = std::atof(f[9].c_str());
    if (results->find(f[1]) == results->end()) order->push_back(f[1]);
    (*results)[f[1]][f[0]].push_back(s);
  }
  return true;
}

struct Summary {
  bool present = false;
  double median = 0, min = 0, max = 0;
};

template <typename Get>
Summary Summarize(const std::vector<Sample>& samples, Get get) {
  std::vector<double> v;
  for (const Sample& s : samples) {
    double x = get(s);
    if (x >= 0) v.push_back(x);
  }
  Summary out;
  if (v.empty()) return out;
  std::sort(v.begin(), v.end());
  out.present = true;
  out.min = v.front();
  out.max = v.back();
  size_t n = v.size();
  out.median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return out;
}

// 1234567 -> "1.23M", 45678 -> "45.7k".
std::string Rate(double x) {
  char buf[32];
  if (x >= 1e6) {
    std::snprintf(buf, sizeof(buf), "%.2fM", x / 1e6);
  } else if (x >= 1e3) {
    std::snprintf(buf, sizeof(buf), "%.1fk", x / 1e3);
  } else {
    std::snprintf(buf, sizeof(buf), "%.0f", x);
  }
  return buf;
}

std::string Fixed(double x, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, x);
  return buf;
}

template <typename Fmt>
std::string Cell(const Summary& s, int reps, Fmt fmt) {
  if (!s.present) return "-";
  if (reps <= 1) return fmt(s.median);
  return fmt(s.median) + " (" + fmt(s.min) + ".." + fmt(s.max) + ")";
}

std::string Ratio(const Summary& a, const Summary& b) {
  if (!a.present || !b.present || b.median <= 0) return "-";
  return Fixed(a.median / b.median, 2) + "x";
}

std::string FileSystemType(const std::string& path) {
  struct statfs st;
  if (statfs(path.c_str(), &st) != 0) return "unknown";
  switch (static_cast<unsigned long>(st.f_type)) {
    case 0xEF53:
      return "ext4";
    case 0x01021994:
      return "tmpfs";
    case 0x794c7630:
      return "overlayfs";
    case 0x58465342:
      return "xfs";
    case 0x9123683E:
      return "btrfs";
    default: {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "0x%lx",
                    static_cast<unsigned long>(st.f_type));
      return buf;
    }
  }
}

const char* PrettyEngine(const std::string& e) {
  if (e == "kvs") return "kvs";
  if (e == "leveldb") return "LevelDB";
  if (e == "rocksdb") return "RocksDB";
  return e.c_str();
}

std::string Report(const std::vector<std::string>& engines,
                   const Results& results,
                   const std::vector<std::string>& order, int reps,
                   const std::string& load_before,
                   const std::string& load_after, const std::string& db_root,
                   double minutes) {
  std::ostringstream out;
  const std::string& first = engines.front();
  out << "## db_bench comparison\n\n";
  out << "- CPU: " << CpuModel() << ", " << CpuCount() << " cores; memory "
      << MemoryTotal() << "; " << KernelRelease() << "\n";
  out << "- Database directory: " << db_root << " (" << FileSystemType(db_root)
      << ")\n";
  out << "- Load average before/after: " << load_before << " / " << load_after
      << "\n";
  out << "- db_bench --num=" << absl::GetFlag(FLAGS_num)
      << " --benchmarks=" << absl::GetFlag(FLAGS_benchmarks);
  if (!absl::GetFlag(FLAGS_extra).empty())
    out << " " << absl::GetFlag(FLAGS_extra);
  out << "; " << reps << " repetition(s) per engine, engines alternating; "
      << (minutes < 2 ? Fixed(minutes * 60, 0) + " s"
                      : Fixed(minutes, 1) + " min")
      << " in all\n";
  out << "- LevelDB 1.23 and RocksDB 7.8.3 are Debian's builds, which keep "
         "assert() enabled (no NDEBUG); kvs is built with -c opt (NDEBUG)\n\n";

  // Throughput.
  out << "Throughput, ops/s: median (min..max)";
  if (engines.size() > 1) out << "; ratios > 1 mean " << first << " is faster";
  out << "\n\n| workload |";
  for (const auto& e : engines) out << " " << PrettyEngine(e) << " |";
  for (size_t i = 1; i < engines.size(); i++) {
    out << " " << PrettyEngine(first) << "/" << PrettyEngine(engines[i])
        << " |";
  }
  out << "\n|---|";
  for (size_t i = 0; i < engines.size() * 2 - 1; i++) out << "---:|";
  out << "\n";
  auto ops = [](const Sample& s) { return s.ops_per_sec; };
  for (const std::string& w : order) {
    const auto& by_engine = results.at(w);
    std::vector<Summary> sums;
    for (const auto& e : engines) {
      auto it = by_engine.find(e);
      sums.push_back(it == by_engine.end() ? Summary()
                                           : Summarize(it->second, ops));
    }
    out << "| " << w << " |";
    for (const Summary& s : sums) out << " " << Cell(s, reps, Rate) << " |";
    for (size_t i = 1; i < sums.size(); i++) {
      out << " " << Ratio(sums[0], sums[i]) << " |";
    }
    out << "\n";
  }

  // Amplification after the write workloads.
  bool any_amp = false;
  for (const std::string& w : order) {
    for (const auto& [e, samples] : results.at(w)) {
      for (const Sample& s : samples) any_amp |= s.write_amp >= 0;
    }
  }
  if (any_amp) {
    out << "\nWrite amplification (bytes written to disk / user bytes) and "
           "space amplification (database size / live data), medians; "
           "measured when each workload ends, before pending compactions\n\n";
    out << "| workload |";
    for (const auto& e : engines)
      out << " " << PrettyEngine(e) << " write amp |";
    for (const auto& e : engines)
      out << " " << PrettyEngine(e) << " space amp |";
    out << "\n|---|";
    for (size_t i = 0; i < engines.size() * 2; i++) out << "---:|";
    out << "\n";
    auto two = [](double x) { return Fixed(x, 2); };
    for (const std::string& w : order) {
      const auto& by_engine = results.at(w);
      bool has = false;
      for (const auto& [e, samples] : by_engine) {
        for (const Sample& s : samples) has |= s.write_amp >= 0;
      }
      if (!has) continue;
      out << "| " << w << " |";
      for (const auto& e : engines) {
        auto it = by_engine.find(e);
        Summary s = it == by_engine.end()
                        ? Summary()
                        : Summarize(it->second, [](const Sample& x) {
                            return x.write_amp;
                          });
        out << " " << Cell(s, 1, two) << " |";
      }
      for (const auto& e : engines) {
        auto it = by_engine.find(e);
        Summary s = it == by_engine.end()
                        ? Summary()
                        : Summarize(it->second, [](const Sample& x) {
                            return x.space_amp;
                          });
        out << " " << Cell(s, 1, two) << " |";
      }
      out << "\n";
    }
  }

  // Latency, when db_bench ran with --histogram.
  bool any_latency = false;
  for (const std::string& w : order) {
    for (const auto& [e, samples] : results.at(w)) {
      for (const Sample& s : samples) any_latency |= s.p99 >= 0;
    }
  }
  if (any_latency) {
    out << "\nLatency in microseconds, medians over repetitions: p50 / p99 / "
           "p99.9\n\n| workload |";
    for (const auto& e : engines) out << " " << PrettyEngine(e) << " |";
    out << "\n|---|";
    for (size_t i = 0; i < engines.size(); i++) out << "---:|";
    out << "\n";
    for (const std::string& w : order) {
      const auto& by_engine = results.at(w);
      out << "| " << w << " |";
      for (const auto& e : engines) {
        auto it = by_engine.find(e);
        if (it == by_engine.end()) {
          out << " - |";
          continue;
        }
        Summary p50 =
            Summarize(it->second, [](const Sample& x) { return x.p50; });
        Summary p99 =
            Summarize(it->second, [](const Sample& x) { return x.p99; });
        Summary p999 =
            Summarize(it->second, [](const Sample& x) { return x.p999; });
        if (!p99.present) {
          out << " - |";
          continue;
        }
        out << " " << Fixed(p50.median, 1) << " / " << Fixed(p99.median, 1)
            << " / " << Fixed(p999.median, 1) << " |";
      }
      out << "\n";
    }
  }
  return out.str();
}

int Main(const char* argv0) {
  std::vector<std::string> engines =
      absl::StrSplit(absl::GetFlag(FLAGS_engines), ',', absl::SkipEmpty());
  for (const std::string& e : engines) {
    if (e != "kvs" && e != "leveldb" && e != "rocksdb") {
      std::fprintf(stderr, "compare: unknown engine '%s'\n", e.c_str());
      return 1;
    }
  }
  int reps = absl::GetFlag(FLAGS_repetitions);
  if (engines.empty() || reps < 1) {
    std::fprintf(stderr, "compare: need an engine and --repetitions >= 1\n");
    return 1;
  }
  std::string db_bench = FindDbBench(argv0);
  if (db_bench.empty()) {
    std::fprintf(stderr,
                 "compare: cannot find db_bench; run through bazel run or "
                 "pass --db_bench=PATH\n");
    return 1;
  }
  std::string root = absl::GetFlag(FLAGS_db_root);
  std::error_code ec;
  fs::create_directories(fs::path(root) / "logs", ec);
  if (ec) {
    std::fprintf(stderr, "compare: cannot create %s: %s\n", root.c_str(),
                 ec.message().c_str());
    return 1;
  }
  std::string result_file = (fs::path(root) / "results.tsv").string();
  fs::remove(result_file, ec);
  std::vector<std::string> extra =
      absl::StrSplit(absl::GetFlag(FLAGS_extra), ' ', absl::SkipEmpty());

  std::string load_before = LoadAverage();
  uint64_t start = NowNanos();
  int total_runs = reps * static_cast<int>(engines.size());
  int run = 0;
  for (int rep = 0; rep < reps; rep++) {
    for (size_t k = 0; k < engines.size(); k++) {
      const std::string& engine =
          engines[(k + static_cast<size_t>(rep)) % engines.size()];
      std::string log = (fs::path(root) / "logs" /
                         (engine + "-" + std::to_string(rep + 1) + ".txt"))
                            .string();
      std::vector<std::string> args = {
          db_bench,
          "--engine=" + engine,
          "--benchmarks=" + absl::GetFlag(FLAGS_benchmarks),
          "--num=" + std::to_string(absl::GetFlag(FLAGS_num)),
          "--db=" + (fs::path(root) / engine).string(),
          "--result_file=" + result_file,
      };
      args.insert(args.end(), extra.begin(), extra.end());
      run++;
      std::fprintf(stderr, "[%d/%d] %s, repetition %d (log: %s)\n", run,
                   total_runs, engine.c_str(), rep + 1, log.c_str());
      int rc = RunProcess(args, log);
      if (rc != 0) {
        std::fprintf(stderr,
                     "compare: db_bench for %s failed (status %d); see %s\n",
                     engine.c_str(), rc, log.c_str());
        return 1;
      }
    }
  }
  double minutes = static_cast<double>(NowNanos() - start) / 60e9;
  if (!absl::GetFlag(FLAGS_keep_db)) {
    for (const std::string& e : engines) fs::remove_all(fs::path(root) / e, ec);
  }

  Results results;
  std::vector<std::string> order;
  if (!ParseResults(result_file, &results, &order) || order.empty()) {
    std::fprintf(stderr, "compare: no results in %s\n", result_file.c_str());
    return 1;
  }
  std::string report = Report(engines, results, order, reps, load_before,
                              LoadAverage(), root, minutes);
  std::fputs(report.c_str(), stdout);
  std::string output = absl::GetFlag(FLAGS_output);
  if (!output.empty()) {
    std::ofstream out(output);
    out << report;
    if (!out) {
      std::fprintf(stderr, "compare: cannot write %s\n", output.c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace
}  // namespace kvs::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Compares kvs, LevelDB and RocksDB with db_bench and prints a markdown "
      "table.\n  bazel run -c opt //benchmarks:compare -- --repetitions=3");
  absl::ParseCommandLine(argc, argv);
  return kvs::bench::Main(argv[0]);
}
