#include "tests/crash/crash_harness.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
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
#include "util/coding.h"
#include "util/posix_file_system.h"
#include "util/random.h"

namespace kvs::crash_testing {
namespace {

using Clock = std::chrono::steady_clock;

// Enough work that a child is almost always killed before it runs out.
constexpr size_t kOpsPerCycle = 40000;

struct Entry {
  uint32_t key;
  uint64_t version;  // Unique over the whole run; a delete consumes one too.
  bool is_delete;
  uint32_t padding;
};

enum class OpKind : uint8_t { kWrite, kFlush, kCompactRange };

struct Op {
  OpKind kind = OpKind::kWrite;
  bool batch = false;  // Through DB::Write, even with one entry.
  bool sync = false;
  std::vector<Entry> entries;
  uint32_t range_begin = 0, range_end = 0;  // kCompactRange.
};

// The state the parent believes each key has: the version of the value, or
// nullopt for absent.
using KeyStates = std::vector<std::optional<uint64_t>>;

// Small memtables, tables and level targets, so that a cycle of a few hundred
// milliseconds flushes and compacts several times.
Options CrashOptions(FileSystem* fs) {
  Options o;
  o.create_if_missing = true;
  o.file_system = fs;
  o.write_buffer_size = 64 << 10;
  o.max_file_size = 64 << 10;
  o.max_bytes_for_level_base = 128 << 10;
  o.max_bytes_for_level_multiplier = 4;
  o.level0_file_num_compaction_trigger = 2;
  o.level0_slowdown_writes_trigger = 6;
  o.level0_stop_writes_trigger = 10;
  o.block_size = 1024;
  o.num_levels = 5;
  return o;
}

std::string OpString(const Op& op) {
  switch (op.kind) {
    case OpKind::kFlush:
      return "Flush";
    case OpKind::kCompactRange:
      return absl::StrCat("CompactRange(", KeyName(op.range_begin), ", ",
                          KeyName(op.range_end), ")");
    case OpKind::kWrite:
      break;
  }
  std::string s = op.batch ? "Batch{" : "";
  for (size_t i = 0; i < op.entries.size(); ++i) {
    const Entry& e = op.entries[i];
    absl::StrAppend(&s, i ? ", " : "", e.is_delete ? "Delete(" : "Put(",
                    KeyName(e.key),
                    e.is_delete ? "" : absl::StrCat(" @", e.version), ")");
  }
  if (op.batch) s += "}";
  if (op.sync) s += " sync";
  return s;
}

std::string StateString(const std::optional<uint64_t>& v) {
  return v ? absl::StrCat("version ", *v) : "absent";
}

// Each writer thread of the child gets its own list, on its own keys (k with
// k % writer_threads == thread), so that every thread has at most one
// operation in flight and the threads' in-flight operations never overlap.
using ThreadOps = std::vector<std::vector<Op>>;

Op GenerateOp(const CrashTestConfig& config, int thread, Random* rnd,
              uint64_t* next_version) {
  Op op;
  if (rnd->OneIn(4000)) {
    op.kind = OpKind::kFlush;
    return op;
  }
  if (rnd->OneIn(4000)) {
    op.kind = OpKind::kCompactRange;
    op.range_begin = static_cast<uint32_t>(rnd->Uniform(config.num_keys));
    op.range_end =
        op.range_begin +
        static_cast<uint32_t>(rnd->Uniform(config.num_keys - op.range_begin));
    return op;
  }
  op.sync = rnd->OneIn(config.sync_one_in);
  const uint64_t r = rnd->Uniform(100);
  int n = 1;
  if (r >= 75) {
    op.batch = true;
    n = 1 + static_cast<int>(rnd->Uniform(10));
  }
  for (int i = 0; i < n; ++i) {
    Entry e;
    const int threads = config.writer_threads;
    e.key = static_cast<uint32_t>(
        thread +
        threads *
            rnd->Uniform((config.num_keys - thread + threads - 1) / threads));
    e.version = (*next_version)++;
    // Deletes are rarer than puts, so the database keeps filling up.
    e.is_delete = op.batch ? rnd->OneIn(4) : (r >= 60);
    // Some large values, so that WAL records span blocks and a kill can
    // tear one in the middle.
    e.padding = rnd->OneIn(50)
                    ? static_cast<uint32_t>(1000 + rnd->Uniform(40000))
                    : static_cast<uint32_t>(rnd->Uniform(200));
    op.entries.push_back(e);
  }
  return op;
}

ThreadOps GenerateOps(const CrashTestConfig& config, Random* rnd,
                      uint64_t* next_version) {
  ThreadOps ops(config.writer_threads);
  for (int t = 0; t < config.writer_threads; ++t) {
    for (size_t i = 0; i < kOpsPerCycle / config.writer_threads; ++i) {
      ops[t].push_back(GenerateOp(config, t, rnd, next_version));
    }
  }
  return ops;
}

void Apply(const Op& op, KeyStates* states) {
  for (const Entry& e : op.entries) {
    (*states)[e.key] =
        e.is_delete ? std::nullopt : std::optional<uint64_t>(e.version);
  }
}

// --- The child ---

// Type byte, thread byte and a fixed64 op index. Smaller than PIPE_BUF, so the
// writes of different threads never interleave.
constexpr size_t kReportSize = 10;

void SendReport(int fd, char type, int thread, uint64_t index) {
  char buf[kReportSize];
  buf[0] = type;
  buf[1] = static_cast<char>(thread);
  EncodeFixed64(buf + 2, index);
  size_t done = 0;
  while (done < kReportSize) {
    ssize_t n = write(fd, buf + done, kReportSize - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(4);  // The parent is gone.
    done += static_cast<size_t>(n);
  }
}

absl::Status ApplyToDB(DB* db, const Op& op) {
  switch (op.kind) {
    case OpKind::kFlush:
      return db->Flush();
    case OpKind::kCompactRange: {
      std::string begin = KeyName(op.range_begin), end = KeyName(op.range_end);
      std::string_view b = begin, e = end;
      return db->CompactRange(&b, &e);
    }
    case OpKind::kWrite:
      break;
  }
  WriteOptions wo;
  wo.sync = op.sync;
  if (!op.batch) {
    const Entry& e = op.entries[0];
    std::string key = KeyName(e.key);
    if (e.is_delete) return db->Delete(wo, key);
    return db->Put(wo, key, MakeValue(key, e.version, e.padding));
  }
  WriteBatch batch;
  for (const Entry& e : op.entries) {
    std::string key = KeyName(e.key);
    if (e.is_delete) {
      batch.Delete(key);
    } else {
      batch.Put(key, MakeValue(key, e.version, e.padding));
    }
  }
  return db->Write(wo, &batch);
}

// Never returns. _exit, not exit: the child must not run the parent's atexit
// handlers or flush stdio buffers it inherited.
void RunWriter(DB* db, const std::vector<Op>& ops, int thread, int fd) {
  for (uint64_t i = 0; i < ops.size(); ++i) {
    SendReport(fd, 'A', thread, i);
    absl::Status s = ApplyToDB(db, ops[i]);
    if (!s.ok()) {
      std::fprintf(stderr, "crash test child: %s failed: %s\n",
                   OpString(ops[i]).c_str(), s.ToString().c_str());
      _exit(3);
    }
    SendReport(fd, 'K', thread, i);
  }
}

[[noreturn]] void RunChild(const CrashTestConfig& config, const ThreadOps& ops,
                           int fd) {
  std::unique_ptr<FileSystem> fs = NewPosixFileSystem();
  absl::StatusOr<std::unique_ptr<DB>> db =
      DB::Open(CrashOptions(fs.get()), config.dir);
  if (!db.ok()) {
    std::fprintf(stderr, "crash test child: open failed: %s\n",
                 db.status().ToString().c_str());
    _exit(3);
  }
  SendReport(fd, 'R', 0, 0);
  // Several writers exercise group commit: a kill may land while one
  // thread's WAL record carries other threads' batches too.
  std::vector<std::thread> threads;
  for (int t = 1; t < config.writer_threads; ++t) {
    threads.emplace_back(RunWriter, db->get(), std::cref(ops[t]), t, fd);
  }
  RunWriter(db->get(), ops[0], 0, fd);
  for (std::thread& t : threads) t.join();
  db->reset();
  fs.reset();
  _exit(0);
}

// --- The parent ---

struct CycleResult {
  bool killed = false;
  bool ready = false;
  // Per writer thread: the op attempted and not acknowledged, if any.
  std::vector<std::optional<uint64_t>> in_flight;
};

absl::Status Errno(std::string_view what) {
  return absl::InternalError(absl::StrCat(
      absl::string_view(what.data(), what.size()), ": ", std::strerror(errno)));
}

// Forks the child, follows its reports (updating model with every
// acknowledged op) and kills it at a random moment.
absl::StatusOr<CycleResult> RunChildCycle(const CrashTestConfig& config,
                                          const ThreadOps& ops, Random* rnd,
                                          KeyStates* model,
                                          CrashTestSummary* summary) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Errno("pipe");
  const bool kill_early = rnd->OneIn(config.kill_early_one_in);
  const auto early_delay =
      std::chrono::microseconds(rnd->Uniform(config.kill_early_ms * 1000 + 1));
  const auto ready_delay = std::chrono::microseconds(
      rnd->Uniform(config.max_kill_delay_ms * 1000 + 1));
  std::fflush(nullptr);  // Nothing buffered may be written twice.
  const pid_t pid = fork();
  if (pid < 0) return Errno("fork");
  if (pid == 0) {
    close(fds[0]);
    RunChild(config, ops, fds[1]);
  }
  close(fds[1]);
  const int rfd = fds[0];

  CycleResult result;
  result.in_flight.resize(config.writer_threads);
  std::vector<uint64_t> next_expected(config.writer_threads, 0);
  std::optional<Clock::time_point> deadline;
  if (kill_early) deadline = Clock::now() + early_delay;
  const Clock::time_point give_up = Clock::now() + std::chrono::seconds(120);
  std::string pending;  // Bytes of a partly read report.
  bool eof = false;
  absl::Status error;
  while (!eof) {
    int timeout_ms = 1000;
    if (!result.killed && deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *deadline - Clock::now());
      timeout_ms = static_cast<int>(std::max<int64_t>(0, left.count()));
    }
    pollfd p = {rfd, POLLIN, 0};
    int n = poll(&p, 1, timeout_ms);
    if (n < 0 && errno != EINTR) {
      error = Errno("poll");
      break;
    }
    if (n > 0) {
      char buf[4096];
      ssize_t got = read(rfd, buf, sizeof(buf));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        error = Errno("read");
        break;
      }
      if (got == 0) {
        eof = true;
      } else {
        pending.append(buf, static_cast<size_t>(got));
      }
      size_t pos = 0;
      for (; pos + kReportSize <= pending.size(); pos += kReportSize) {
        const char type = pending[pos];
        const int t = static_cast<unsigned char>(pending[pos + 1]);
        const uint64_t index = DecodeFixed64(pending.data() + pos + 2);
        const bool known_thread = t < config.writer_threads;
        if (type == 'R') {
          result.ready = true;
          if (!deadline) deadline = Clock::now() + ready_delay;
        } else if (type == 'A' && known_thread && index == next_expected[t] &&
                   !result.in_flight[t]) {
          result.in_flight[t] = index;
          summary->ops_attempted++;
        } else if (type == 'K' && known_thread &&
                   result.in_flight[t] == index) {
          result.in_flight[t].reset();
          next_expected[t] = index + 1;
          Apply(ops[t][index], model);
          summary->ops_acknowledged++;
          if (ops[t][index].sync) summary->sync_ops_acknowledged++;
        } else {
          error = absl::InternalError(
              absl::StrCat("unexpected report '", std::string(1, type), "' ", t,
                           "/", index, " from the child"));
        }
      }
      pending.erase(0, pos);
    }
    if (!result.killed && deadline && Clock::now() >= *deadline) {
      kill(pid, SIGKILL);
      result.killed = true;
    }
    if (!result.killed && Clock::now() > give_up) {
      kill(pid, SIGKILL);
      result.killed = true;
      error = absl::InternalError("the child never became ready");
    }
  }
  close(rfd);
  if (!eof) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Errno("waitpid");
  }
  if (!error.ok()) return error;
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && result.killed) {
    summary->kills++;
    if (!result.ready) summary->kills_before_ready++;
    return result;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    summary->clean_exits++;
    result.killed = false;
    return result;
  }
  return absl::InternalError(absl::StrCat(
      "the writer child failed: ",
      WIFEXITED(status) ? absl::StrCat("exit status ", WEXITSTATUS(status))
                        : absl::StrCat("signal ", WTERMSIG(status)),
      " (see its message above)"));
}

