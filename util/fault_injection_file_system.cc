#include "util/fault_injection_file_system.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "util/path_util.h"

namespace kvs {

namespace {

constexpr std::string_view kInjectedPrefix = "injected I/O error";
constexpr std::string_view kTrashPrefix = ".kvs_fault_trash_";

// Operations that still work on an inactive file system.
constexpr FaultOp kReadOps = FaultOp::kOpenForRead | FaultOp::kRead;

const char* OpName(FaultOp op) {
  switch (op) {
    case FaultOp::kNewWritableFile:
      return "NewWritableFile";
    case FaultOp::kAppend:
      return "Append";
    case FaultOp::kFlush:
      return "Flush";
    case FaultOp::kSync:
      return "Sync";
    case FaultOp::kClose:
      return "Close";
    case FaultOp::kOpenForRead:
      return "OpenForRead";
    case FaultOp::kRead:
      return "Read";
    case FaultOp::kRemoveFile:
      return "RemoveFile";
    case FaultOp::kRename:
      return "Rename";
    case FaultOp::kSyncDir:
      return "SyncDir";
    case FaultOp::kCreateDir:
      return "CreateDir";
    case FaultOp::kLockFile:
      return "LockFile";
    default:
      return "?";
  }
}

bool IsTrashName(std::string_view name) {
  return name.substr(0, kTrashPrefix.size()) == kTrashPrefix;
}

absl::string_view AbslView(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

}  // namespace

bool IsInjectedError(const absl::Status& status) {
  return absl::IsInternal(status) &&
         absl::StartsWith(status.message(), AbslView(kInjectedPrefix));
}

// A file's bytes in the base, followed across renames.
struct FaultInjectionFileSystem::Inode {
  std::string path;  // Where the bytes are in the base; empty once deleted.
  bool tracked =
      false;  // Written through the wrapper, so `synced` is meaningful.
  uint64_t synced = 0;  // Durable length, if tracked (else the whole file).
};

class FaultWritableFile final : public WritableFile {
 public:
  FaultWritableFile(FaultInjectionFileSystem* fs, std::string path,
                    std::shared_ptr<FaultInjectionFileSystem::Inode> inode,
                    std::unique_ptr<WritableFile> base, uint64_t size)
      : fs_(fs),
        path_(std::move(path)),
        inode_(std::move(inode)),
        base_(std::move(base)),
        size_(size) {}

  absl::Status Append(std::string_view data) override {
    absl::Status s = fs_->CheckLocked(FaultOp::kAppend, path_);
    if (s.ok()) s = base_->Append(data);
    if (!s.ok()) return s;
    size_ += data.size();
    MutexLock l(&fs_->mu_);
    fs_->counters_.appends++;
    fs_->counters_.bytes_appended += data.size();
    return absl::OkStatus();
  }

  absl::Status Flush() override {
    absl::Status s = fs_->CheckLocked(FaultOp::kFlush, path_);
    if (s.ok()) s = base_->Flush();
    if (!s.ok()) return s;
    MutexLock l(&fs_->mu_);
    fs_->counters_.flushes++;
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    absl::Status s = fs_->CheckLocked(FaultOp::kSync, path_);
    if (s.ok()) s = base_->Sync();
    if (!s.ok()) return s;
    MutexLock l(&fs_->mu_);
    inode_->synced = size_;
    fs_->counters_.syncs++;
    return absl::OkStatus();
  }

  absl::Status Close() override {
    absl::Status s = fs_->CheckLocked(FaultOp::kClose, path_);
    // Release the base handle even when failing the call.
    absl::Status closed = base_->Close();
    return s.ok() ? closed : s;
  }

 private:
  FaultInjectionFileSystem* const fs_;
  const std::string path_;
  const std::shared_ptr<FaultInjectionFileSystem::Inode> inode_;
  const std::unique_ptr<WritableFile> base_;
  uint64_t size_;  // Bytes in the file as this writer has made it.
};

class FaultSequentialFile final : public SequentialFile {
 public:
  FaultSequentialFile(FaultInjectionFileSystem* fs, std::string path,
                      std::unique_ptr<SequentialFile> base)
      : fs_(fs), path_(std::move(path)), base_(std::move(base)) {}

  absl::Status Read(size_t n, std::string_view* result,
                    char* scratch) override {
    absl::Status s = fs_->CheckLocked(FaultOp::kRead, path_);
    if (!s.ok()) {
      *result = std::string_view();
      return s;
    }
    return base_->Read(n, result, scratch);
  }

  absl::Status Skip(uint64_t n) override { return base_->Skip(n); }

