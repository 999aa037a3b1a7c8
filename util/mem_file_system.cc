#include "util/mem_file_system.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "util/file_logger.h"
#include "util/io_error.h"
#include "util/mutex.h"
#include "util/path_util.h"
#include "util/scheduler.h"

namespace kvs {
namespace {

// The bytes of one file, shared by its directory entry and every open handle
// (an inode).
struct FileContents {
  Mutex mu;
  std::string data KVS_GUARDED_BY(mu);
};

class MemSequentialFile final : public SequentialFile {
 public:
  explicit MemSequentialFile(std::shared_ptr<FileContents> contents)
      : contents_(std::move(contents)) {}

  absl::Status Read(size_t n, std::string_view* result,
                    char* scratch) override {
    MutexLock l(&contents_->mu);
    const size_t size = contents_->data.size();
    const size_t start = std::min<uint64_t>(pos_, size);
    const size_t len = std::min(n, size - start);
    if (len > 0) std::memcpy(scratch, contents_->data.data() + start, len);
    pos_ = start + len;
    *result = std::string_view(scratch, len);
    return absl::OkStatus();
  }

  absl::Status Skip(uint64_t n) override {
    MutexLock l(&contents_->mu);
    const uint64_t size = contents_->data.size();
    pos_ = std::min<uint64_t>(size, std::min<uint64_t>(pos_, size) + n);
    return absl::OkStatus();
  }

 private:
  const std::shared_ptr<FileContents> contents_;
  uint64_t pos_ = 0;
};

class MemRandomAccessFile final : public RandomAccessFile {
 public:
  explicit MemRandomAccessFile(std::shared_ptr<FileContents> contents)
      : contents_(std::move(contents)) {}

  absl::Status Read(uint64_t offset, size_t n, std::string_view* result,
                    char* scratch) const override {
    // Copy under the lock: an append may reallocate the bytes at any moment.
    MutexLock l(&contents_->mu);
    const size_t size = contents_->data.size();
    size_t len = 0;
    if (offset < size) {
      len = std::min<uint64_t>(n, size - offset);
      std::memcpy(scratch, contents_->data.data() + offset, len);
    }
    *result = std::string_view(scratch, len);
    return absl::OkStatus();
  }

 private:
  const std::shared_ptr<FileContents> contents_;
};

class MemWritableFile final : public WritableFile {
 public:
  MemWritableFile(std::string path, std::shared_ptr<FileContents> contents)
      : path_(std::move(path)), contents_(std::move(contents)) {}

  absl::Status Append(std::string_view data) override {
    if (closed_) return ClosedError();
    MutexLock l(&contents_->mu);
    contents_->data.append(data.data(), data.size());
    return absl::OkStatus();
  }
  absl::Status Flush() override {
    return closed_ ? ClosedError() : absl::OkStatus();
  }
  absl::Status Sync() override {
    return closed_ ? ClosedError() : absl::OkStatus();
  }
  absl::Status Close() override {
    if (closed_) return ClosedError();
    closed_ = true;
    return absl::OkStatus();
  }

 private:
  absl::Status ClosedError() const {
    return absl::FailedPreconditionError("file already closed: " + path_);
  }

  const std::string path_;
  const std::shared_ptr<FileContents> contents_;
  bool closed_ = false;
};

class MemFileSystem;

class MemFileLock final : public FileLock {
 public:
  MemFileLock(const MemFileSystem* owner, std::string path)
      : owner(owner), path(std::move(path)) {}
  const MemFileSystem* const owner;
  const std::string path;
};

bool IsRoot(const std::string& normalized) {
  return normalized == "/" || normalized == ".";
}

// True if path lies strictly inside dir (both normalized).
bool IsInside(const std::string& path, const std::string& dir) {
  if (dir == ".") return path != "." && path.front() != '/';
  const std::string prefix = dir == "/" ? "/" : dir + "/";
  return path.size() > prefix.size() &&
         path.compare(0, prefix.size(), prefix) == 0;
}

class MemFileSystem final : public FileSystem {
 public:
  MemFileSystem() {
    MutexLock l(&mu_);
    dirs_["/"];
    dirs_["."];
  }

  absl::StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(
      const std::string& path) override {
    absl::StatusOr<std::shared_ptr<FileContents>> contents = OpenExisting(path);
    if (!contents.ok()) return contents.status();
    return std::make_unique<MemSequentialFile>(std::move(*contents));
  }

  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override {
    absl::StatusOr<std::shared_ptr<FileContents>> contents = OpenExisting(path);
    if (!contents.ok()) return contents.status();
    return std::make_unique<MemRandomAccessFile>(std::move(*contents));
  }

  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override {
    absl::StatusOr<std::shared_ptr<FileContents>> contents =
        OpenForWrite(path, /*truncate=*/true);
    if (!contents.ok()) return contents.status();
    return std::make_unique<MemWritableFile>(path, std::move(*contents));
  }

  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) override {
    absl::StatusOr<std::shared_ptr<FileContents>> contents =
        OpenForWrite(path, /*truncate=*/false);
    if (!contents.ok()) return contents.status();
    return std::make_unique<MemWritableFile>(path, std::move(*contents));
  }