// Reads every key point-wise and by iteration in both directions; the
// observed state or DataLoss for an undecodable value or a disagreement.
absl::StatusOr<KeyStates> ReadState(DB* db, const CrashTestConfig& config,
                                    CrashTestSummary* summary) {
  KeyStates observed(config.num_keys);
  for (int k = 0; k < config.num_keys; ++k) {
    const std::string key = KeyName(k);
    absl::StatusOr<std::string> value = db->Get(ReadOptions(), key);
    if (absl::IsNotFound(value.status())) continue;
    if (!value.ok()) {
      return absl::DataLossError(
          absl::StrCat("Get(", key, "): ", value.status().ToString()));
    }
    absl::StatusOr<uint64_t> version = CheckValue(key, *value);
    if (!version.ok()) return version.status();
    observed[k] = *version;
    summary->keys_verified++;
  }
  for (bool forward : {true, false}) {
    std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
    if (forward) {
      it->SeekToFirst();
    } else {
      it->SeekToLast();
    }
    size_t seen = 0;
    std::optional<uint64_t> last;
    for (; it->Valid(); forward ? it->Next() : it->Prev()) {
      uint64_t k;
      if (!ParseKeyName(it->key(), &k) || k >= observed.size()) {
        return absl::DataLossError(absl::StrCat(
            "iterator yields unknown key '",
            absl::string_view(it->key().data(), it->key().size()), "'"));
      }
      if (last && (forward ? k <= *last : k >= *last)) {
        return absl::DataLossError(absl::StrCat(
            "iterator out of order: ", KeyName(*last), " then ", KeyName(k)));
      }
      last = k;
      absl::StatusOr<uint64_t> version = CheckValue(it->key(), it->value());
      if (!version.ok()) return version.status();
      if (observed[k] != *version) {
        return absl::DataLossError(
            absl::StrCat(forward ? "forward" : "backward", " iteration finds ",
                         KeyName(k), " at version ", *version,
                         " but Get finds it ", StateString(observed[k])));
      }
      seen++;
      summary->entries_scanned++;
    }
    if (!it->status().ok()) {
      return absl::DataLossError(
          absl::StrCat("iterator: ", it->status().ToString()));
    }
    size_t present = 0;
    for (const auto& v : observed) present += v.has_value();
    if (seen != present) {
      return absl::DataLossError(absl::StrCat(forward ? "forward" : "backward",
                                              " iteration finds ", seen,
                                              " keys but Get finds ", present));
    }
  }
  return observed;
}

