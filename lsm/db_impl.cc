// Opening, recovery, closing and introspection of the database.

#include "lsm/db_impl.h"

#include <algorithm>
#include <cinttypes>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "compaction/filename.h"
#include "memtable/write_batch_internal.h"
#include "util/file_util.h"
#include "wal/reader.h"

namespace kvs {

namespace {

// Tables kept open at once, leaving file descriptors for WALs, the MANIFEST and
// the LOG.
size_t TableCacheSize(const Options& options) {
  return TableCache::TablesForMaxOpenFiles(options.max_open_files);
}

TableOptions MakeTableOptions(const Options& options,
                              const InternalKeyComparator* icmp,
                              std::shared_ptr<const FilterPolicy> filter,
                              Cache* block_cache) {
  TableOptions t;
  t.comparator = icmp;
  t.filter_policy = std::move(filter);
  t.block_cache = block_cache;
  t.block_size = options.block_size;
  t.block_restart_interval = options.block_restart_interval;
  t.compression = options.compression;
  return t;
}

}  // namespace

// Collects WAL damage found during recovery: logged, and fatal with
// paranoid_checks.
struct DBImpl::RecoveryReporter : public wal::Reader::Reporter {
  Logger* info_log;
  std::string file;
  absl::Status* status;  // Set to the first damage when paranoid; else null.
  uint64_t dropped = 0;
  void Corruption(size_t bytes, const absl::Status& s) override {
    dropped += bytes;
    Log(info_log, "%s: dropping %zu bytes: %s", file.c_str(), bytes,
        std::string(s.message()).c_str());
    if (status != nullptr && status->ok()) *status = s;
  }
};

DBImpl::DBImpl(const Options& sanitized_options, std::string dbname)
    : dbname_(std::move(dbname)),
      options_(sanitized_options),
      fs_(options_.file_system),
      internal_comparator_(options_.comparator),
      internal_filter_policy_(
          options_.filter_policy
              ? std::make_shared<InternalFilterPolicy>(options_.filter_policy)
              : nullptr),
      block_cache_(options_.block_cache),
      table_options_(MakeTableOptions(options_, &internal_comparator_,
                                      internal_filter_policy_,
                                      block_cache_.get())),
      info_log_(options_.info_log),
      background_work_finished_cv_(&mutex_) {
  std::string dbname_copy = dbname_;
  table_cache_ = std::make_unique<TableCache>(
      fs_,
      [dbname_copy](uint64_t number) {
        return TableFileName(dbname_copy, number);
      },
      table_options_, TableCacheSize(options_));
  MutexLock l(&mutex_);
  versions_ = std::make_unique<VersionSet>(
      dbname_, &options_, fs_, table_cache_.get(), &internal_comparator_);
}

DBImpl::~DBImpl() {
  {
    MutexLock l(&mutex_);
    shutting_down_.store(true, std::memory_order_release);
    while (flush_scheduled_ || compaction_scheduled_) {
      background_work_finished_cv_.Wait();
    }
    // Writers never outlive the DB (they hold it), so the queue is empty here.
    if (log_ != nullptr) {
      log_.reset();
      logfile_->Close().IgnoreError();
      logfile_.reset();
    }
    // Not synced: closing the DB promises no more than the writes did.
    CloseUnsyncedLogsBefore(UINT64_MAX);
    if (mem_ != nullptr) mem_->Unref();
    if (imm_ != nullptr) imm_->Unref();
    mem_ = imm_ = nullptr;
    versions_.reset();
  }
  if (info_log_ != nullptr) Log(info_log_.get(), "closed");
  table_cache_.reset();
  if (db_lock_ != nullptr) fs_->UnlockFile(std::move(db_lock_)).IgnoreError();
}

absl::StatusOr<std::unique_ptr<DB>> DB::Open(const Options& options,
                                             const std::string& path) {
  auto sanitized = SanitizeOptions(options);
  if (!sanitized.ok()) return sanitized.status();
  auto db = std::make_unique<DBImpl>(*sanitized, path);
  absl::Status s = db->OpenAndRecover();
  if (!s.ok()) return s;
  return std::unique_ptr<DB>(std::move(db));
}

absl::Status DBImpl::OpenAndRecover() {
  // Without create_if_missing, leave no trace (directory, LOCK, LOG) where
  // there is no database.
  if (!options_.create_if_missing &&
      !fs_->FileExists(CurrentFileName(dbname_))) {
    return absl::InvalidArgumentError(
        absl::StrCat(dbname_, " does not exist (create_if_missing is false)"));
  }
  absl::Status s = fs_->CreateDir(dbname_);
  if (!s.ok()) return s;
  auto lock = fs_->LockFile(LockFileName(dbname_));
  if (!lock.ok()) return lock.status();
  db_lock_ = std::move(*lock);

  if (info_log_ == nullptr) {
    fs_->RenameFile(InfoLogFileName(dbname_), OldInfoLogFileName(dbname_))
        .IgnoreError();
    auto logger = fs_->NewLogger(InfoLogFileName(dbname_));
    if (logger.ok()) info_log_ = std::move(*logger);  // Else run without a LOG.
  }

  uint64_t open_start = fs_->NowMicros();
  if (!fs_->FileExists(CurrentFileName(dbname_))) {
    if (!options_.create_if_missing) {
      return absl::InvalidArgumentError(absl::StrCat(
          dbname_, " does not exist (create_if_missing is false)"));
    }
    // A directory with tables or WALs but no CURRENT is a damaged database, not
    // a missing one: creating a new database over it would delete its data as
    // garbage. (A MANIFEST alone is what a crash in the middle of creating a
    // database leaves; it holds no data.)
    auto children = fs_->GetChildren(dbname_);
    if (!children.ok()) return children.status();
    for (const std::string& name : *children) {
      uint64_t number;
      FileType type;
      if (ParseFileName(name, &number, &type) &&
          (type == FileType::kTableFile || type == FileType::kLogFile)) {
        return absl::DataLossError(
            absl::StrCat(dbname_, " holds database files (", name,
                         ") but no CURRENT file; RepairDB can rebuild it"));
      }
    }
    s = NewDB();
    if (!s.ok()) return s;
    Log(info_log_.get(), "created a new database in %s", dbname_.c_str());
  } else if (options_.error_if_exists) {
    return absl::InvalidArgumentError(
        absl::StrCat(dbname_, " exists (error_if_exists is true)"));
  }

  MutexLock l(&mutex_);
  s = versions_->Recover();
  if (!s.ok()) return s;

  // Every table the MANIFEST names must exist; collect the WALs to replay.
  auto children = fs_->GetChildren(dbname_);
  if (!children.ok()) return children.status();
  std::set<uint64_t> expected;
  versions_->AddLiveFiles(&expected);
  std::vector<uint64_t> logs;
  for (const std::string& name : *children) {
    uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type)) continue;
    if (type == FileType::kTableFile) expected.erase(number);
    if (type == FileType::kLogFile && number >= versions_->LogNumber()) {
      logs.push_back(number);
    }
  }
  if (!expected.empty()) {
    return absl::DataLossError(
        absl::StrCat(expected.size(), " table files are missing, e.g. ",
                     TableFileName(dbname_, *expected.begin())));
  }

  std::sort(logs.begin(), logs.end());
  VersionEdit edit;
  SequenceNumber max_sequence = versions_->LastSequence();
  SequenceNumber next_sequence = 0;
  bool gap = false;
  for (uint64_t log_number : logs) {
    versions_->MarkFileNumberUsed(log_number);
    if (gap) {
      // Beyond a lost tail: replaying it would not be a prefix of the writes.
      // It becomes obsolete below, like the replayed ones.
      Log(info_log_.get(), "not replaying WAL #%" PRIu64 ": it follows a gap",
          log_number);
      continue;
    }
    s = RecoverLogFile(log_number, &edit, &max_sequence, &next_sequence, &gap);
    if (!s.ok()) return s;
  }
  if (versions_->LastSequence() < max_sequence) {
    versions_->SetLastSequence(max_sequence);
  }

  // Continue with a fresh WAL: the recovered data is in level 0 now, so the
  // MANIFEST can say that no older WAL is needed.
  uint64_t new_log = versions_->NewFileNumber();
  s = SwitchToNewLog(new_log);
  if (!s.ok()) return s;
  edit.SetLogNumber(new_log);
  s = versions_->LogAndApply(&edit, &mutex_);
  ReleasePendingOutputs(edit);
  if (!s.ok()) return s;
  mem_ = new MemTable(internal_comparator_);
  mem_->Ref();
  RemoveObsoleteFiles();
  MaybeScheduleCompaction();
  Log(info_log_.get(),
      "opened %s: %zu WALs replayed, last sequence %" PRIu64
      ", %d level-0 files, in %" PRIu64 " us",
      dbname_.c_str(), logs.size(), versions_->LastSequence(),
      versions_->NumLevelFiles(0), fs_->NowMicros() - open_start);
  return absl::OkStatus();
}

