// RepairDB: rebuilds a database's MANIFEST from the tables and WALs in its
// directory, for when the MANIFEST or CURRENT is lost or damaged.
//
// 1. Each table is opened and scanned in full, with checksums: that yields its
//    key range and sequence numbers, and proves it readable. Tables that fail
//    go to the lost/ subdirectory.
// 2. Each WAL is replayed (skipping damaged records) into new tables, which
//    are scanned the same way.
// 3. A new MANIFEST lists every good table at level 0, with next-file number
//    and last sequence beyond everything seen; CURRENT is pointed at it. Old
//    MANIFESTs and the replayed WALs go to lost/.
// 4. Level-0 lookups search files by descending number and stop at the first
//    that holds the key. That is right only when, of two tables whose key
//    ranges overlap, the higher-numbered one holds only newer updates; after a
//    crash mid-compaction (or with stale WALs) that need not hold, so the
//    repaired database is then compacted once, which merges by sequence number.
// Everything done is written to the LOG.

#include <algorithm>
#include <cinttypes>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "compaction/filename.h"
#include "compaction/version_edit.h"
#include "lsm/db.h"
#include "lsm/db_impl.h"
#include "memtable/internal_key.h"
#include "memtable/memtable.h"
#include "memtable/write_batch_internal.h"
#include "sstable/table.h"
#include "sstable/table_builder.h"
#include "util/file_util.h"
#include "wal/reader.h"
#include "wal/writer.h"

namespace kvs {
namespace {

constexpr char kLostDir[] = "lost";

// What a full scan of a good table found.
struct TableInfo {
  FileMetaData meta;
  SequenceNumber min_sequence = kMaxSequenceNumber;
  SequenceNumber max_sequence = 0;
  uint64_t entries = 0;
};

class Repairer {
 public:
  Repairer(std::string dbname, const Options& options)
      : dbname_(std::move(dbname)),
        options_(options),
        fs_(options.file_system),
        icmp_(options.comparator),
        filter_(options.filter_policy ? std::make_shared<InternalFilterPolicy>(
                                            options.filter_policy)
                                      : nullptr) {
    table_options_.comparator = &icmp_;
    table_options_.filter_policy = filter_;
    table_options_.block_size = options.block_size;
    table_options_.block_restart_interval = options.block_restart_interval;
    table_options_.compression = options.compression;
  }

  absl::Status Run(bool* needs_compaction) {
    absl::Status s = FindFiles();
    // The tables found first: a comparator mismatch stops repair before it has
    // written anything.
    if (s.ok()) s = ScanTables(table_numbers_);
    if (s.ok()) s = ConvertLogsToTables();
    if (s.ok()) s = ScanTables(new_tables_);
    if (s.ok()) s = WriteManifest();
    if (s.ok()) s = ArchiveOldFiles();
    *needs_compaction = s.ok() && Level0OrderIsUnsafe();
    Log(logger(),
        "repair of %s: %zu tables kept (%" PRIu64
        " entries), %zu moved to %s/, "
        "%zu WALs replayed, last sequence %" PRIu64 ": %s",
        dbname_.c_str(), tables_.size(), TotalEntries(), lost_tables_, kLostDir,
        logs_.size(), max_sequence_, s.ToString().c_str());
    return s;
  }

  // The LOG that repair and the compaction after it write to.
  void OpenLog() {
    info_log_ = options_.info_log;
    if (info_log_ == nullptr) {
      fs_->RenameFile(InfoLogFileName(dbname_), OldInfoLogFileName(dbname_))
          .IgnoreError();
      auto logger = fs_->NewLogger(InfoLogFileName(dbname_));
      if (logger.ok()) info_log_ = std::move(*logger);
    }
  }
  std::shared_ptr<Logger> info_log() const { return info_log_; }

 private:
  Logger* logger() const { return info_log_.get(); }

  absl::Status FindFiles() {
    auto children = fs_->GetChildren(dbname_);
    if (!children.ok()) return children.status();
    for (const std::string& name : *children) {
      uint64_t number;
      FileType type;
      if (!ParseFileName(name, &number, &type)) continue;
      next_file_number_ = std::max(next_file_number_, number + 1);
      if (type == FileType::kLogFile) logs_.push_back(number);
      if (type == FileType::kTableFile) table_numbers_.push_back(number);
      if (type == FileType::kDescriptorFile) manifests_.push_back(name);
    }
    std::sort(logs_.begin(), logs_.end());
    std::sort(table_numbers_.begin(), table_numbers_.end());
    for (const std::string& name : manifests_) {
      absl::Status s = CheckManifestComparator(dbname_ + "/" + name);
      if (!s.ok()) return s;
    }
    Log(logger(), "repair: found %zu tables, %zu WALs, %zu MANIFESTs",
        table_numbers_.size(), logs_.size(), manifests_.size());
    return absl::OkStatus();
  }

