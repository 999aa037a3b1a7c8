#include "compaction/version_set.h"

#include <algorithm>
#include <cassert>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "compaction/filename.h"
#include "sstable/two_level_iterator.h"
#include "util/coding.h"
#include "util/file_util.h"
#include "wal/reader.h"

namespace kvs {
namespace {

// Index of the first file of a sorted, non-overlapping level whose largest key
// is >= key, or files.size() if there is none.
size_t FindFile(const InternalKeyComparator& icmp,
                const std::vector<FileMetaData*>& files,
                std::string_view internal_key) {
  auto it = std::partition_point(
      files.begin(), files.end(), [&](const FileMetaData* f) {
        return icmp.Compare(f->largest, internal_key) < 0;
      });
  return it - files.begin();
}

bool AfterFile(const Comparator* ucmp, const std::string_view* user_key,
               const FileMetaData* f) {
  // A null user_key occurs before all keys and is therefore never after f.
  return user_key != nullptr &&
         ucmp->Compare(*user_key, ExtractUserKey(f->largest)) > 0;
}

bool BeforeFile(const Comparator* ucmp, const std::string_view* user_key,
                const FileMetaData* f) {
  // A null user_key occurs after all keys and is therefore never before f.
  return user_key != nullptr &&
         ucmp->Compare(*user_key, ExtractUserKey(f->smallest)) < 0;
}

// Iterates over the files of a sorted level: key() is a file's largest key,
// value() its number and size (16 bytes), which the two-level iterator turns
// into the file's table iterator. So a level iterator opens only the files it
// actually reaches.
class LevelFileIterator final : public Iterator {
 public:
  LevelFileIterator(const InternalKeyComparator* icmp,
                    const std::vector<FileMetaData*>* files)
      : icmp_(icmp), files_(files), index_(files->size()) {}

  bool Valid() const override { return index_ < files_->size(); }
  void Seek(std::string_view target) override {
    index_ = FindFile(*icmp_, *files_, target);
  }
  void SeekToFirst() override { index_ = 0; }
  void SeekToLast() override {
    index_ = files_->empty() ? 0 : files_->size() - 1;
  }
  void Next() override { index_++; }
  void Prev() override { index_ = index_ == 0 ? files_->size() : index_ - 1; }
  std::string_view key() const override { return (*files_)[index_]->largest; }
  std::string_view value() const override {
    EncodeFixed64(value_buf_, (*files_)[index_]->number);
    EncodeFixed64(value_buf_ + 8, (*files_)[index_]->file_size);
    return std::string_view(value_buf_, sizeof(value_buf_));
  }
  absl::Status status() const override { return absl::OkStatus(); }