absl::Status DBImpl::NewDB() {
  VersionEdit edit;
  edit.SetComparatorName(internal_comparator_.user_comparator()->Name());
  edit.SetLogNumber(0);
  edit.SetNextFileNumber(2);
  edit.SetLastSequence(0);

  const uint64_t manifest_number = 1;
  std::string manifest = DescriptorFileName(dbname_, manifest_number);
  absl::Status s;
  {
    auto file = fs_->NewWritableFile(manifest);
    if (!file.ok()) return file.status();
    wal::Writer log(file->get(), 0);
    std::string record;
    edit.EncodeTo(&record);
    s = log.AddRecord(record);
    if (s.ok()) s = log.Sync();
    if (s.ok()) s = (*file)->Close();
  }
  if (s.ok()) s = SetCurrentFile(fs_, dbname_, manifest_number);
  if (!s.ok()) fs_->RemoveFile(manifest).IgnoreError();
  return s;
}

absl::Status DBImpl::RecoverLogFile(uint64_t log_number, VersionEdit* edit,
                                    SequenceNumber* max_sequence,
                                    SequenceNumber* next_sequence, bool* gap) {
  std::string fname = LogFileName(dbname_, log_number);
  auto file = fs_->NewSequentialFile(fname);
  if (!file.ok()) return file.status();

  absl::Status damage;
  RecoveryReporter reporter;
  reporter.info_log = info_log_.get();
  reporter.file = fname;
  reporter.status = options_.paranoid_checks ? &damage : nullptr;
  wal::Reader reader(file->get(), &reporter, /*verify_checksums=*/true,
                     /*allocated_ahead=*/true);
  Log(info_log_.get(), "recovering WAL %s", fname.c_str());

  std::string_view record;
  std::string scratch;
  WriteBatch batch;
  MemTable* mem = nullptr;
  uint64_t records = 0;
  bool opened = false;  // The WAL's first record has been checked.
  absl::Status s;
  while (reader.ReadRecord(&record, &scratch) && damage.ok()) {
    s = WriteBatchInternal::SetContents(&batch, record);
    if (s.ok()) s = WriteBatchInternal::Validate(batch);
    if (!s.ok()) {
      // The checksum matched but the batch does not parse: written damaged.
      reporter.Corruption(record.size(), s);
      s = absl::OkStatus();
      continue;
    }
    const SequenceNumber sequence = WriteBatchInternal::Sequence(batch);
    // A WAL's first record (its opening record, or its first batch if the
    // opening record was lost or the WAL predates them) must continue where
    // the WAL before it ended. If not, that WAL's tail was lost (it was not
    // synced when the power went), and nothing from here on may be replayed.
    const bool first = !opened;
    opened = true;
    if (first && *next_sequence != 0 && sequence != *next_sequence) {
      Log(info_log_.get(),
          "%s starts at sequence %" PRIu64
          " but the WAL before it ends before %" PRIu64
          ": that WAL lost its tail; stopping here",
          fname.c_str(), sequence, *next_sequence);
      *gap = true;
      break;
    }
    if (WriteBatchInternal::Count(batch) == 0) {
      if (first) *next_sequence = sequence;  // Only a first record opens.
      continue;
    }
    if (mem == nullptr) {
      mem = new MemTable(internal_comparator_);
      mem->Ref();
    }
    *next_sequence = sequence + WriteBatchInternal::Count(batch);
    s = WriteBatchInternal::InsertInto(batch, mem);
    if (!s.ok()) break;
    records++;
    SequenceNumber last = WriteBatchInternal::Sequence(batch) +
                          WriteBatchInternal::Count(batch) - 1;
    if (WriteBatchInternal::Count(batch) > 0 && last > *max_sequence) {
      *max_sequence = last;
    }
    if (mem->ApproximateMemoryUsage() > options_.write_buffer_size) {
      s = WriteLevel0Table(mem, edit);
      mem->Unref();
      mem = nullptr;
      if (!s.ok()) break;
    }
  }
  if (s.ok()) s = reader.status();
  if (s.ok() && !damage.ok()) {
    s = absl::DataLossError(absl::StrCat(fname, ": ", damage.message(),
                                         " (paranoid_checks is on)"));
  }
  if (s.ok() && mem != nullptr) s = WriteLevel0Table(mem, edit);
  if (mem != nullptr) mem->Unref();
  Log(info_log_.get(),
      "recovered %" PRIu64 " batches from %s, dropped %" PRIu64
      " damaged bytes, %" PRIu64 " torn-tail bytes: %s",
      records, fname.c_str(), reporter.dropped, reader.TornTailBytes(),
      s.ToString().c_str());
  return s;
}