  // InvalidArgument if a readable record of the MANIFEST at path names another
  // comparator than the options'. Damage is ignored: that is what repair is
  // for.
  absl::Status CheckManifestComparator(const std::string& path) {
    auto file = fs_->NewSequentialFile(path);
    if (!file.ok()) return absl::OkStatus();
    wal::Reader reader(file->get(), nullptr, /*verify_checksums=*/true);
    std::string_view record;
    std::string scratch;
    while (reader.ReadRecord(&record, &scratch)) {
      VersionEdit edit;
      if (edit.DecodeFrom(record).ok() && edit.comparator() &&
          *edit.comparator() != icmp_.user_comparator()->Name()) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, " says the database was created with comparator ",
            *edit.comparator(), ", not ", icmp_.user_comparator()->Name()));
      }
    }
    return absl::OkStatus();
  }

  // Reports damaged WAL records to the LOG; repair always goes on past them.
  struct LogReporter : public wal::Reader::Reporter {
    Logger* info_log;
    std::string file;
    uint64_t dropped = 0;
    void Corruption(size_t bytes, const absl::Status& s) override {
      dropped += bytes;
      Log(info_log, "repair: %s: dropping %zu bytes: %s", file.c_str(), bytes,
          std::string(s.message()).c_str());
    }
  };

  absl::Status ConvertLogsToTables() {
    for (uint64_t number : logs_) {
      absl::Status s = ConvertLog(number);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status ConvertLog(uint64_t number) {
    std::string fname = LogFileName(dbname_, number);
    auto file = fs_->NewSequentialFile(fname);
    if (!file.ok()) return file.status();
    LogReporter reporter;
    reporter.info_log = logger();
    reporter.file = fname;
    wal::Reader reader(file->get(), &reporter, /*verify_checksums=*/true);
    std::string_view record;
    std::string scratch;
    WriteBatch batch;
    MemTable* mem = nullptr;
    uint64_t batches = 0;
    absl::Status s;
    while (s.ok() && reader.ReadRecord(&record, &scratch)) {
      absl::Status parsed = WriteBatchInternal::SetContents(&batch, record);
      if (parsed.ok()) parsed = WriteBatchInternal::Validate(batch);
      // A WAL's opening record (an empty batch) holds no data. Repair keeps
      // every batch it can read, so it does not stop at a gap between WALs
      // the way Open does: it salvages, it does not promise a prefix.
      if (parsed.ok() && WriteBatchInternal::Count(batch) == 0) continue;
      if (parsed.ok() && mem == nullptr) {
        mem = new MemTable(icmp_);
        mem->Ref();
      }
      if (parsed.ok()) parsed = WriteBatchInternal::InsertInto(batch, mem);
      if (!parsed.ok()) {
        reporter.Corruption(record.size(), parsed);
        continue;
      }
      batches++;
      if (WriteBatchInternal::Count(batch) > 0) {
        max_sequence_ =
            std::max(max_sequence_, WriteBatchInternal::Sequence(batch) +
                                        WriteBatchInternal::Count(batch) - 1);
      }
      if (mem->ApproximateMemoryUsage() > options_.write_buffer_size) {
        s = WriteTable(mem);
        mem->Unref();
        mem = nullptr;
      }
    }
    if (s.ok()) s = reader.status();
    if (s.ok() && mem != nullptr) s = WriteTable(mem);
    if (mem != nullptr) mem->Unref();
    Log(logger(),
        "repair: WAL %s: %" PRIu64 " batches replayed, %" PRIu64
        " damaged bytes dropped, %" PRIu64 " torn-tail bytes: %s",
        fname.c_str(), batches, reporter.dropped, reader.TornTailBytes(),
        s.ToString().c_str());
    return s;
  }

  // Writes mem's entries to a new table, scanned like the others afterwards.
  absl::Status WriteTable(MemTable* mem) {
    uint64_t number = next_file_number_++;
    std::string fname = TableFileName(dbname_, number);
    auto file = fs_->NewWritableFile(fname);
    if (!file.ok()) return file.status();
    TableBuilder builder(table_options_, file->get());
    std::unique_ptr<Iterator> it(mem->NewIterator());
    absl::Status s;
    for (it->SeekToFirst(); it->Valid() && s.ok(); it->Next()) {
      s = builder.Add(it->key(), it->value());
    }
    if (s.ok()) s = it->status();
    if (s.ok()) {
      s = builder.Finish();
    } else {
      builder.Abandon();
    }
    if (s.ok()) s = (*file)->Sync();
    if (s.ok()) s = (*file)->Close();
    if (!s.ok()) {
      fs_->RemoveFile(fname).IgnoreError();
      return s;
    }
    Log(logger(), "repair: wrote table #%" PRIu64 ": %" PRIu64 " entries",
        number, builder.NumEntries());
    new_tables_.push_back(number);
    return absl::OkStatus();
  }

  // Scans every table before changing anything: one written with another
  // comparator means the options are wrong, not the tables, and stops repair.
  absl::Status ScanTables(const std::vector<uint64_t>& numbers) {
    std::vector<std::pair<TableInfo, absl::Status>> results;
    for (uint64_t number : numbers) {
      TableInfo info;
      absl::Status s = ScanTable(number, &info);
      if (absl::IsInvalidArgument(s)) return s;
      if (s.ok() && info.entries == 0) {
        s = absl::DataLossError("table holds no entries");
      }
      results.emplace_back(std::move(info), std::move(s));
    }
    for (size_t i = 0; i < numbers.size(); i++) {
      const uint64_t number = numbers[i];
      TableInfo& info = results[i].first;
      absl::Status s = results[i].second;
      if (s.ok()) {
        Log(logger(),
            "repair: table #%" PRIu64 ": %" PRIu64
            " entries, sequences %" PRIu64 "..%" PRIu64,
            number, info.entries, info.min_sequence, info.max_sequence);
        max_sequence_ = std::max(max_sequence_, info.max_sequence);
        tables_.push_back(std::move(info));
      } else {
        Log(logger(),
            "repair: table #%" PRIu64 " is unusable (%s): moving it to %s/",
            number, s.ToString().c_str(), kLostDir);
        lost_tables_++;
        s = Archive(TableFileName(dbname_, number));
        if (!s.ok()) return s;
      }
    }
    return absl::OkStatus();
  }

  absl::Status ScanTable(uint64_t number, TableInfo* info) {
    std::string fname = TableFileName(dbname_, number);
    auto size = fs_->GetFileSize(fname);
    if (!size.ok()) return size.status();
    auto file = fs_->NewRandomAccessFile(fname);
    if (!file.ok()) return file.status();
    auto table = Table::Open(table_options_, std::move(*file), *size);
    if (!table.ok()) return table.status();
    ReadOptions read_options;
    read_options.verify_checksums = true;
    read_options.fill_cache = false;
    std::unique_ptr<Iterator> it((*table)->NewIterator(read_options));
    info->meta.number = number;
    info->meta.file_size = *size;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ParsedInternalKey parsed;
      if (!ParseInternalKey(it->key(), &parsed)) {
        return absl::DataLossError("malformed internal key");
      }
      if (info->entries == 0) {
        info->meta.smallest.assign(it->key().data(), it->key().size());
      } else if (icmp_.Compare(info->meta.largest, it->key()) >= 0) {
        // The blocks passed their checksums, so this is no damage.
        return absl::InvalidArgumentError(absl::StrCat(
            TableFileName(dbname_, number), " is not in the order of ",
            icmp_.user_comparator()->Name(),
            ": was the database created with another comparator?"));
      }
      info->meta.largest.assign(it->key().data(), it->key().size());
      info->min_sequence = std::min(info->min_sequence, parsed.sequence);
      info->max_sequence = std::max(info->max_sequence, parsed.sequence);
      info->entries++;
    }
    return it->status();
  }

  absl::Status WriteManifest() {
    const uint64_t manifest_number = next_file_number_++;
    VersionEdit edit;
    edit.SetComparatorName(icmp_.user_comparator()->Name());
    // Every WAL is in a table now (and about to be archived).
    edit.SetLogNumber(next_file_number_);
    edit.SetNextFileNumber(next_file_number_ + 1);
    edit.SetLastSequence(max_sequence_);
    for (const TableInfo& t : tables_) edit.AddFile(0, t.meta);

    std::string fname = DescriptorFileName(dbname_, manifest_number);
    absl::Status s;
    {
      auto file = fs_->NewWritableFile(fname);
      if (!file.ok()) return file.status();
      wal::Writer log(file->get(), 0);
      std::string record;
      edit.EncodeTo(&record);
      s = log.AddRecord(record);
      if (s.ok()) s = log.Sync();
      if (s.ok()) s = (*file)->Close();
    }
    if (s.ok()) s = SetCurrentFile(fs_, dbname_, manifest_number);
    if (!s.ok()) {
      fs_->RemoveFile(fname).IgnoreError();
      return s;
    }
    Log(logger(), "repair: wrote %s listing %zu tables at level 0",
        fname.c_str(), tables_.size());
    return absl::OkStatus();
  }

  // The old MANIFESTs and the replayed WALs: kept in lost/ in case a person
  // wants to look at them, out of the way of the database.
  absl::Status ArchiveOldFiles() {
    for (const std::string& name : manifests_) {
      absl::Status s = Archive(dbname_ + "/" + name);
      if (!s.ok()) return s;
    }
    for (uint64_t number : logs_) {
      absl::Status s = Archive(LogFileName(dbname_, number));
      if (!s.ok()) return s;
    }
    return fs_->SyncDir(dbname_);
  }

  absl::Status Archive(const std::string& path) {
    std::string lost = dbname_ + "/" + kLostDir;
    absl::Status s = fs_->CreateDir(lost);
    if (!s.ok()) return s;
    std::string name = path.substr(path.find_last_of('/') + 1);
    s = fs_->RenameFile(path, lost + "/" + name);
    Log(logger(), "repair: archived %s in %s/: %s", name.c_str(), kLostDir,
        s.ToString().c_str());
    return s;
  }

  // True if two level-0 tables with overlapping keys are numbered against the
  // order of their updates (see the top of this file).
  bool Level0OrderIsUnsafe() const {
    const Comparator* ucmp = icmp_.user_comparator();
    for (const TableInfo& a : tables_) {
      for (const TableInfo& b : tables_) {
        if (a.meta.number >= b.meta.number) continue;
        bool overlap = ucmp->Compare(ExtractUserKey(a.meta.largest),
                                     ExtractUserKey(b.meta.smallest)) >= 0 &&
                       ucmp->Compare(ExtractUserKey(b.meta.largest),
                                     ExtractUserKey(a.meta.smallest)) >= 0;
        if (overlap && a.max_sequence >= b.min_sequence) return true;
      }
    }
    return false;
  }

  uint64_t TotalEntries() const {
    uint64_t n = 0;
    for (const TableInfo& t : tables_) n += t.entries;
    return n;
  }

  const std::string dbname_;
  const Options options_;
  FileSystem* const fs_;
  const InternalKeyComparator icmp_;
  const std::shared_ptr<const FilterPolicy> filter_;
  TableOptions table_options_;
  std::shared_ptr<Logger> info_log_;

  uint64_t next_file_number_ = 1;
  SequenceNumber max_sequence_ = 0;
  std::vector<uint64_t> logs_;
  std::vector<uint64_t> table_numbers_;  // Found in the directory.
  std::vector<uint64_t> new_tables_;     // Written from WALs.
  std::vector<std::string> manifests_;
  std::vector<TableInfo> tables_;
  size_t lost_tables_ = 0;
};

}  // namespace

