// The write path: group commit into the WAL and the memtable, and making room
// for writes.
//
// Writers queue up under the mutex. The writer at the head of the queue becomes
// the leader: it merges the batches queued behind it into one WAL record,
// appends (and, if any member asked, syncs) it without holding the mutex,
// inserts the group into the memtable, then wakes the members with the group's
// status. So N concurrent writers cost one append and at most one fdatasync,
// not N.

#include <algorithm>

#include "lsm/db_impl.h"
#include "memtable/write_batch_internal.h"
#include "util/file_util.h"

namespace kvs {

struct DBImpl::Writer {
  explicit Writer(Mutex* mu) : cv(mu) {}

  WriteBatch* batch =
      nullptr;  // nullptr: only wait for earlier writes (and maybe switch).
  bool sync = false;
  bool force_switch =
      false;  // Flush(): switch the memtable even if it has room.
  bool done = false;
  absl::Status status;
  CondVar cv;
};

absl::Status DBImpl::Put(const WriteOptions& options, std::string_view key,
                         std::string_view value) {
  WriteBatch batch;
  batch.Put(key, value);
  return Write(options, &batch);
}

absl::Status DBImpl::Delete(const WriteOptions& options, std::string_view key) {
  WriteBatch batch;
  batch.Delete(key);
  return Write(options, &batch);
}

absl::Status DBImpl::Write(const WriteOptions& options, WriteBatch* batch) {
  Writer w(&mutex_);
  w.batch = batch != nullptr && batch->Count() > 0 ? batch : nullptr;
  w.sync = options.sync;
  return WriteInternal(&w);
}

absl::Status DBImpl::Flush() {
  Writer w(&mutex_);
  w.force_switch = true;
  absl::Status s = WriteInternal(&w);
  if (!s.ok()) return s;
  MutexLock l(&mutex_);
  // Wait for the memtable we just froze (if any) to reach level 0.
  while (imm_ != nullptr && bg_error_.ok()) {
    background_work_finished_cv_.Wait();
  }
  return bg_error_;
}

absl::Status DBImpl::WriteInternal(Writer* w) {
  MutexLock l(&mutex_);
  writers_.push_back(w);
  while (!w->done && w != writers_.front()) w->cv.Wait();
  if (w->done) return w->status;

  // This writer leads a group.
  // Flush() of an empty memtable has nothing to switch.
  absl::Status status =
      MakeRoomForWrite(w->force_switch && mem_->num_entries() > 0);
  SequenceNumber last_sequence = versions_->LastSequence();
  Writer* last_writer = w;
  if (status.ok()) {
    bool sync = false;
    WriteBatch* group = BuildBatchGroup(&last_writer, &sync);
    if (group != nullptr) {
      WriteBatchInternal::SetSequence(group, last_sequence + 1);
      last_sequence += WriteBatchInternal::Count(*group);
      std::string_view record = WriteBatchInternal::Contents(*group);
      MemTable* mem = mem_;
      wal::Writer* log = log_.get();
      stats_.write_groups++;
      stats_.user_bytes_written += record.size();
      stats_.wal_bytes_written += record.size();
      if (sync) stats_.syncs++;
      UnsyncedLogs earlier;
      if (sync) earlier.swap(unsynced_logs_);
      // Only the leader touches the WAL and the memtable, and the queue keeps
      // every other writer out until it is done, so the mutex can be released
      // for the slow part.
      mutex_.Unlock();
      if (sync) status = SyncAndCloseLogs(&earlier);
      if (status.ok()) status = log->AddRecord(record);
      if (status.ok() && sync) status = log->Sync();
      if (status.ok()) status = WriteBatchInternal::InsertInto(*group, mem);
      mutex_.Lock();
      if (status.ok()) {
        versions_->SetLastSequence(last_sequence);
      } else {
        // The WAL may now hold a partial or unacknowledged record, and the
        // memtable may hold part of the group: accepting more writes could make
        // them visible out of order.
        RecordBackgroundError(status);
      }
      if (group == &group_batch_) group_batch_.Clear();
    } else if (sync) {
      // Only empty batches, but one asked for sync: earlier writes must be
      // durable when it returns.
      wal::Writer* log = log_.get();
      stats_.syncs++;
      UnsyncedLogs earlier;
      earlier.swap(unsynced_logs_);
      mutex_.Unlock();
      status = SyncAndCloseLogs(&earlier);
      if (status.ok()) status = log->Sync();
      mutex_.Lock();
      if (!status.ok()) RecordBackgroundError(status);
    }
  }

  while (true) {
    Writer* ready = writers_.front();
    writers_.pop_front();
    if (ready != w) {
      ready->status = status;
      ready->done = true;
      ready->cv.Signal();
    }
    stats_.writes++;
    if (ready == last_writer) break;
  }
  if (!writers_.empty()) writers_.front()->cv.Signal();
  return status;
}

absl::Status DBImpl::SyncAndCloseLogs(UnsyncedLogs* logs) {
  absl::Status status;
  for (auto& [number, file] : *logs) {
    if (status.ok()) status = file->Sync();
    absl::Status closed = file->Close();
    if (status.ok()) status = closed;
  }
  logs->clear();
  return status;
}

WriteBatch* DBImpl::BuildBatchGroup(Writer** last_writer, bool* sync) {
  Writer* first = writers_.front();
  WriteBatch* result = first->batch;
  *sync = first->sync;
  size_t size = result ? WriteBatchInternal::ByteSize(*result) : 0;

  // Bound the group so a small write is not held up behind megabytes of
  // others'.
  size_t max_size = 1 << 20;
  if (size <= (128 << 10)) max_size = size + (128 << 10);

  *last_writer = first;
  for (auto it = writers_.begin() + 1; it != writers_.end(); ++it) {
    Writer* w = *it;
    // A Flush() must see every write before it applied, and starts a group of
    // its own.
    if (w->force_switch) break;
    if (w->batch != nullptr) {
      size += WriteBatchInternal::ByteSize(*w->batch);
      if (size > max_size) break;
      if (result == first->batch || result == nullptr) {
        // Merge into scratch rather than into a caller's batch.
        group_batch_.Clear();
        if (result != nullptr)
          WriteBatchInternal::Append(&group_batch_, *result);
        result = &group_batch_;
      }
      WriteBatchInternal::Append(result, *w->batch);
    }
    *sync = *sync || w->sync;
    *last_writer = w;
  }
  return result;
}

absl::Status DBImpl::MakeRoomForWrite(bool force) {
  bool allow_delay = !force;
  while (true) {
    if (!bg_error_.ok()) return bg_error_;
    const int level0_files = versions_->NumLevelFiles(0);
    if (allow_delay &&
        level0_files >= options_.level0_slowdown_writes_trigger) {
      // Level 0 is close to the hard limit: delay this write by about a
      // millisecond, handing the core to compaction, rather than stopping
      // writes for seconds later. Once per write.
      uint64_t start = fs_->NowMicros();
      mutex_.Unlock();
      fs_->SleepForMicros(1000);
      mutex_.Lock();
      stats_.level0_slowdowns++;
      stats_.stall_micros += fs_->NowMicros() - start;
      allow_delay = false;
      continue;
    }
    if (!force &&
        mem_->ApproximateMemoryUsage() <= options_.write_buffer_size) {
      return absl::OkStatus();
    }
    if (imm_ != nullptr ||
        level0_files >= options_.level0_stop_writes_trigger) {
      // The previous memtable is still being flushed, or level 0 is full: wait
      // for background work to make room.
      if (imm_ != nullptr) {
        stats_.memtable_stalls++;
      } else {
        stats_.level0_stops++;
        MaybeScheduleCompaction();
      }
      uint64_t start = fs_->NowMicros();
      background_work_finished_cv_.Wait();
      stats_.stall_micros += fs_->NowMicros() - start;
      continue;
    }
    absl::Status s = SwitchToNewLog(versions_->NewFileNumber());
    if (!s.ok()) {
      RecordBackgroundError(s);
      return s;
    }
    imm_ = mem_;
    mem_ = new MemTable(internal_comparator_);
    mem_->Ref();
    force = false;
    MaybeScheduleFlush();
  }
}

void DBImpl::RecordBackgroundError(const absl::Status& s) {
  if (bg_error_.ok()) {
    bg_error_ = s;
    Log(info_log_.get(), "background error, writes stopped: %s",
        s.ToString().c_str());
    background_work_finished_cv_.SignalAll();
  }
}

}  // namespace kvs