absl::Status DBImpl::SwitchToNewLog(uint64_t number) {
  // The old WAL is not synced here. Its unsynced tail may then be lost in a
  // power loss while later writes in the new WAL survive; the new WAL's opening
  // record lets recovery see that gap and stop before it, so the recovered
  // state stays a prefix of the write order. A sync write syncs the old WALs
  // first (WriteInternal), so it never lands beyond such a gap.
  auto file = fs_->NewLogFile(LogFileName(dbname_, number));
  if (!file.ok()) return file.status();
  absl::Status s = fs_->SyncDir(dbname_);
  if (!s.ok()) {
    (*file)->Close().IgnoreError();
    fs_->RemoveFile(LogFileName(dbname_, number)).IgnoreError();
    return s;
  }
  if (logfile_ != nullptr) {
    log_.reset();
    unsynced_logs_.emplace_back(logfile_number_, std::move(logfile_));
  }
  logfile_ = std::move(*file);
  logfile_number_ = number;
  log_ = std::make_unique<wal::Writer>(logfile_.get(), 0);
  // The opening record: an empty batch carrying the first sequence this WAL
  // can hold (docs/format.md, "Write-ahead log").
  WriteBatch opening;
  WriteBatchInternal::SetSequence(&opening, versions_->LastSequence() + 1);
  return log_->AddRecord(WriteBatchInternal::Contents(opening));
}

