// Background compaction, manual compaction (CompactRange) and their
// bookkeeping.
//
// Compactions run on the low-priority background thread, flushes on the
// high-priority one, so a flush never waits behind a long compaction. Both
// install their results through VersionSet::LogAndApply, which serialises
// MANIFEST writes.

#include <cinttypes>
#include <vector>

#include "compaction/compaction_job.h"
#include "compaction/compaction_picker.h"
#include "lsm/db_impl.h"
#include "util/file_util.h"

namespace kvs {

void DBImpl::MaybeScheduleCompaction() {
  if (compaction_scheduled_ || !bg_error_.ok() ||
      shutting_down_.load(std::memory_order_acquire)) {
    return;
  }
  if (manual_compaction_ == nullptr &&
      !versions_->current()->NeedsCompaction()) {
    return;
  }
  compaction_scheduled_ = true;
  fs_->Schedule([this] { BackgroundCompactionCall(); },
                FileSystem::Priority::kLow);
}

void DBImpl::BackgroundCompactionCall() {
  MutexLock l(&mutex_);
  if (!shutting_down_.load(std::memory_order_acquire) && bg_error_.ok()) {
    absl::Status s = BackgroundCompaction();
    if (!s.ok() && !absl::IsCancelled(s)) RecordBackgroundError(s);
  }
  if (manual_compaction_ != nullptr &&
      (!bg_error_.ok() || shutting_down_.load(std::memory_order_acquire))) {
    // Nobody will run it now: let the waiting CompactRange go with the reason.
    manual_compaction_->status =
        bg_error_.ok() ? absl::CancelledError("the DB is closing") : bg_error_;
    manual_compaction_->done = true;
    manual_compaction_ = nullptr;
  }
  compaction_scheduled_ = false;
  // One compaction may leave another level over its target.
  MaybeScheduleCompaction();
  background_work_finished_cv_.SignalAll();
}

absl::Status DBImpl::BackgroundCompaction() {
  std::unique_ptr<Compaction> c;
  ManualCompaction* manual = manual_compaction_;
  if (manual != nullptr) {
    std::string_view begin;
    std::string_view end;
    if (manual->begin) begin = *manual->begin;
    if (manual->end) end = *manual->end;
    std::string_view after;
    if (manual->resume_after) after = *manual->resume_after;
    c = PickManualCompaction(versions_.get(), manual->level, manual->in_place,
                             manual->begin ? &begin : nullptr,
                             manual->end ? &end : nullptr,
                             manual->resume_after ? &after : nullptr);
    if (c == nullptr) {
      manual->done = true;
      manual_compaction_ = nullptr;
      return absl::OkStatus();
    }
  } else {
    c = PickCompaction(versions_.get());
    if (c == nullptr) return absl::OkStatus();
  }

  const int level = c->level();
  Stats::Compactions& stats = stats_.compactions[c->output_level()];
  absl::Status s;
  if (c->IsTrivialMove()) {
    FileMetaData* f = c->inputs(0)[0];
    c->edit()->RemoveFile(level, f->number);
    c->edit()->AddFile(c->output_level(), *f);
    s = versions_->LogAndApply(c->edit(), &mutex_);
    stats.trivial_moves++;
    Log(info_log_.get(),
        "moved #%" PRIu64 " (%" PRIu64 " bytes) to level %d: %s", f->number,
        f->file_size, c->output_level(), s.ToString().c_str());
  } else {
    CompactionJob::Context ctx;
    ctx.dbname = dbname_;
    ctx.fs = fs_;
    ctx.table_options = table_options_;
    ctx.table_cache = table_cache_.get();
    ctx.icmp = &internal_comparator_;
    ctx.max_file_size = options_.max_file_size;
    ctx.paranoid_checks = options_.paranoid_checks;
    ctx.shutting_down = &shutting_down_;
    std::vector<uint64_t> outputs;
    ctx.new_file_number = [this, &outputs] {
      MutexLock l(&mutex_);
      uint64_t number = versions_->NewFileNumber();
      pending_outputs_.insert(number);
      outputs.push_back(number);
      return number;
    };
    std::vector<uint64_t> snapshots = snapshots_.Sequences();
    CompactionJob job(std::move(ctx), c.get(), std::move(snapshots));
    Log(info_log_.get(),
        "compacting %d@%d + %d@%d files (%" PRIu64 " + %" PRIu64 " bytes)%s",
        c->num_input_files(0), level, c->num_input_files(1), c->output_level(),
        c->InputBytes(0), c->InputBytes(1), c->is_manual ? " (manual)" : "");

    mutex_.Unlock();
    s = job.Run();
    mutex_.Lock();

    if (s.ok()) {
      job.AddResultToEdit(c->edit());
      s = versions_->LogAndApply(c->edit(), &mutex_);
    }
    for (uint64_t number : outputs) pending_outputs_.erase(number);
    const CompactionJobStats& js = job.stats();
    stats.count++;
    stats.micros += js.micros;
    stats.bytes_read += js.bytes_read;
    stats.bytes_written += js.bytes_written;
    stats.files_in += js.files_in;
    stats.files_out += js.files_out;
    Log(info_log_.get(),
        "compacted to level %d: %d files, %" PRIu64 " bytes, %" PRIu64
        " of %" PRIu64 " entries dropped, %.3f s: %s",
        c->output_level(), js.files_out, js.bytes_written, js.entries_dropped,
        js.entries_read, js.micros / 1e6, s.ToString().c_str());
  }
  if (s.ok() && manual != nullptr) {
    // Continue after the part of the range just done (levels >= 1 are done in
    // bounded steps).
    if (level == 0) {
      manual->done = true;
      manual_compaction_ = nullptr;
    } else {
      manual->resume_after = std::string(ExtractUserKey(c->LargestInputKey()));
    }
  }
  // Unpin the input Version before looking for files to delete.
  c.reset();
  if (s.ok()) RemoveObsoleteFiles();
  return s;
}

absl::Status DBImpl::WaitForBackgroundWork() {
  MutexLock l(&mutex_);
  while (bg_error_.ok() &&
         (flush_scheduled_ || compaction_scheduled_ || imm_ != nullptr ||
          versions_->current()->NeedsCompaction())) {
    MaybeScheduleCompaction();
    background_work_finished_cv_.Wait();
  }
  return bg_error_;
}

absl::Status DBImpl::CheckInvariants() {
  MutexLock l(&mutex_);
  return versions_->current()->CheckInvariants();
}

absl::Status DBImpl::CompactRange(const std::string_view* begin,
                                  const std::string_view* end) {
  absl::Status s = Flush();
  if (!s.ok()) return s;
  int max_level_with_files = 0;
  {
    MutexLock l(&mutex_);
    Version* v = versions_->current();
    for (int level = 1; level < versions_->NumLevels(); level++) {
      if (!v->GetOverlappingInputs(level, begin, end).empty()) {
        max_level_with_files = level;
      }
    }
  }
  // Push the range down level by level, so that in the end it lives in the
  // deepest level that held any of it, where deletion markers can be dropped.
  for (int level = 0; level < max_level_with_files || level == 0; level++) {
    s = RunManualCompaction(level, /*in_place=*/false, begin, end);
    if (!s.ok()) return s;
  }
  // Files of the deepest level that nothing above overlapped still hold
  // deletion markers and versions only released snapshots needed: rewrite that
  // level in place.
  if (max_level_with_files > 0) {
    s = RunManualCompaction(max_level_with_files, /*in_place=*/true, begin,
                            end);
  }
  return s;
}

absl::Status DBImpl::RunManualCompaction(int level, bool in_place,
                                         const std::string_view* begin,
                                         const std::string_view* end) {
  ManualCompaction manual;
  manual.level = level;
  manual.in_place = in_place;
  if (begin != nullptr) manual.begin = std::string(*begin);
  if (end != nullptr) manual.end = std::string(*end);

  MutexLock l(&mutex_);
  while (!manual.done) {
    if (!bg_error_.ok() || shutting_down_.load(std::memory_order_acquire)) {
      if (manual_compaction_ == &manual && compaction_scheduled_) {
        // The background thread may be running it right now: wait until it
        // lets go (it marks it done with the error), since manual lives on
        // this stack.
        background_work_finished_cv_.Wait();
        continue;
      }
      if (manual_compaction_ == &manual) manual_compaction_ = nullptr;
      if (!bg_error_.ok()) return bg_error_;
      return absl::CancelledError("the DB is closing");
    }
    if (manual_compaction_ == nullptr) {
      // Our turn: hand it to the background thread.
      manual_compaction_ = &manual;
      MaybeScheduleCompaction();
    }
    background_work_finished_cv_.Wait();
  }
  // If another manual compaction was queued behind ours it is picked up on the
  // next schedule.
  return manual.status;
}

}  // namespace kvs