// Checks observed against the model, allowing each thread's in-flight op to
// be wholly applied or wholly absent (their keys are disjoint); updates the
// model to what was observed.
absl::Status Reconcile(int cycle, const KeyStates& observed,
                       const ThreadOps& ops,
                       const std::vector<std::optional<uint64_t>>& in_flight,
                       KeyStates* model, CrashTestSummary* summary) {
  KeyStates with_in_flight = *model;
  // For each key, the writer thread whose in-flight op touches it, or -1.
  std::vector<int> owner(model->size(), -1);
  std::vector<const Op*> pending(in_flight.size(), nullptr);
  for (size_t t = 0; t < in_flight.size(); ++t) {
    if (!in_flight[t]) continue;
    pending[t] = &ops[t][*in_flight[t]];
    Apply(*pending[t], &with_in_flight);
    for (const Entry& e : pending[t]->entries)
      owner[e.key] = static_cast<int>(t);
  }
  std::vector<int> applied(in_flight.size(), 0),
      not_applied(in_flight.size(), 0);
  for (size_t k = 0; k < model->size(); ++k) {
    const auto& want = (*model)[k];
    const auto& seen = observed[k];
    const int t = owner[k];
    // A key the in-flight op leaves as it was (a delete of an absent key)
    // says nothing about whether the op was applied.
    const bool as_before = seen == want;
    const bool as_after = t >= 0 && seen == with_in_flight[k];
    if (as_before || as_after) {
      if (as_before && !as_after && t >= 0) not_applied[t]++;
      if (as_after && !as_before) applied[t]++;
      continue;
    }
    std::string allowed = StateString(want);
    if (t >= 0) {
      absl::StrAppend(&allowed, " or, with the in-flight ",
                      OpString(*pending[t]), ", ",
                      StateString(with_in_flight[k]));
    }
    return absl::DataLossError(
        absl::StrCat("cycle ", cycle, ": key ", KeyName(k), " is ",
                     StateString(seen), ", expected ", allowed));
  }
  for (size_t t = 0; t < in_flight.size(); ++t) {
    if (pending[t] == nullptr || pending[t]->entries.empty()) continue;
    if (applied[t] > 0 && not_applied[t] > 0) {
      std::string detail;
      for (const Entry& e : pending[t]->entries) {
        absl::StrAppend(&detail, "\n  ", KeyName(e.key), ": before ",
                        StateString((*model)[e.key]), ", after ",
                        StateString(with_in_flight[e.key]), ", found ",
                        StateString(observed[e.key]));
      }
      return absl::DataLossError(
          absl::StrCat("cycle ", cycle, ": in-flight ", OpString(*pending[t]),
                       " is partly applied (", applied[t], " keys applied, ",
                       not_applied[t], " not)", detail));
    }
    if (applied[t] > 0) {
      summary->in_flight_applied++;
    } else {
      summary->in_flight_not_applied++;
    }
  }
  *model = observed;
  return absl::OkStatus();
}

