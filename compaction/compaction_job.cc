#include "compaction/compaction_job.h"

#include <algorithm>
#include <memory>

#include "compaction/filename.h"
#include "sstable/merging_iterator.h"
#include "sstable/table_builder.h"

namespace kvs {

namespace {

// Snapshots split the sequence numbers of one user key into stripes: stripe i
// holds the entries with sequence in (snapshots[i-1], snapshots[i]], and the
// last stripe everything newer. A reader sees at most one entry per stripe (the
// newest in it), so of several entries of a key in the same stripe only the
// newest must be kept.
size_t StripeOf(const std::vector<uint64_t>& snapshots, uint64_t sequence) {
  return std::lower_bound(snapshots.begin(), snapshots.end(), sequence) -
         snapshots.begin();
}

}  // namespace

CompactionJob::CompactionJob(Context context, Compaction* compaction,
                             std::vector<uint64_t> snapshots)
    : ctx_(std::move(context)),
      compaction_(compaction),
      snapshots_(std::move(snapshots)) {}

CompactionJob::~CompactionJob() = default;

absl::Status CompactionJob::Run() {
  const uint64_t start = ctx_.fs->NowMicros();
  const Comparator* ucmp = ctx_.icmp->user_comparator();
  Compaction* c = compaction_;

  ReadOptions read_options;
  read_options.verify_checksums = ctx_.paranoid_checks;
  read_options.fill_cache = false;  // A compaction reads each block once.
  std::vector<Iterator*> children;
  for (int which = 0; which < 2; which++) {
    if (c->inputs(which).empty()) continue;
    stats_.files_in += c->num_input_files(which);
    stats_.bytes_read += c->InputBytes(which);
    if (c->level() + which == 0) {
      for (const FileMetaData* f : c->inputs(which)) {
        children.push_back(ctx_.table_cache->NewIterator(
            read_options, f->number, f->file_size));
      }
    } else {
      children.push_back(NewLevelIterator(read_options, ctx_.table_cache,
                                          ctx_.icmp, &c->inputs(which)));
    }
  }
  std::unique_ptr<Iterator> input(
      NewMergingIterator(ctx_.icmp, std::move(children)));

  absl::Status s;
  std::string current_user_key;
  bool has_current_user_key = false;
  size_t previous_stripe = 0;
  for (input->SeekToFirst(); input->Valid() && s.ok(); input->Next()) {
    if (ctx_.shutting_down->load(std::memory_order_acquire)) {
      s = absl::CancelledError("compaction abandoned: the DB is closing");
      break;
    }
    std::string_view key = input->key();
    stats_.entries_read++;
    ParsedInternalKey ikey;
    if (!ParseInternalKey(key, &ikey)) {
      s = absl::DataLossError("compaction input holds a malformed key");
      break;
    }

    bool new_user_key = !has_current_user_key ||
                        ucmp->Compare(ikey.user_key, current_user_key) != 0;
    if (new_user_key) {
      // Outputs are cut only between user keys, so every version of a key stays
      // in one file of the output level and later compactions never have to
      // widen their inputs.
      if (builder_ != nullptr && (builder_->FileSize() >= ctx_.max_file_size ||
                                  c->ShouldStopBefore(key))) {
        s = FinishOutput();
        if (!s.ok()) break;
      } else if (builder_ == nullptr) {
        c->ShouldStopBefore(key);  // Keep the grandparent cursor moving.
      }
      current_user_key.assign(ikey.user_key.data(), ikey.user_key.size());
      has_current_user_key = true;
    }

    size_t stripe = StripeOf(snapshots_, ikey.sequence);
    bool drop = false;
    if (!new_user_key && stripe == previous_stripe) {
      // A newer entry of this key in the same stripe hides this one from every
      // reader.
      drop = true;
    } else if (ikey.type == kTypeDeletion && stripe == 0 &&
               c->IsBaseLevelForKey(ikey.user_key)) {
      // No snapshot sees anything older than this deletion, and no deeper level
      // holds the key: the marker has nothing left to hide. Older entries in
      // this stripe are dropped by the rule above.
      drop = true;
    }
    previous_stripe = stripe;

    if (drop) {
      stats_.entries_dropped++;
      continue;
    }
    if (builder_ == nullptr) {
      s = OpenOutput();
      if (!s.ok()) break;
    }
    FileMetaData& meta = outputs_.back();
    if (builder_->NumEntries() == 0)
      meta.smallest.assign(key.data(), key.size());
    meta.largest.assign(key.data(), key.size());
    s = builder_->Add(key, input->value());
  }
  if (s.ok()) s = input->status();
  if (s.ok() && builder_ != nullptr) s = FinishOutput();
  if (!s.ok() && builder_ != nullptr) {
    builder_->Abandon();
    builder_.reset();
    outfile_.reset();
  }
  // The MANIFEST will name the outputs: their directory entries must be durable
  // first.
  if (s.ok() && !outputs_.empty()) s = ctx_.fs->SyncDir(ctx_.dbname);
  stats_.micros = ctx_.fs->NowMicros() - start;
  return s;
}

absl::Status CompactionJob::OpenOutput() {
  FileMetaData meta;
  meta.number = ctx_.new_file_number();
  auto file = ctx_.fs->NewWritableFile(TableFileName(ctx_.dbname, meta.number));
  if (!file.ok()) return file.status();
  outputs_.push_back(std::move(meta));
  outfile_ = std::move(*file);
  builder_ = std::make_unique<TableBuilder>(ctx_.table_options, outfile_.get());
  return absl::OkStatus();
}

absl::Status CompactionJob::FinishOutput() {
  FileMetaData& meta = outputs_.back();
  absl::Status s = builder_->Finish();
  meta.file_size = builder_->FileSize();
  builder_.reset();
  if (s.ok()) s = outfile_->Sync();
  if (s.ok()) s = outfile_->Close();
  outfile_.reset();
  if (s.ok()) {
    // Make sure the new table reads back before it replaces its inputs.
    std::unique_ptr<Iterator> check(ctx_.table_cache->NewIterator(
        ReadOptions(), meta.number, meta.file_size));
    s = check->status();
  }
  if (s.ok()) {
    stats_.files_out++;
    stats_.bytes_written += meta.file_size;
  }
  return s;
}

void CompactionJob::AddResultToEdit(VersionEdit* edit) const {
  compaction_->AddInputDeletions(edit);
  for (const FileMetaData& f : outputs_) {
    edit->AddFile(compaction_->output_level(), f);
  }
}

}  // namespace kvs
