// Flushing the immutable memtable to a level-0 table, and deleting files nobody
// needs.

#include <cinttypes>
#include <memory>

#include "absl/strings/str_cat.h"
#include "compaction/filename.h"
#include "lsm/db_impl.h"
#include "sstable/table_builder.h"
#include "util/file_util.h"

namespace kvs {

void DBImpl::MaybeScheduleFlush() {
  if (flush_scheduled_ || imm_ == nullptr || !bg_error_.ok() ||
      shutting_down_.load(std::memory_order_acquire)) {
    return;
  }
  flush_scheduled_ = true;
  fs_->Schedule([this] { BackgroundFlushCall(); }, FileSystem::Priority::kHigh);
}

void DBImpl::BackgroundFlushCall() {
  MutexLock l(&mutex_);
  if (!shutting_down_.load(std::memory_order_acquire) && bg_error_.ok() &&
      imm_ != nullptr) {
    absl::Status s = FlushImmutableMemTable();
    if (!s.ok()) RecordBackgroundError(s);
  }
  flush_scheduled_ = false;
  MaybeScheduleFlush();
  MaybeScheduleCompaction();
  background_work_finished_cv_.SignalAll();
}

absl::Status DBImpl::FlushImmutableMemTable() {
  VersionEdit edit;
  uint64_t start = fs_->NowMicros();
  absl::Status s = WriteLevel0Table(imm_, &edit);
  if (s.ok()) {
    // Every WAL before the current one is now covered by tables.
    edit.SetLogNumber(logfile_number_);
    s = versions_->LogAndApply(&edit, &mutex_);
  }
  // Installed (or failed): either way no longer an output in progress.
  ReleasePendingOutputs(edit);
  if (!s.ok()) return s;
  imm_->Unref();
  imm_ = nullptr;
  stats_.flush_micros += fs_->NowMicros() - start;
  // Flushed tables hold the data of older WALs now: a close error there
  // cannot lose any.
  CloseUnsyncedLogsBefore(versions_->LogNumber());
  RemoveObsoleteFiles();
  return absl::OkStatus();
}

absl::Status DBImpl::WriteLevel0Table(MemTable* mem, VersionEdit* edit) {
  FileMetaData meta;
  meta.number = versions_->NewFileNumber();
  pending_outputs_.insert(meta.number);
  std::unique_ptr<Iterator> iter(mem->NewIterator());
  std::string fname = TableFileName(dbname_, meta.number);
  uint64_t start = fs_->NowMicros();
  absl::Status s;
  {
    // Building the table is the slow part: let writers and readers go on
    // meanwhile. mem is immutable (or, during recovery, private), and the
    // number is protected by pending_outputs_.
    mutex_.Unlock();
    iter->SeekToFirst();
    if (iter->Valid()) {
      auto file = fs_->NewWritableFile(fname);
      s = file.status();
      if (s.ok()) {
        TableBuilder builder(table_options_, file->get());
        meta.smallest = std::string(iter->key());
        for (; iter->Valid() && s.ok(); iter->Next()) {
          meta.largest.assign(iter->key().data(), iter->key().size());
          s = builder.Add(iter->key(), iter->value());
        }
        if (s.ok()) s = iter->status();
        if (s.ok()) {
          s = builder.Finish();
        } else {
          builder.Abandon();
        }
        meta.file_size = builder.FileSize();
        if (s.ok()) s = (*file)->Sync();
        if (s.ok()) s = (*file)->Close();
        // The MANIFEST will name this file: its directory entry must be durable
        // first.
        if (s.ok()) s = fs_->SyncDir(dbname_);
      }
      if (s.ok()) {
        // Check that the table reads back before the MANIFEST points at it.
        std::unique_ptr<Iterator> check(table_cache_->NewIterator(
            ReadOptions(), meta.number, meta.file_size));
        s = check->status();
      }
    }
    mutex_.Lock();
  }
  Log(info_log_.get(),
      "flush: table #%" PRIu64 ", %" PRIu64 " bytes, %" PRIu64
      " entries of memtable in %" PRIu64 " us: %s",
      meta.number, meta.file_size, mem->num_entries(), fs_->NowMicros() - start,
      s.ToString().c_str());
  if (!s.ok()) {
    pending_outputs_.erase(meta.number);
    fs_->RemoveFile(fname).IgnoreError();
    return s;
  }
  if (meta.file_size == 0) pending_outputs_.erase(meta.number);
  if (meta.file_size > 0) {
    edit->AddFile(0, meta);
    stats_.flushes++;
    stats_.flush_bytes += meta.file_size;
  }
  return absl::OkStatus();
}

void DBImpl::ReleasePendingOutputs(const VersionEdit& edit) {
  for (const auto& [level, f] : edit.new_files()) {
    pending_outputs_.erase(f.number);
  }
}

void DBImpl::RemoveObsoleteFiles() {
  if (!bg_error_.ok()) {
    // After an error we cannot tell whether a new Version was recorded: keep
    // everything.
    return;
  }
  std::set<uint64_t> live = pending_outputs_;
  versions_->AddLiveFiles(&live);
  auto children = fs_->GetChildren(dbname_);
  if (!children.ok()) return;

  std::vector<std::string> to_delete;
  for (const std::string& name : *children) {
    uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type)) continue;
    bool keep = true;
    switch (type) {
      case FileType::kLogFile:
        keep = number >= versions_->LogNumber() || number == logfile_number_;
        break;
      case FileType::kDescriptorFile:
        // A newer MANIFEST than the live one may be being written.
        keep = number >= versions_->ManifestFileNumber();
        break;
      case FileType::kTableFile:
        keep = live.contains(number);
        break;
      case FileType::kTempFile:
        // A CURRENT being replaced right now is named after a pending MANIFEST
        // number. Any other is the leftover of a crash (whose number may well
        // be above the live MANIFEST's).
        keep = versions_->ManifestWriteInProgress() &&
               number > versions_->ManifestFileNumber();
        break;
      case FileType::kCurrentFile:
      case FileType::kLockFile:
      case FileType::kInfoLogFile:
        keep = true;
        break;
    }
    if (!keep) {
      if (type == FileType::kTableFile) table_cache_->Evict(number);
      to_delete.push_back(name);
    }
  }
  // Deleting can take a while on some file systems; no one else can want these
  // files.
  mutex_.Unlock();
  for (const std::string& name : to_delete) {
    Log(info_log_.get(), "deleting obsolete file %s", name.c_str());
    fs_->RemoveFile(dbname_ + "/" + name).IgnoreError();
  }
  mutex_.Lock();
}

}  // namespace kvs