absl::Status VerifyCycle(int cycle, const CrashTestConfig& config,
                         const ThreadOps& ops,
                         const std::vector<std::optional<uint64_t>>& in_flight,
                         KeyStates* model, CrashTestSummary* summary) {
  // A private file system, destroyed (and its threads joined) before the next
  // fork: a child must not inherit a scheduler whose threads it lacks.
  std::unique_ptr<FileSystem> fs = NewPosixFileSystem();
  Options options = CrashOptions(fs.get());
  // A killed process leaves at most a torn WAL tail, which is not damage:
  // even the strict recovery must accept what it left.
  options.paranoid_checks = cycle % 2 == 1;
  absl::StatusOr<std::unique_ptr<DB>> db = DB::Open(options, config.dir);
  if (!db.ok()) {
    return absl::DataLossError(
        absl::StrCat("cycle ", cycle, ": reopen",
                     options.paranoid_checks ? " (paranoid)" : "",
                     " failed: ", db.status().ToString()));
  }
  absl::StatusOr<KeyStates> observed = ReadState(db->get(), config, summary);
  if (!observed.ok()) {
    return absl::DataLossError(
        absl::StrCat("cycle ", cycle, ": ", observed.status().message()));
  }
  absl::Status s = Reconcile(cycle, *observed, ops, in_flight, model, summary);
  if (!s.ok()) return s;
  summary->files_per_level.clear();
  std::string n;
  for (int level = 0;
       (*db)->GetProperty(absl::StrCat("kvs.num-files-at-level", level), &n);
       ++level) {
    absl::StrAppend(&summary->files_per_level, level ? " " : "", n);
  }
  auto* impl = static_cast<DBImpl*>(db->get());
  s = impl->WaitForBackgroundWork();
  if (s.ok()) s = impl->CheckInvariants();
  if (!s.ok()) {
    return absl::DataLossError(
        absl::StrCat("cycle ", cycle, ": after reopen: ", s.ToString()));
  }
  return absl::OkStatus();
}

}  // namespace