 private:
  FaultInjectionFileSystem* const fs_;
  const std::string path_;
  const std::unique_ptr<SequentialFile> base_;
};

class FaultRandomAccessFile final : public RandomAccessFile {
 public:
  FaultRandomAccessFile(FaultInjectionFileSystem* fs, std::string path,
                        std::unique_ptr<RandomAccessFile> base)
      : fs_(fs), path_(std::move(path)), base_(std::move(base)) {}

  absl::Status Read(uint64_t offset, size_t n, std::string_view* result,
                    char* scratch) const override {
    absl::Status s = fs_->CheckLocked(FaultOp::kRead, path_);
    if (!s.ok()) {
      *result = std::string_view();
      return s;
    }
    return base_->Read(offset, n, result, scratch);
  }

 private:
  FaultInjectionFileSystem* const fs_;
  const std::string path_;
  const std::unique_ptr<RandomAccessFile> base_;
};

FaultInjectionFileSystem::FaultInjectionFileSystem(FileSystem* base)
    : base_(base) {}

FaultInjectionFileSystem::~FaultInjectionFileSystem() = default;

absl::Status FaultInjectionFileSystem::Check(FaultOp op, std::string_view path,
                                             std::string_view path2) {
  if (!active_ && !FaultOpIn(op, kReadOps)) {
    counters_.injected_errors++;
    return absl::InternalError(absl::StrCat(
        AbslView(kInjectedPrefix), " (file system inactive): ", OpName(op), " ",
        AbslView(path)));
  }
  for (ActiveRule& active : rules_) {
    FaultRule& rule = active.rule;
    if (!FaultOpIn(op, rule.ops) || rule.failures == 0) continue;
    const absl::string_view filter = AbslView(rule.path_filter);
    if (!absl::StrContains(AbslView(path), filter) &&
        !(path2.data() != nullptr &&
          absl::StrContains(AbslView(path2), filter))) {
      continue;
    }
    if (rule.skip > 0) {
      rule.skip--;
      continue;
    }
    if (rule.one_in > 1 && !active.rng.OneIn(rule.one_in)) continue;
    if (rule.failures > 0) rule.failures--;
    counters_.injected_errors++;
    return absl::InternalError(absl::StrCat(
        AbslView(kInjectedPrefix), ": ", OpName(op), " ", AbslView(path),
        path2.data() != nullptr ? " -> " : "", AbslView(path2)));
  }
  return absl::OkStatus();
}

absl::Status FaultInjectionFileSystem::CheckLocked(FaultOp op,
                                                   std::string_view path) {
  MutexLock l(&mu_);
  absl::Status s = Check(op, path);
  if (s.ok() && op == FaultOp::kRead) counters_.reads++;
  return s;
}

void FaultInjectionFileSystem::SetFilesystemActive(bool active) {
  MutexLock l(&mu_);
  active_ = active;
}

bool FaultInjectionFileSystem::IsFilesystemActive() {
  MutexLock l(&mu_);
  return active_;
}

int FaultInjectionFileSystem::InjectError(FaultRule rule) {
  MutexLock l(&mu_);
  const int id = next_rule_id_++;
  const uint64_t seed = rule.seed;
  rules_.push_back(ActiveRule{id, std::move(rule), Random(seed)});
  return id;
}

void FaultInjectionFileSystem::RemoveError(int id) {
  MutexLock l(&mu_);
  rules_.erase(std::remove_if(rules_.begin(), rules_.end(),
                              [id](const ActiveRule& r) { return r.id == id; }),
               rules_.end());
}

void FaultInjectionFileSystem::ClearErrors() {
  MutexLock l(&mu_);
  rules_.clear();
}

FaultCounters FaultInjectionFileSystem::GetCounters() {
  MutexLock l(&mu_);
  return counters_;
}

void FaultInjectionFileSystem::ResetCounters() {
  MutexLock l(&mu_);
  counters_ = FaultCounters();
}

std::shared_ptr<FaultInjectionFileSystem::Inode>
FaultInjectionFileSystem::InodeFor(const std::string& path) {
  auto it = live_.find(path);
  if (it != live_.end()) return it->second;
  // A file the wrapper has not seen yet: it predates us, so all of it is
  // durable. Directories are not modelled.
  if (!base_->FileExists(path) || base_->GetChildren(path).ok()) return nullptr;
  auto inode = std::make_shared<Inode>();
  inode->path = path;
  live_[path] = inode;
  return inode;
}

void FaultInjectionFileSystem::RecordPending(const std::string& path) {
  if (pending_.count(path) == 0) pending_[path] = InodeFor(path);
}

bool FaultInjectionFileSystem::IsNeeded(const Inode* inode) {
  for (const auto& [path, durable] : pending_) {
    if (durable.get() == inode) return true;
  }
  return false;
}

absl::Status FaultInjectionFileSystem::MoveAside(
    const std::shared_ptr<Inode>& inode) {
  const std::string dir = SplitPath(inode->path).first;
  const std::string trash =
      JoinPath(dir, absl::StrCat(AbslView(kTrashPrefix), next_trash_number_++));
  absl::Status s = base_->RenameFile(inode->path, trash);
  if (!s.ok()) return s;
  inode->path = trash;
  trash_.push_back(inode);
  return absl::OkStatus();
}

absl::Status FaultInjectionFileSystem::Vacate(const std::string& path) {
  auto it = live_.find(path);
  if (it == live_.end()) return absl::OkStatus();
  std::shared_ptr<Inode> inode = it->second;
  absl::Status s;
  if (IsNeeded(inode.get())) {
    s = MoveAside(inode);
  } else {
    s = base_->RemoveFile(path);
    if (s.ok()) inode->path.clear();
  }
  if (s.ok()) live_.erase(path);
  return s;
}

void FaultInjectionFileSystem::CollectTrash() {
  auto keep = trash_.begin();
  for (auto it = trash_.begin(); it != trash_.end(); ++it) {
    if (IsNeeded(it->get())) {
      *keep++ = std::move(*it);
    } else {
      base_->RemoveFile((*it)->path).IgnoreError();
      (*it)->path.clear();
    }
  }
  trash_.erase(keep, trash_.end());
}

absl::Status FaultInjectionFileSystem::CopyPrefix(const std::string& from,
                                                  const std::string& to,
                                                  uint64_t length) {
  absl::StatusOr<std::unique_ptr<SequentialFile>> in =
      base_->NewSequentialFile(from);
  if (!in.ok()) return in.status();
  std::string data;
  std::string scratch(64 * 1024, '\0');
  while (data.size() < length) {
    std::string_view piece;
    const size_t want =
        std::min<uint64_t>(scratch.size(), length - data.size());
    absl::Status s = (*in)->Read(want, &piece, scratch.data());
    if (!s.ok()) return s;
    if (piece.empty()) break;
    data.append(piece.data(), piece.size());
  }
  in->reset();
  absl::StatusOr<std::unique_ptr<WritableFile>> out =
      base_->NewWritableFile(to);
  if (!out.ok()) return out.status();
  absl::Status s = (*out)->Append(data);
  if (s.ok()) s = (*out)->Sync();
  if (s.ok()) s = (*out)->Close();
  return s;
}

absl::Status FaultInjectionFileSystem::DropUnsyncedData() {
  MutexLock l(&mu_);
  absl::Status result;
  auto note = [&result](const absl::Status& s) {
    if (result.ok()) result = s;
  };

  // Empty every name whose occupant is not the durable one, keeping aside any
  // bytes that must reappear under another name.
  for (const auto& [path, durable] : pending_) {
    auto it = live_.find(path);
    if (it == live_.end() || it->second == durable) continue;
    note(Vacate(path));
  }
  // Put the durable occupants back.
  for (const auto& [path, durable] : pending_) {
    if (durable == nullptr || durable->path.empty()) continue;
    auto it = live_.find(path);
    if (it != live_.end())
      continue;  // Already right (or could not be vacated).
    auto elsewhere = live_.find(durable->path);
    if (elsewhere != live_.end() && elsewhere->second == durable) {
      // The bytes are also durably named elsewhere (a rename across two
      // directories of which only the target's was synced): the power loss
      // leaves two names, so make a copy.
      const uint64_t length = durable->tracked
                                  ? durable->synced
                                  : std::numeric_limits<uint64_t>::max();
      absl::Status s = CopyPrefix(durable->path, path, length);
      note(s);
      if (s.ok()) {
        auto copy = std::make_shared<Inode>(*durable);
        copy->path = path;
        live_[path] = copy;
      }
      continue;
    }
    absl::Status s = base_->RenameFile(durable->path, path);
    note(s);
    if (!s.ok()) continue;
    trash_.erase(std::remove(trash_.begin(), trash_.end(), durable),
                 trash_.end());
    durable->path = path;
    live_[path] = durable;
  }
  pending_.clear();
  CollectTrash();

  // Cut every file back to its last Sync.
  for (const auto& [path, inode] : live_) {
    if (!inode->tracked) continue;
    absl::StatusOr<uint64_t> size = base_->GetFileSize(path);
    if (!size.ok()) {
      note(size.status());
      continue;
    }
    if (*size > inode->synced) note(CopyPrefix(path, path, inode->synced));
  }
  return result;
}

absl::StatusOr<std::unique_ptr<SequentialFile>>
FaultInjectionFileSystem::NewSequentialFile(const std::string& path) {
  const std::string p = NormalizePath(path);
  MutexLock l(&mu_);
  absl::Status s = Check(FaultOp::kOpenForRead, p);
  if (!s.ok()) return s;
  absl::StatusOr<std::unique_ptr<SequentialFile>> file =
      base_->NewSequentialFile(p);
  if (!file.ok()) return file.status();
  return std::make_unique<FaultSequentialFile>(this, p, std::move(*file));
}

absl::StatusOr<std::unique_ptr<RandomAccessFile>>
FaultInjectionFileSystem::NewRandomAccessFile(const std::string& path) {
  const std::string p = NormalizePath(path);
  MutexLock l(&mu_);
  absl::Status s = Check(FaultOp::kOpenForRead, p);
  if (!s.ok()) return s;
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> file =
      base_->NewRandomAccessFile(p);
  if (!file.ok()) return file.status();
  return std::make_unique<FaultRandomAccessFile>(this, p, std::move(*file));
}

absl::StatusOr<std::unique_ptr<WritableFile>>
FaultInjectionFileSystem::OpenWritable(const std::string& path, bool truncate) {
  const std::string p = NormalizePath(path);
  MutexLock l(&mu_);
  absl::Status s = Check(FaultOp::kNewWritableFile, p);
  if (!s.ok()) return s;
  std::shared_ptr<Inode> inode = InodeFor(p);
  if (inode == nullptr) RecordPending(p);
  absl::StatusOr<std::unique_ptr<WritableFile>> file =
      truncate ? base_->NewWritableFile(p) : base_->NewAppendableFile(p);
  if (!file.ok()) return file.status();
  uint64_t size = 0;
  if (inode == nullptr) {
    inode = std::make_shared<Inode>();
    inode->path = p;
    inode->tracked = true;
    live_[p] = inode;
    counters_.files_created++;
  } else if (truncate) {
    inode->tracked = true;
    inode->synced = 0;
  } else {
    absl::StatusOr<uint64_t> existing = base_->GetFileSize(p);
    if (!existing.ok()) return existing.status();
    size = *existing;
    if (!inode->tracked) {
      inode->tracked = true;
      inode->synced = size;
    }
  }
  return std::make_unique<FaultWritableFile>(this, p, std::move(inode),
                                             std::move(*file), size);
}

absl::StatusOr<std::unique_ptr<WritableFile>>
FaultInjectionFileSystem::NewWritableFile(const std::string& path) {
  return OpenWritable(path, /*truncate=*/true);
}

absl::StatusOr<std::unique_ptr<WritableFile>>
FaultInjectionFileSystem::NewAppendableFile(const std::string& path) {
  return OpenWritable(path, /*truncate=*/false);
}

bool FaultInjectionFileSystem::FileExists(const std::string& path) {
  const std::string p = NormalizePath(path);
  MutexLock l(&mu_);
  return base_->FileExists(p);
}

absl::StatusOr<std::vector<std::string>> FaultInjectionFileSystem::GetChildren(
    const std::string& dir) {
  const std::string d = NormalizePath(dir);
  MutexLock l(&mu_);
  absl::StatusOr<std::vector<std::string>> names = base_->GetChildren(d);
  if (!names.ok()) return names;
  names->erase(std::remove_if(names->begin(), names->end(), IsTrashName),
               names->end());
  return names;
}

absl::Status FaultInjectionFileSystem::RemoveFile(const std::string& path) {
  const std::string p = NormalizePath(path);
  MutexLock l(&mu_);
  absl::Status s = Check(FaultOp::kRemoveFile, p);
  if (!s.ok()) return s;
  if (InodeFor(p) == nullptr) return base_->RemoveFile(p);  // Let it explain.
  RecordPending(p);
  s = Vacate(p);
  if (s.ok()) counters_.removes++;
  return s;
}

absl::Status FaultInjectionFileSystem::CreateDir(const std::string& dir) {
  const std::string d = NormalizePath(dir);
  MutexLock l(&mu_);
  absl::Status s = Check(FaultOp::kCreateDir, d);
  if (!s.ok()) return s;
  return base_->CreateDir(d);
}

absl::Status FaultInjectionFileSystem::RemoveDir(const std::string& dir) {
  const std::string d = NormalizePath(dir);
  MutexLock l(&mu_);
  absl::Status s = Check(FaultOp::kCreateDir, d);
  if (!s.ok()) return s;
  absl::StatusOr<std::vector<std::string>> names = base_->GetChildren(d);
  if (!names.ok() || !std::all_of(names->begin(), names->end(), IsTrashName)) {
    return base_->RemoveDir(d);  // Missing or not empty: let the base say so.
  }
  // Only hidden trash is left. Removing the directory is durable at once, so
  // whatever the trash was kept for can no longer come back.
  for (auto it = pending_.begin(); it != pending_.end();) {
    it = SplitPath(it->first).first == d ? pending_.erase(it) : std::next(it);
  }
  for (auto& inode : trash_) {
    if (SplitPath(inode->path).first != d) continue;
    base_->RemoveFile(inode->path).IgnoreError();
    inode->path.clear();
  }
  trash_.erase(std::remove_if(trash_.begin(), trash_.end(),
                              [](const std::shared_ptr<Inode>& inode) {
                                return inode->path.empty();
                              }),
               trash_.end());
  CollectTrash();
  return base_->RemoveDir(d);
}

absl::StatusOr<uint64_t> FaultInjectionFileSystem::GetFileSize(
    const std::string& path) {
  const std::string p = NormalizePath(path);
  MutexLock l(&mu_);
  return base_->GetFileSize(p);
}

absl::Status FaultInjectionFileSystem::RenameFile(const std::string& src,
                                                  const std::string& target) {
  const std::string s = NormalizePath(src);
  const std::string t = NormalizePath(target);
  MutexLock l(&mu_);
  absl::Status status = Check(FaultOp::kRename, s, t);
  if (!status.ok()) return status;
  std::shared_ptr<Inode> moving = s == t ? nullptr : InodeFor(s);
  if (moving == nullptr) {
    // Missing (the base reports it), a no-op, or a directory (not modelled).
    return base_->RenameFile(s, t);
  }
  RecordPending(s);
  RecordPending(t);
  std::shared_ptr<Inode> replaced = InodeFor(t);
  bool moved_aside = false;
  if (replaced != nullptr && IsNeeded(replaced.get())) {
    // The rename would destroy bytes that a power loss must bring back.
    status = MoveAside(replaced);
    if (!status.ok()) return status;
    live_.erase(t);
    moved_aside = true;
  }
  status = base_->RenameFile(s, t);
  if (!status.ok()) {
    if (moved_aside && base_->RenameFile(replaced->path, t).ok()) {
      trash_.pop_back();
      replaced->path = t;
      live_[t] = replaced;
    }
    return status;
  }
  if (replaced != nullptr && !moved_aside) replaced->path.clear();
  live_.erase(s);
  moving->path = t;
  live_[t] = moving;
  counters_.renames++;
  return absl::OkStatus();
}

absl::Status FaultInjectionFileSystem::SyncDir(const std::string& dir) {
  const std::string d = NormalizePath(dir);
  MutexLock l(&mu_);
  absl::Status s = Check(FaultOp::kSyncDir, d);
  if (s.ok()) s = base_->SyncDir(d);
  if (!s.ok()) return s;
  for (auto it = pending_.begin(); it != pending_.end();) {
    it = SplitPath(it->first).first == d ? pending_.erase(it) : std::next(it);
  }
  CollectTrash();
  counters_.dir_syncs++;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<FileLock>> FaultInjectionFileSystem::LockFile(
    const std::string& path) {
  const std::string p = NormalizePath(path);
  MutexLock l(&mu_);
  absl::Status s = Check(FaultOp::kLockFile, p);
  if (!s.ok()) return s;
  const bool existed = InodeFor(p) != nullptr;
  if (!existed) RecordPending(p);
  absl::StatusOr<std::unique_ptr<FileLock>> lock = base_->LockFile(p);
  if (lock.ok() && !existed) {
    auto inode = std::make_shared<Inode>();
    inode->path = p;
    live_[p] = inode;
  }
  return lock;
}

absl::Status FaultInjectionFileSystem::UnlockFile(
    std::unique_ptr<FileLock> lock) {
  return base_->UnlockFile(std::move(lock));
}

absl::StatusOr<std::unique_ptr<Logger>> FaultInjectionFileSystem::NewLogger(
    const std::string& path) {
  return base_->NewLogger(NormalizePath(path));
}

void FaultInjectionFileSystem::Schedule(std::function<void()> work,
                                        Priority priority) {
  base_->Schedule(std::move(work), priority);
}

uint64_t FaultInjectionFileSystem::NowMicros() { return base_->NowMicros(); }

void FaultInjectionFileSystem::SleepForMicros(uint64_t micros) {
  base_->SleepForMicros(micros);
}

}  // namespace kvs