absl::Status RepairDB(const std::string& path, const Options& options) {
  auto sanitized = SanitizeOptions(options);
  if (!sanitized.ok()) return sanitized.status();
  FileSystem* fs = sanitized->file_system;
  if (!fs->FileExists(path)) {
    return absl::NotFoundError(absl::StrCat(path, " does not exist"));
  }
  auto lock = fs->LockFile(LockFileName(path));
  if (!lock.ok()) return lock.status();

  Repairer repairer(path, *sanitized);
  repairer.OpenLog();
  bool needs_compaction = false;
  absl::Status s = repairer.Run(&needs_compaction);
  fs->UnlockFile(std::move(*lock)).IgnoreError();
  if (!s.ok() || !needs_compaction) return s;

  // Merge the overlapping tables so that lookups no longer depend on their
  // numbers. The database's own open and compaction do it, logging to the
  // same LOG.
  Options open_options = *sanitized;
  open_options.create_if_missing = false;
  open_options.error_if_exists = false;
  open_options.info_log = repairer.info_log();
  Log(open_options.info_log.get(),
      "repair: level-0 tables overlap out of update order: compacting");
  auto db = DB::Open(open_options, path);
  if (!db.ok()) return db.status();
  return (*db)->CompactRange(nullptr, nullptr);
}

}  // namespace kvs