std::string CrashTestSummary::ToString() const {
  return absl::StrCat(
      "crash test: ", cycles, " cycles (", kills, " kills, ",
      kills_before_ready, " before the database was open, ", clean_exits,
      " clean exits), ", ops_attempted, " ops attempted, ", ops_acknowledged,
      " ops acknowledged (", sync_ops_acknowledged, " synced), in-flight ops ",
      in_flight_applied, " applied / ", in_flight_not_applied, " not applied, ",
      keys_verified, " keys verified, ", entries_scanned,
      " iterator entries checked, tables per level at the end: ",
      files_per_level);
}

absl::StatusOr<CrashTestSummary> RunCrashTest(const CrashTestConfig& config) {
  if (config.writer_threads < 1 || config.writer_threads > 64 ||
      config.num_keys < 2 * config.writer_threads || config.cycles < 0 ||
      config.sync_one_in < 1 || config.max_kill_delay_ms < 0 ||
      config.kill_early_ms < 0 || config.kill_early_one_in < 1) {
    return absl::InvalidArgumentError("bad crash test configuration");
  }
  if (config.destroy_first) {
    std::unique_ptr<FileSystem> fs = NewPosixFileSystem();
    absl::Status s = DestroyDB(config.dir, CrashOptions(fs.get()));
    if (!s.ok()) return s;
  }
  CrashTestSummary summary;
  Random rnd(config.seed);
  KeyStates model(config.num_keys);
  uint64_t next_version = 1;
  for (int cycle = 0; cycle < config.cycles; ++cycle) {
    const ThreadOps ops = GenerateOps(config, &rnd, &next_version);
    absl::StatusOr<CycleResult> result =
        RunChildCycle(config, ops, &rnd, &model, &summary);
    if (!result.ok()) {
      return absl::Status(
          result.status().code(),
          absl::StrCat("cycle ", cycle, ": ", result.status().message()));
    }
    absl::Status s =
        VerifyCycle(cycle, config, ops, result->in_flight, &model, &summary);
    if (!s.ok()) return s;
    summary.cycles++;
    if (config.verbose) {
      std::fprintf(stderr, "cycle %d: %s\n", cycle, summary.ToString().c_str());
    }
  }
  return summary;
}

}  // namespace kvs::crash_testing