  bool FileExists(const std::string& path) override {
    const std::string p = NormalizePath(path);
    MutexLock l(&mu_);
    return IsRoot(p) || FindEntry(p) != nullptr;
  }

  absl::StatusOr<std::vector<std::string>> GetChildren(
      const std::string& dir) override {
    const std::string d = NormalizePath(dir);
    MutexLock l(&mu_);
    auto it = dirs_.find(d);
    if (it == dirs_.end()) {
      return IoError("opendir", dir,
                     FindEntry(d) != nullptr ? ENOTDIR : ENOENT);
    }
    std::vector<std::string> names;
    names.reserve(it->second.size());
    for (const auto& [name, unused] : it->second) names.push_back(name);
    return names;
  }

  absl::Status RemoveFile(const std::string& path) override {
    const std::string p = NormalizePath(path);
    MutexLock l(&mu_);
    if (IsRoot(p)) return IoError("unlink", path, EISDIR);
    Entry* entry = FindEntry(p);
    if (entry == nullptr) return IoError("unlink", path, ENOENT);
    if (*entry == nullptr) return IoError("unlink", path, EISDIR);
    const auto [dir, name] = SplitPath(p);
    dirs_[dir].erase(name);
    return absl::OkStatus();
  }

  absl::Status CreateDir(const std::string& dir) override {
    const std::string d = NormalizePath(dir);
    MutexLock l(&mu_);
    if (dirs_.count(d) > 0) return absl::OkStatus();
    const auto [parent, name] = SplitPath(d);
    auto parent_it = dirs_.find(parent);
    if (parent_it == dirs_.end()) return IoError("mkdir", dir, ENOENT);
    if (parent_it->second.count(name) > 0) return IoError("mkdir", dir, EEXIST);
    parent_it->second[name] = nullptr;
    dirs_[d];
    return absl::OkStatus();
  }

  absl::Status RemoveDir(const std::string& dir) override {
    const std::string d = NormalizePath(dir);
    MutexLock l(&mu_);
    if (IsRoot(d)) return IoError("rmdir", dir, EBUSY);
    auto it = dirs_.find(d);
    if (it == dirs_.end()) {
      return IoError("rmdir", dir, FindEntry(d) != nullptr ? ENOTDIR : ENOENT);
    }
    if (!it->second.empty()) return IoError("rmdir", dir, ENOTEMPTY);
    dirs_.erase(it);
    const auto [parent, name] = SplitPath(d);
    dirs_[parent].erase(name);
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    const std::string p = NormalizePath(path);
    MutexLock l(&mu_);
    if (IsRoot(p)) return 0;
    Entry* entry = FindEntry(p);
    if (entry == nullptr) return IoError("stat", path, ENOENT);
    if (*entry == nullptr) return 0;  // A directory.
    MutexLock file_lock(&(*entry)->mu);
    return (*entry)->data.size();
  }

  absl::Status RenameFile(const std::string& src,
                          const std::string& target) override {
    const std::string s = NormalizePath(src);
    const std::string t = NormalizePath(target);
    const std::string what = src + " -> " + target;
    MutexLock l(&mu_);
    if (IsRoot(s) || IsRoot(t)) return IoError("rename", what, EBUSY);
    Entry* src_entry = FindEntry(s);
    if (src_entry == nullptr) return IoError("rename", what, ENOENT);
    if (s == t) return absl::OkStatus();
    const auto [src_dir, src_name] = SplitPath(s);
    const auto [target_dir, target_name] = SplitPath(t);
    auto target_dir_it = dirs_.find(target_dir);
    if (target_dir_it == dirs_.end()) return IoError("rename", what, ENOENT);
    Entry* target_entry = FindEntry(t);

    if (*src_entry != nullptr) {  // Moving a file.
      if (target_entry != nullptr && *target_entry == nullptr) {
        return IoError("rename", what, EISDIR);
      }
      std::shared_ptr<FileContents> contents = *src_entry;
      dirs_[src_dir].erase(src_name);
      target_dir_it->second[target_name] = std::move(contents);
      return absl::OkStatus();
    }

    // Moving a directory.
    if (IsInside(t, s)) return IoError("rename", what, EINVAL);
    if (target_entry != nullptr) {
      if (*target_entry != nullptr) return IoError("rename", what, ENOTDIR);
      if (!dirs_[t].empty()) return IoError("rename", what, ENOTEMPTY);
      dirs_.erase(t);
    }
    std::vector<std::string> moved;
    for (const auto& [path, unused] : dirs_) {
      if (path == s || IsInside(path, s)) moved.push_back(path);
    }
    for (const std::string& old_path : moved) {
      auto node = dirs_.extract(old_path);
      node.key() = t + old_path.substr(s.size());
      dirs_.insert(std::move(node));
    }
    dirs_[src_dir].erase(src_name);
    dirs_[target_dir][target_name] = nullptr;
    return absl::OkStatus();
  }