 private:
  const InternalKeyComparator* const icmp_;
  const std::vector<FileMetaData*>* const files_;
  size_t index_;
  mutable char value_buf_[16];
};

// Remembers the first corruption the MANIFEST reader reports.
struct ManifestReporter : public wal::Reader::Reporter {
  absl::Status status;
  void Corruption(size_t bytes, const absl::Status& s) override {
    if (status.ok()) status = s;
  }
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Version

Version::Version(VersionSet* vset) : vset_(vset) {}

Version::~Version() {
  assert(refs_ == 0);
  prev_->next_ = next_;
  next_->prev_ = prev_;
  for (auto& level : files_) {
    for (FileMetaData* f : level) {
      assert(f->refs > 0);
      if (--f->refs == 0) delete f;
    }
  }
}

void Version::Unref() {
  assert(this != &vset_->dummy_versions_);
  assert(refs_ >= 1);
  if (--refs_ == 0) delete this;
}

uint64_t Version::LevelBytes(int level) const {
  return TotalFileSize(files_[level]);
}

int64_t AllowedSeeksForFile(uint64_t file_size) {
  // A lookup that passes through a file costs about a filter probe and, one
  // time in a hundred, a block read; an iterator Seek always reads a block of
  // every level. Compacting the file costs rewriting it and its overlap below,
  // roughly a microsecond per 30 bytes here. One seek per 16 KiB of file (at
  // least 100) lets a file that reads keep passing through move down after it
  // has cost about as much as moving it, as LevelDB does.
  return std::max<int64_t>(100, static_cast<int64_t>(file_size / 16384));
}

absl::StatusOr<LookupResult> Version::Get(const ReadOptions& options,
                                          const LookupKey& key,
                                          std::string* value, GetStats* stats) {
  const InternalKeyComparator& icmp = *vset_->icmp_;
  const Comparator* ucmp = icmp.user_comparator();
  std::string_view ikey = key.internal_key();
  std::string_view user_key = key.user_key();

  LookupResult result = LookupResult::kNotFound;
  absl::Status parse_status;
  auto found = [&](std::string_view k, std::string_view v) {
    ParsedInternalKey parsed;
    if (!ParseInternalKey(k, &parsed)) {
      parse_status = absl::DataLossError("corrupted internal key in table");
      return;
    }
    if (ucmp->Compare(parsed.user_key, user_key) != 0) return;
    if (parsed.type == kTypeValue) {
      result = LookupResult::kFound;
      value->assign(v.data(), v.size());
    } else {
      result = LookupResult::kDeleted;
    }
  };
  FileMetaData* previous_file = nullptr;
  int previous_level = -1;
  // Returns true when the search is over (found, deleted or error).
  auto search_file = [&](FileMetaData* f, int level) -> absl::StatusOr<bool> {
    if (stats != nullptr && previous_file != nullptr &&
        stats->seek_file == nullptr) {
      stats->seek_file = previous_file;
      stats->seek_file_level = previous_level;
    }
    previous_file = f;
    previous_level = level;
    absl::Status s =
        vset_->table_cache_->Get(options, f->number, f->file_size, ikey, found);
    if (!s.ok()) return s;
    if (!parse_status.ok()) return parse_status;
    return result != LookupResult::kNotFound;
  };

  // Level 0 files may overlap each other: search every candidate, newest
  // first. They are kept in file-number order, so newest first is backwards.
  const auto& level0 = files_[0];
  for (auto it = level0.rbegin(); it != level0.rend(); ++it) {
    FileMetaData* f = *it;
    if (ucmp->Compare(user_key, ExtractUserKey(f->smallest)) < 0 ||
        ucmp->Compare(user_key, ExtractUserKey(f->largest)) > 0) {
      continue;
    }
    auto done = search_file(f, 0);
    if (!done.ok()) return done.status();
    if (*done) return result;
  }

  for (int level = 1; level < vset_->num_levels_; level++) {
    const auto& files = files_[level];
    if (files.empty()) continue;
    size_t index = FindFile(icmp, files, ikey);
    if (index >= files.size()) continue;
    FileMetaData* f = files[index];
    if (ucmp->Compare(user_key, ExtractUserKey(f->smallest)) < 0) continue;
    auto done = search_file(f, level);
    if (!done.ok()) return done.status();
    if (*done) return result;
  }
  return LookupResult::kNotFound;
}

bool Version::UpdateStats(const GetStats& stats) {
  FileMetaData* f = stats.seek_file;
  if (f == nullptr) return false;
  f->allowed_seeks--;
  // A file can only be the first of several searched if a deeper level
  // exists, but the picker relies on it, so check.
  if (f->allowed_seeks <= 0 && file_to_compact == nullptr &&
      stats.seek_file_level + 1 < vset_->num_levels_) {
    file_to_compact = f;
    file_to_compact_level = stats.seek_file_level;
    return true;
  }
  return false;
}

void Version::AddIterators(const ReadOptions& options,
                           std::vector<Iterator*>* iters) {
  // Newest level-0 file first; they are kept in file-number order.
  const auto& level0 = files_[0];
  for (auto it = level0.rbegin(); it != level0.rend(); ++it) {
    iters->push_back(vset_->table_cache_->NewIterator(options, (*it)->number,
                                                      (*it)->file_size));
  }
  for (int level = 1; level < vset_->num_levels_; level++) {
    if (files_[level].empty()) continue;
    iters->push_back(NewLevelIterator(options, vset_->table_cache_,
                                      vset_->icmp_, &files_[level]));
  }
}

namespace {

// The level iterator's data iterators: one table per file, through the table
// cache. A plain function, so making a level iterator allocates no closure.
Iterator* NewFileIterator(const void* table_cache, const ReadOptions& options,
                          std::string_view file_value) {
  return static_cast<TableCache*>(const_cast<void*>(table_cache))
      ->NewIterator(options, DecodeFixed64(file_value.data()),
                    DecodeFixed64(file_value.data() + 8));
}

}  // namespace

Iterator* NewLevelIterator(const ReadOptions& options, TableCache* table_cache,
                           const InternalKeyComparator* icmp,
                           const std::vector<FileMetaData*>* files) {
  return NewTwoLevelIterator(new LevelFileIterator(icmp, files),
                             &NewFileIterator, table_cache, options);
}

std::vector<FileMetaData*> Version::GetOverlappingInputs(
    int level, const std::string_view* begin,
    const std::string_view* end) const {
  const Comparator* ucmp = vset_->icmp_->user_comparator();
  std::string begin_key = begin ? std::string(*begin) : std::string();
  std::string end_key = end ? std::string(*end) : std::string();
  bool has_begin = begin != nullptr;
  bool has_end = end != nullptr;
  std::vector<FileMetaData*> inputs;
  for (size_t i = 0; i < files_[level].size();) {
    FileMetaData* f = files_[level][i++];
    std::string_view file_start = ExtractUserKey(f->smallest);
    std::string_view file_limit = ExtractUserKey(f->largest);
    if (has_begin && ucmp->Compare(file_limit, begin_key) < 0) continue;
    if (has_end && ucmp->Compare(file_start, end_key) > 0) continue;
    inputs.push_back(f);
    if (level == 0) {
      // Level-0 files may overlap each other: if f widens the range, start over
      // with the wider range.
      if (has_begin && ucmp->Compare(file_start, begin_key) < 0) {
        begin_key = std::string(file_start);
        inputs.clear();
        i = 0;
      } else if (has_end && ucmp->Compare(file_limit, end_key) > 0) {
        end_key = std::string(file_limit);
        inputs.clear();
        i = 0;
      }
    }
  }
  return inputs;
}

bool Version::OverlapInLevel(int level, std::string_view smallest_user_key,
                             std::string_view largest_user_key) const {
  const Comparator* ucmp = vset_->icmp_->user_comparator();
  const auto& files = files_[level];
  if (level == 0) {
    for (const FileMetaData* f : files) {
      if (!AfterFile(ucmp, &smallest_user_key, f) &&
          !BeforeFile(ucmp, &largest_user_key, f)) {
        return true;
      }
    }
    return false;
  }
  // The earliest possible internal key for smallest_user_key.
  InternalKey small(smallest_user_key, kMaxSequenceNumber, kValueTypeForSeek);
  size_t index = FindFile(*vset_->icmp_, files, small.Encode());
  if (index >= files.size()) return false;
  return !BeforeFile(ucmp, &largest_user_key, files[index]);
}

absl::Status Version::CheckInvariants() const {
  const InternalKeyComparator& icmp = *vset_->icmp_;
  std::set<uint64_t> seen;
  for (int level = 0; level < vset_->num_levels_; level++) {
    const auto& files = files_[level];
    for (size_t i = 0; i < files.size(); i++) {
      const FileMetaData* f = files[i];
      if (!seen.insert(f->number).second) {
        return absl::InternalError(
            absl::StrCat("file ", f->number, " appears twice"));
      }
      if (icmp.Compare(f->smallest, f->largest) > 0) {
        return absl::InternalError(absl::StrCat(
            "file ", f->number, " has smallest key > largest key"));
      }
      if (level > 0 && i > 0 &&
          icmp.Compare(files[i - 1]->largest, f->smallest) >= 0) {
        return absl::InternalError(
            absl::StrCat("level ", level, ": files ", files[i - 1]->number,
                         " and ", f->number, " overlap or are out of order"));
      }
    }
  }
  return absl::OkStatus();
}

uint64_t Version::ApproximateOffsetOf(std::string_view internal_key) const {
  const InternalKeyComparator& icmp = *vset_->icmp_;
  uint64_t result = 0;
  for (int level = 0; level < vset_->num_levels_; level++) {
    for (const FileMetaData* f : files_[level]) {
      if (icmp.Compare(f->largest, internal_key) <= 0) {
        // Entirely before the key.
        result += f->file_size;
      } else if (icmp.Compare(f->smallest, internal_key) > 0) {
        // Entirely after the key. Deeper levels are sorted, so nothing more in
        // this level counts.
        if (level > 0) break;
      } else {
        auto table = vset_->table_cache_->FindTable(f->number, f->file_size);
        if (table.ok()) result += (*table)->ApproximateOffsetOf(internal_key);
      }
    }
  }
  return result;
}

std::string Version::DebugString() const {
  std::string r;
  for (int level = 0; level < vset_->num_levels_; level++) {
    absl::StrAppend(&r, "--- level ", level, " ---\n");
    for (const FileMetaData* f : files_[level]) {
      ParsedInternalKey small;
      ParsedInternalKey large;
      absl::StrAppend(
          &r, " ", f->number, ":", f->file_size, "[",
          ParseInternalKey(f->smallest, &small) ? small.DebugString() : "(bad)",
          " .. ",
          ParseInternalKey(f->largest, &large) ? large.DebugString() : "(bad)",
          "]\n");
    }
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Version::Builder: applies a sequence of edits to a base Version without
// building the intermediate Versions.

class Version::Builder {
 public:
  Builder(VersionSet* vset, Version* base) : vset_(vset), base_(base) {
    base_->Ref();
  }
  ~Builder() {
    for (auto& level : added_) {
      for (auto& [number, f] : level) {
        if (--f->refs == 0) delete f;
      }
    }
    base_->Unref();
  }

  absl::Status Apply(const VersionEdit& edit) {
    for (const auto& [level, key] : edit.compact_pointers()) {
      if (level >= vset_->num_levels_) return LevelError(level);
      vset_->compact_pointer_[level] = key;
    }
    for (const auto& [level, number] : edit.deleted_files()) {
      if (level >= vset_->num_levels_) return LevelError(level);
      deleted_[level].insert(number);
      auto it = added_[level].find(number);
      if (it != added_[level].end()) {
        if (--it->second->refs == 0) delete it->second;
        added_[level].erase(it);
      }
    }
    for (const auto& [level, file] : edit.new_files()) {
      if (level >= vset_->num_levels_) return LevelError(level);
      auto* f = new FileMetaData(file);
      f->refs = 1;
      f->allowed_seeks = AllowedSeeksForFile(f->file_size);
      deleted_[level].erase(f->number);
      auto [it, inserted] = added_[level].emplace(f->number, f);
      if (!inserted) {
        if (--it->second->refs == 0) delete it->second;
        it->second = f;
      }
    }
    return absl::OkStatus();
  }

  // Writes the result into v, ordering level 0 by file number and deeper levels
  // by key.
  void SaveTo(Version* v) {
    const InternalKeyComparator& icmp = *vset_->icmp_;
    for (int level = 0; level < vset_->num_levels_; level++) {
      std::vector<FileMetaData*>& out = v->files_[level];
      for (FileMetaData* f : base_->files_[level]) {
        if (!deleted_[level].contains(f->number) &&
            !added_[level].contains(f->number)) {
          out.push_back(f);
        }
      }
      for (auto& [number, f] : added_[level]) out.push_back(f);
      if (level == 0) {
        std::sort(out.begin(), out.end(),
                  [](const FileMetaData* a, const FileMetaData* b) {
                    return a->number < b->number;
                  });
      } else {
        std::sort(out.begin(), out.end(),
                  [&](const FileMetaData* a, const FileMetaData* b) {
                    int r = icmp.Compare(a->smallest, b->smallest);
                    return r != 0 ? r < 0 : a->number < b->number;
                  });
      }
      for (FileMetaData* f : out) f->refs++;
    }
  }

 private:
  static absl::Status LevelError(int level) {
    return absl::DataLossError(
        absl::StrCat("VersionEdit names level ", level,
                     " beyond the configured number of levels"));
  }

  VersionSet* const vset_;
  Version* const base_;
  std::set<uint64_t> deleted_[kMaxNumLevels];
  std::map<uint64_t, FileMetaData*> added_[kMaxNumLevels];
};

// ---------------------------------------------------------------------------------------------
// VersionSet

VersionSet::VersionSet(std::string dbname, const Options* options,
                       FileSystem* fs, TableCache* table_cache,
                       const InternalKeyComparator* icmp)
    : dbname_(std::move(dbname)),
      options_(options),
      fs_(fs),
      table_cache_(table_cache),
      icmp_(icmp),
      num_levels_(options->num_levels),
      dummy_versions_(this) {
  AppendVersion(new Version(this));
}

VersionSet::~VersionSet() {
  current_->Unref();
  // Every other Version must have been released by now.
  assert(dummy_versions_.next_ == &dummy_versions_);
}

void VersionSet::AppendVersion(Version* v) {
  assert(v->refs_ == 0);
  assert(v != current_);
  if (current_ != nullptr) current_->Unref();
  current_ = v;
  v->Ref();
  v->prev_ = dummy_versions_.prev_;
  v->next_ = &dummy_versions_;
  v->prev_->next_ = v;
  v->next_->prev_ = v;
}

absl::Status VersionSet::LogAndApply(VersionEdit* edit, Mutex* mu) {
  if (manifest_cv_ == nullptr) {
    manifest_cv_storage_ = std::make_unique<CondVar>(mu);
    manifest_cv_ = manifest_cv_storage_.get();
  }
  // One MANIFEST writer at a time: the edit must apply to the Version the
  // previous writer made.
  while (manifest_write_in_progress_) manifest_cv_->Wait();
  manifest_write_in_progress_ = true;

  if (!edit->log_number()) edit->SetLogNumber(log_number_);
  edit->SetNextFileNumber(next_file_number_);
  edit->SetLastSequence(last_sequence_);

  auto* v = new Version(this);
  absl::Status s;
  {
    Version::Builder builder(this, current_);
    s = builder.Apply(*edit);
    if (s.ok()) builder.SaveTo(v);
  }
  if (s.ok()) Finalize(v);

  // Start a new MANIFEST if none is open: its first record is a snapshot of the
  // current state.
  std::string new_manifest;
  uint64_t new_manifest_number = 0;
  bool current_may_name_new_manifest = false;
  if (s.ok() && descriptor_log_ == nullptr) {
    new_manifest_number = NewFileNumber();
    edit->SetNextFileNumber(next_file_number_);
    new_manifest = DescriptorFileName(dbname_, new_manifest_number);
    auto file = fs_->NewWritableFile(new_manifest);
    if (file.ok()) {
      descriptor_file_ = std::move(*file);
      descriptor_log_ =
          std::make_unique<wal::Writer>(descriptor_file_.get(), 0);
      VersionEdit snapshot;
      WriteSnapshot(&snapshot);
      std::string record;
      snapshot.EncodeTo(&record);
      s = descriptor_log_->AddRecord(record);
    } else {
      s = file.status();
    }
  }

  if (s.ok()) {
    std::string record;
    edit->EncodeTo(&record);
    // The slow part (append + fdatasync, and for a new MANIFEST the CURRENT
    // switch) runs without the DB mutex; manifest_write_in_progress_ keeps
    // other writers of the MANIFEST out.
    mu->Unlock();
    s = descriptor_log_->AddRecord(record);
    if (s.ok()) s = descriptor_log_->Sync();
    if (s.ok() && !new_manifest.empty()) {
      s = SetCurrentFile(fs_, dbname_, new_manifest_number);
      // The rename may have happened before the failure (say, of the directory
      // sync): CURRENT may name the new MANIFEST, which is complete and synced.
      // Removing it would leave a database that cannot be opened.
      if (!s.ok()) current_may_name_new_manifest = true;
    }
    mu->Lock();
  }

  if (s.ok()) {
    if (!new_manifest.empty()) manifest_file_number_ = new_manifest_number;
    AppendVersion(v);
    log_number_ = *edit->log_number();
  } else {
    delete v;
    // The MANIFEST may now end in a partial record: never append to it again.
    descriptor_log_.reset();
    descriptor_file_.reset();
    if (!new_manifest.empty() && !current_may_name_new_manifest) {
      fs_->RemoveFile(new_manifest).IgnoreError();
    }
  }

  manifest_write_in_progress_ = false;
  manifest_cv_->SignalAll();
  return s;
}

absl::Status VersionSet::Recover() {
  auto current = ReadFileToString(fs_, CurrentFileName(dbname_));
  if (!current.ok()) return current.status();
  std::string_view name = *current;
  uint64_t manifest_number;
  FileType type;
  if (name.empty() || name.back() != '\n' ||
      !ParseFileName(name.substr(0, name.size() - 1), &manifest_number,
                     &type) ||
      type != FileType::kDescriptorFile) {
    return absl::DataLossError("CURRENT file is damaged");
  }
  std::string manifest = DescriptorFileName(dbname_, manifest_number);
  auto file = fs_->NewSequentialFile(manifest);
  if (!file.ok()) {
    if (absl::IsNotFound(file.status())) {
      return absl::DataLossError(
          absl::StrCat("CURRENT names ", manifest, ", which does not exist"));
    }
    return file.status();
  }

  std::optional<uint64_t> log_number;
  std::optional<uint64_t> next_file;
  std::optional<uint64_t> last_sequence;
  Version::Builder builder(this, current_);
  ManifestReporter reporter;
  {
    wal::Reader reader(file->get(), &reporter, /*verify_checksums=*/true);
    std::string_view record;
    std::string scratch;
    while (reader.ReadRecord(&record, &scratch) && reporter.status.ok()) {
      VersionEdit edit;
      absl::Status s = edit.DecodeFrom(record);
      if (s.ok() && edit.comparator() &&
          *edit.comparator() != icmp_->user_comparator()->Name()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "the database was created with comparator ", *edit.comparator(),
            ", not ", icmp_->user_comparator()->Name()));
      }
      if (s.ok()) s = builder.Apply(edit);
      if (!s.ok()) return s;
      if (edit.log_number()) log_number = edit.log_number();
      if (edit.next_file_number()) next_file = edit.next_file_number();
      if (edit.last_sequence()) last_sequence = edit.last_sequence();
    }
    if (!reader.status().ok()) return reader.status();
  }
  if (!reporter.status.ok()) {
    return absl::DataLossError(
        absl::StrCat(manifest, " is damaged: ", reporter.status.message()));
  }
  if (!next_file) return absl::DataLossError("MANIFEST lacks next-file entry");
  if (!log_number) return absl::DataLossError("MANIFEST lacks log number");
  if (!last_sequence) {
    return absl::DataLossError("MANIFEST lacks last-sequence entry");
  }

  auto* v = new Version(this);
  builder.SaveTo(v);
  absl::Status invariants = v->CheckInvariants();
  if (!invariants.ok()) {
    delete v;
    return absl::DataLossError(absl::StrCat(
        "MANIFEST describes an impossible state: ", invariants.message()));
  }
  // Records with valid checksums may still hold nonsense that would make the
  // database misbehave silently: new writes numbered at or below the tables'
  // (hidden behind older data), or numbers past the 56 bits a key can hold.
  if (*last_sequence > kMaxSequenceNumber) {
    delete v;
    return absl::DataLossError(absl::StrCat(
        "MANIFEST's last sequence ", *last_sequence, " is out of range"));
  }
  for (int level = 0; level < num_levels_; level++) {
    for (const FileMetaData* f : v->files_[level]) {
      if ((ExtractTrailer(f->smallest) >> 8) > *last_sequence ||
          (ExtractTrailer(f->largest) >> 8) > *last_sequence) {
        uint64_t number = f->number;
        delete v;
        return absl::DataLossError(
            absl::StrCat("MANIFEST's last sequence ", *last_sequence,
                         " is below the keys of table ", number));
      }
    }
  }
  Finalize(v);
  AppendVersion(v);
  manifest_file_number_ = manifest_number;
  next_file_number_ = *next_file;
  MarkFileNumberUsed(manifest_number);
  MarkFileNumberUsed(*log_number);
  // Never hand out a live table's number again, whatever the MANIFEST says.
  for (int level = 0; level < num_levels_; level++) {
    for (const FileMetaData* f : current_->files_[level]) {
      MarkFileNumberUsed(f->number);
    }
  }
  log_number_ = *log_number;
  last_sequence_ = *last_sequence;
  return absl::OkStatus();
}

double VersionSet::MaxBytesForLevel(int level) const {
  double result = static_cast<double>(options_->max_bytes_for_level_base);
  for (int l = level; l > 1; l--) {
    result *= options_->max_bytes_for_level_multiplier;
  }
  return result;
}

void VersionSet::Finalize(Version* v) const {
  int best_level = -1;
  double best_score = -1;
  for (int level = 0; level < num_levels_ - 1; level++) {
    double score;
    if (level == 0) {
      // By file count: every level-0 file is searched by every read, whatever
      // its size.
      score = v->files_[0].size() /
              static_cast<double>(options_->level0_file_num_compaction_trigger);
    } else {
      score =
          static_cast<double>(v->LevelBytes(level)) / MaxBytesForLevel(level);
    }
    if (score > best_score) {
      best_level = level;
      best_score = score;
    }
  }
  v->compaction_level = best_level;
  v->compaction_score = best_score;
}

void VersionSet::WriteSnapshot(VersionEdit* edit) const {
  edit->SetComparatorName(icmp_->user_comparator()->Name());
  for (int level = 0; level < num_levels_; level++) {
    if (!compact_pointer_[level].empty()) {
      edit->SetCompactPointer(level, compact_pointer_[level]);
    }
    for (const FileMetaData* f : current_->files_[level]) {
      edit->AddFile(level, *f);
    }
  }
}

void VersionSet::AddLiveFiles(std::set<uint64_t>* live) const {
  for (const Version* v = dummy_versions_.next_; v != &dummy_versions_;
       v = v->next_) {
    for (int level = 0; level < num_levels_; level++) {
      for (const FileMetaData* f : v->files_[level]) live->insert(f->number);
    }
  }
}

}  // namespace kvs