void DBImpl::CloseUnsyncedLogsBefore(uint64_t number) {
  std::erase_if(unsynced_logs_, [number](auto& log) {
    if (log.first >= number) return false;
    log.second->Close().IgnoreError();
    return true;
  });
}

bool DBImpl::GetProperty(std::string_view property, std::string* value) {
  value->clear();
  MutexLock l(&mutex_);
  constexpr std::string_view kFilesAtLevel = "kvs.num-files-at-level";
  if (property.starts_with(kFilesAtLevel)) {
    std::string_view digits = property.substr(kFilesAtLevel.size());
    if (digits.empty() || digits.size() > 2) return false;
    int level = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return false;
      level = level * 10 + (c - '0');
    }
    if (level >= versions_->NumLevels()) return false;
    *value = absl::StrCat(versions_->NumLevelFiles(level));
    return true;
  }
  if (property == "kvs.stats") {
    *value = StatsString();
    return true;
  }
  if (property == "kvs.approximate-memory-usage") {
    size_t total = block_cache_->GetStats().usage;
    if (mem_ != nullptr) total += mem_->ApproximateMemoryUsage();
    if (imm_ != nullptr) total += imm_->ApproximateMemoryUsage();
    *value = absl::StrCat(total);
    return true;
  }
  if (property == "kvs.sstables") {
    *value = versions_->current()->DebugString();
    return true;
  }
  return false;
}