  absl::Status SyncDir(const std::string& dir) override {
    const std::string d = NormalizePath(dir);
    MutexLock l(&mu_);
    if (dirs_.count(d) == 0) {
      return IoError("open", dir, FindEntry(d) != nullptr ? ENOTDIR : ENOENT);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      const std::string& path) override {
    absl::StatusOr<std::shared_ptr<FileContents>> contents =
        OpenForWrite(path, /*truncate=*/false);
    if (!contents.ok()) return contents.status();
    const std::string p = NormalizePath(path);
    MutexLock l(&mu_);
    if (!locked_.insert(p).second) {
      return absl::UnavailableError("lock " + path + ": already held");
    }
    return std::make_unique<MemFileLock>(this, p);
  }

  absl::Status UnlockFile(std::unique_ptr<FileLock> lock) override {
    auto* mem_lock = dynamic_cast<MemFileLock*>(lock.get());
    if (mem_lock == nullptr || mem_lock->owner != this) {
      return absl::InvalidArgumentError(
          "UnlockFile: lock was not taken by this file system");
    }
    MutexLock l(&mu_);
    locked_.erase(mem_lock->path);
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<Logger>> NewLogger(
      const std::string& path) override {
    absl::StatusOr<std::unique_ptr<WritableFile>> file =
        NewAppendableFile(path);
    if (!file.ok()) return file.status();
    return std::make_unique<FileLogger>(std::move(*file));
  }

  void Schedule(std::function<void()> work, Priority priority) override {
    scheduler_.Schedule(std::move(work), priority);
  }

  uint64_t NowMicros() override {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::steady_clock::now().time_since_epoch())
            .count());
  }

  void SleepForMicros(uint64_t micros) override {
    std::this_thread::sleep_for(std::chrono::microseconds(micros));
  }

 private:
  // A directory entry: the file's bytes, or null for a subdirectory.
  using Entry = std::shared_ptr<FileContents>;

  // The entry for a normalized, non-root path, or null if there is none.
  Entry* FindEntry(const std::string& p) KVS_REQUIRES(mu_) {
    const auto [dir, name] = SplitPath(p);
    auto dir_it = dirs_.find(dir);
    if (dir_it == dirs_.end()) return nullptr;
    auto it = dir_it->second.find(name);
    return it == dir_it->second.end() ? nullptr : &it->second;
  }

  absl::StatusOr<std::shared_ptr<FileContents>> OpenExisting(
      const std::string& path) KVS_EXCLUDES(mu_) {
    const std::string p = NormalizePath(path);
    MutexLock l(&mu_);
    if (IsRoot(p)) return IoError("open", path, EISDIR);
    Entry* entry = FindEntry(p);
    if (entry == nullptr) return IoError("open", path, ENOENT);
    if (*entry == nullptr) return IoError("open", path, EISDIR);
    return *entry;
  }

  absl::StatusOr<std::shared_ptr<FileContents>> OpenForWrite(
      const std::string& path, bool truncate) KVS_EXCLUDES(mu_) {
    const std::string p = NormalizePath(path);
    MutexLock l(&mu_);
    if (IsRoot(p)) return IoError("open", path, EISDIR);
    const auto [dir, name] = SplitPath(p);
    auto dir_it = dirs_.find(dir);
    if (dir_it == dirs_.end()) {
      return IoError("open", path,
                     FindEntry(dir) != nullptr ? ENOTDIR : ENOENT);
    }
    Entry& entry = dir_it->second[name];
    if (entry == nullptr) {
      if (dirs_.count(p) > 0) return IoError("open", path, EISDIR);
      entry = std::make_shared<FileContents>();
    } else if (truncate) {
      MutexLock file_lock(&entry->mu);
      entry->data.clear();
      entry->data.shrink_to_fit();
    }
    return entry;
  }

  Mutex mu_;
  // Every directory (normalized path) and its entries by name.
  std::map<std::string, std::map<std::string, Entry>> dirs_ KVS_GUARDED_BY(mu_);
  std::set<std::string> locked_ KVS_GUARDED_BY(mu_);
  // Declared last so that it is destroyed first: queued work may still use the
  // file system.
  Scheduler scheduler_;
};

}  // namespace

std::unique_ptr<FileSystem> NewMemFileSystem() {
  return std::make_unique<MemFileSystem>();
}

}  // namespace kvs