std::string DBImpl::StatsString() {
  std::string r;
  absl::StrAppendFormat(&r, "%-5s %6s %10s %7s %6s %10s %10s %8s %9s\n",
                        "level", "files", "size(MB)", "score", "comps",
                        "read(MB)", "write(MB)", "time(s)", "in/out");
  const Version* v = versions_->current();
  const Stats& s = stats_;
  uint64_t table_bytes = 0;
  uint64_t compaction_bytes = 0;
  for (int level = 0; level < versions_->NumLevels(); level++) {
    uint64_t bytes = v->LevelBytes(level);
    table_bytes += bytes;
    double score =
        level == 0
            ? v->NumFiles(0) / static_cast<double>(
                                   options_.level0_file_num_compaction_trigger)
            : bytes / versions_->MaxBytesForLevel(level);
    const Stats::Compactions& c = s.compactions[level];
    compaction_bytes += c.bytes_written;
    absl::StrAppendFormat(
        &r, "%-5d %6d %10.2f %7.2f %6d %10.2f %10.2f %8.2f %4d/%-4d\n", level,
        v->NumFiles(level), bytes / 1048576.0, score, c.count,
        c.bytes_read / 1048576.0, c.bytes_written / 1048576.0, c.micros / 1e6,
        c.files_in, c.files_out);
  }
  uint64_t trivial_moves = 0;
  for (const auto& c : s.compactions) trivial_moves += c.trivial_moves;
  double write_amp =
      s.user_bytes_written == 0
          ? 0
          : static_cast<double>(s.flush_bytes + compaction_bytes) /
                s.user_bytes_written;
  absl::StrAppendFormat(
      &r,
      "writes: %d in %d groups, %d syncs, user bytes %d, WAL bytes %d\n"
      "flushes: %d, bytes %d, time %.3f s\n"
      "compactions: bytes written %d, trivial moves %d\n"
      "stalls: memtable %d, level-0 slowdowns %d, level-0 stops %d, total "
      "stall time %.3f s\n"
      "write amplification ((flush + compaction bytes) / user bytes): %.2f\n"
      "table bytes: %d\n",
      s.writes, s.write_groups, s.syncs, s.user_bytes_written,
      s.wal_bytes_written, s.flushes, s.flush_bytes, s.flush_micros / 1e6,
      compaction_bytes, trivial_moves, s.memtable_stalls, s.level0_slowdowns,
      s.level0_stops, s.stall_micros / 1e6, write_amp, table_bytes);
  return r;
}

absl::Status DestroyDB(const std::string& path, const Options& options) {
  FileSystem* fs =
      options.file_system ? options.file_system : DefaultFileSystem();
  auto children = fs->GetChildren(path);
  if (!children.ok()) {
    // Nothing to destroy.
    return absl::IsNotFound(children.status()) ? absl::OkStatus()
                                               : children.status();
  }
  std::string lock_name = LockFileName(path);
  auto lock = fs->LockFile(lock_name);
  if (!lock.ok()) return lock.status();
  absl::Status result;
  for (const std::string& name : *children) {
    uint64_t number;
    FileType type;
    if (ParseFileName(name, &number, &type) && type != FileType::kLockFile) {
      absl::Status s = fs->RemoveFile(path + "/" + name);
      if (result.ok() && !s.ok()) result = s;
    }
  }
  fs->UnlockFile(std::move(*lock)).IgnoreError();
  fs->RemoveFile(lock_name).IgnoreError();
  fs->RemoveDir(path)
      .IgnoreError();  // Fails if the user left files of their own.
  return result;
}

}  // namespace kvs
