#include "util/posix_file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "util/file_logger.h"
#include "util/io_error.h"
#include "util/mutex.h"
#include "util/scheduler.h"

namespace kvs {
namespace {

constexpr size_t kWritableBufferSize = 64 * 1024;

class PosixSequentialFile final : public SequentialFile {
 public:
  PosixSequentialFile(std::string path, int fd)
      : path_(std::move(path)), fd_(fd) {}
  ~PosixSequentialFile() override { close(fd_); }

  absl::Status Read(size_t n, std::string_view* result,
                    char* scratch) override {
    for (;;) {
      const ssize_t r = read(fd_, scratch, n);
      if (r >= 0) {
        *result = std::string_view(scratch, static_cast<size_t>(r));
        return absl::OkStatus();
      }
      if (errno != EINTR) {
        *result = std::string_view();
        return IoError("read", path_, errno);
      }
    }
  }

  absl::Status Skip(uint64_t n) override {
    const off_t here = lseek(fd_, 0, SEEK_CUR);
    if (here < 0) return IoError("lseek", path_, errno);
    struct stat st;
    if (fstat(fd_, &st) != 0) return IoError("fstat", path_, errno);
    // Stop at the end rather than leaving the offset past it.
    const uint64_t remaining =
        st.st_size > here ? static_cast<uint64_t>(st.st_size - here) : 0;
    const uint64_t step = n < remaining ? n : remaining;
    if (lseek(fd_, static_cast<off_t>(step), SEEK_CUR) < 0) {
      return IoError("lseek", path_, errno);
    }
    return absl::OkStatus();
  }

 private:
  const std::string path_;
  const int fd_;
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd)
      : path_(std::move(path)), fd_(fd) {}
  ~PosixRandomAccessFile() override { close(fd_); }

  absl::Status Read(uint64_t offset, size_t n, std::string_view* result,
                    char* scratch) const override {
    // Regular files return short only at the end, so one pread answers the
    // request.
    for (;;) {
      const ssize_t r = pread(fd_, scratch, n, static_cast<off_t>(offset));
      if (r >= 0) {
        *result = std::string_view(scratch, static_cast<size_t>(r));
        return absl::OkStatus();
      }
      if (errno != EINTR) {
        *result = std::string_view();
        return IoError("pread", path_, errno);
      }
    }
  }

 private:
  const std::string path_;
  const int fd_;
};

// How many files may be memory-mapped at once, process-wide: mappings cost
// address space and count against vm.max_map_count, so beyond this files fall
// back to pread.
constexpr int kMaxMmapFiles = 4096;
std::atomic<int> mmap_slots{kMaxMmapFiles};

bool AcquireMmapSlot() {
  int slots = mmap_slots.load(std::memory_order_relaxed);
  while (slots > 0) {
    if (mmap_slots.compare_exchange_weak(slots, slots - 1,
                                         std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

void ReleaseMmapSlot() { mmap_slots.fetch_add(1, std::memory_order_relaxed); }

// A read-only file mapped into memory. kvs opens tables, which are immutable
// once written, this way: a read of a page already in the page cache is then a
// pointer into the mapping, with no system call and no copy (a pread costs ~2
// us for a 4 KiB block here, the lookup itself less).
class PosixMmapFile final : public RandomAccessFile {
 public:
  PosixMmapFile(const char* base, size_t length)
      : base_(base), length_(length) {}
  ~PosixMmapFile() override {
    munmap(const_cast<char*>(base_), length_);
    ReleaseMmapSlot();
  }

  absl::Status Read(uint64_t offset, size_t n, std::string_view* result,
                    char* scratch) const override {
    if (offset >= length_) {
      *result = std::string_view();
    } else {
      *result = std::string_view(base_ + offset,
                                 std::min<uint64_t>(n, length_ - offset));
    }
    return absl::OkStatus();
  }

 private:
  const char* const base_;
  const size_t length_;
};

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd)
      : path_(std::move(path)), fd_(fd) {
    buffer_.reserve(kWritableBufferSize);
  }
  ~PosixWritableFile() override {
    if (fd_ >= 0) Close().IgnoreError();
  }

  absl::Status Append(std::string_view data) override {
    if (fd_ < 0) return ClosedError();
    if (buffer_.size() + data.size() <= kWritableBufferSize) {
      buffer_.append(data.data(), data.size());
      return absl::OkStatus();
    }
    absl::Status s = FlushBuffer();
    if (!s.ok()) return s;
    if (data.size() <= kWritableBufferSize) {
      buffer_.append(data.data(), data.size());
      return absl::OkStatus();
    }
    return WriteAll(data);  // Too big to be worth copying.
  }

  absl::Status Flush() override {
    if (fd_ < 0) return ClosedError();
    return FlushBuffer();
  }

  absl::Status Sync() override {
    if (fd_ < 0) return ClosedError();
    absl::Status s = FlushBuffer();
    if (!s.ok()) return s;
    if (fdatasync(fd_) != 0) return IoError("fdatasync", path_, errno);
    return absl::OkStatus();
  }

  absl::Status Close() override {
    if (fd_ < 0) return ClosedError();
    absl::Status s = FlushBuffer();
    // Close regardless: a descriptor must not leak because a write failed.
    if (close(fd_) != 0 && s.ok()) s = IoError("close", path_, errno);
    fd_ = -1;
    buffer_.clear();
    return s;
  }

 private:
  absl::Status ClosedError() const {
    return absl::FailedPreconditionError("file already closed: " + path_);
  }

  absl::Status FlushBuffer() {
    absl::Status s = WriteAll(buffer_);
    buffer_.clear();
    return s;
  }

  absl::Status WriteAll(std::string_view data) {
    while (!data.empty()) {
      const ssize_t r = write(fd_, data.data(), data.size());
      if (r < 0) {
        if (errno == EINTR) continue;
        return IoError("write", path_, errno);
      }
      data.remove_prefix(static_cast<size_t>(r));
    }
    return absl::OkStatus();
  }

  const std::string path_;
  int fd_;  // -1 once closed.
  std::string buffer_;
};

// A write-ahead log written through a shared memory mapping. An append is a
// copy into the page cache: once it returns, the data survives a crash of the
// process, as after a write(), but without a system call per append (on these
// machines the write() of one small WAL record cost more than the memtable
// insert of the same Put). Space is allocated a chunk ahead with fallocate, so
// a full disk is an error from fallocate instead of a SIGBUS on a page fault.
// A crash leaves the unwritten rest of the last chunk as zeros, which the log
// reader treats as unused space; Close trims the file to what was appended.
class PosixMmapLogFile final : public WritableFile {
 public:
  // The first chunk; each next one doubles, up to kMaxChunk. Multiples of the
  // page size, so every mapping starts at a page-aligned offset.
  static constexpr size_t kFirstChunk = 64 * 1024;
  static constexpr size_t kMaxChunk = 1024 * 1024;
  static constexpr size_t kLargeAppend = 16 * 1024;

  PosixMmapLogFile(std::string path, int fd)
      : path_(std::move(path)), fd_(fd) {}
  ~PosixMmapLogFile() override {
    if (fd_ >= 0) Close().IgnoreError();
  }

  absl::Status Append(std::string_view data) override {
    if (fd_ < 0) return ClosedError();
    while (!data.empty()) {
      if (cursor_ == limit_) {
        absl::Status s = MapNextChunk();
        if (!s.ok()) return s;
      }
      const size_t n =
          std::min(data.size(), static_cast<size_t>(limit_ - cursor_));
      if (n >= kLargeAppend) {
        // A large append costs less as one pwrite into the page cache than as
        // a page fault on every fresh page of the mapping; the mapping sees
        // the same pages.
        absl::Status s =
            PwriteAll(data.substr(0, n),
                      chunk_offset_ + static_cast<uint64_t>(cursor_ - base_));
        if (!s.ok()) return s;
      } else {
        std::memcpy(cursor_, data.data(), n);
      }
      cursor_ += n;
      data.remove_prefix(n);
    }
    return absl::OkStatus();
  }

  // The page cache already holds every append.
  absl::Status Flush() override {
    return fd_ < 0 ? ClosedError() : absl::OkStatus();
  }

  // fdatasync writes back pages dirtied through mappings too, including those
  // of chunks already unmapped.
  absl::Status Sync() override {
    if (fd_ < 0) return ClosedError();
    if (fdatasync(fd_) != 0) return IoError("fdatasync", path_, errno);
    return absl::OkStatus();
  }

  absl::Status Close() override {
    if (fd_ < 0) return ClosedError();
    const uint64_t size =
        chunk_offset_ + static_cast<uint64_t>(cursor_ - base_);
    absl::Status s = Unmap();
    // Trim and close regardless: a descriptor must not leak.
    if (ftruncate(fd_, static_cast<off_t>(size)) != 0 && s.ok()) {
      s = IoError("ftruncate", path_, errno);
    }
    if (close(fd_) != 0 && s.ok()) s = IoError("close", path_, errno);
    fd_ = -1;
    return s;
  }

 private:
  absl::Status ClosedError() const {
    return absl::FailedPreconditionError("file already closed: " + path_);
  }

  absl::Status PwriteAll(std::string_view data, uint64_t offset) {
    while (!data.empty()) {
      const ssize_t r =
          pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
      if (r < 0) {
        if (errno == EINTR) continue;
        return IoError("pwrite", path_, errno);
      }
      data.remove_prefix(static_cast<size_t>(r));
      offset += static_cast<uint64_t>(r);
    }
    return absl::OkStatus();
  }

  // Called when the current chunk is full (or at the first append).
  absl::Status MapNextChunk() {
    const uint64_t offset = chunk_offset_ + (limit_ - base_);
    absl::Status s = Unmap();
    if (!s.ok()) return s;
    if (fallocate(fd_, 0, static_cast<off_t>(offset),
                  static_cast<off_t>(next_chunk_)) != 0) {
      return IoError("fallocate", path_, errno);
    }
    void* p = mmap(nullptr, next_chunk_, PROT_READ | PROT_WRITE, MAP_SHARED,
                   fd_, static_cast<off_t>(offset));
    if (p == MAP_FAILED) return IoError("mmap", path_, errno);
    base_ = cursor_ = static_cast<char*>(p);
    limit_ = base_ + next_chunk_;
    chunk_offset_ = offset;
    next_chunk_ = std::min(next_chunk_ * 2, kMaxChunk);
    return absl::OkStatus();
  }

  absl::Status Unmap() {
    if (base_ == nullptr) return absl::OkStatus();
    const int r = munmap(base_, static_cast<size_t>(limit_ - base_));
    chunk_offset_ += static_cast<uint64_t>(cursor_ - base_);
    base_ = cursor_ = limit_ = nullptr;
    if (r != 0) return IoError("munmap", path_, errno);
    return absl::OkStatus();
  }

  const std::string path_;
  int fd_;  // -1 once closed.
  // The current chunk: [base_, limit_) maps the file from chunk_offset_;
  // cursor_ is where the next append goes. All null before the first append
  // and between chunks, when chunk_offset_ is the size appended so far.
  char* base_ = nullptr;
  char* cursor_ = nullptr;
  char* limit_ = nullptr;
  uint64_t chunk_offset_ = 0;
  size_t next_chunk_ = kFirstChunk;
};

// Paths locked by any PosixFileSystem in this process (see the header for why).
class LockedPaths {
 public:
  bool Insert(const std::string& path) KVS_EXCLUDES(mu_) {
    MutexLock l(&mu_);
    return paths_.insert(path).second;
  }
  void Erase(const std::string& path) KVS_EXCLUDES(mu_) {
    MutexLock l(&mu_);
    paths_.erase(path);
  }

 private:
  Mutex mu_;
  std::set<std::string> paths_ KVS_GUARDED_BY(mu_);
};

LockedPaths* GlobalLockedPaths() {
  static LockedPaths* const paths = new LockedPaths();
  return paths;
}

class PosixFileLock final : public FileLock {
 public:
  PosixFileLock(std::string path, int fd) : path(std::move(path)), fd(fd) {}
  const std::string path;
  const int fd;
};

int OpenRetryingOnInterrupt(const char* path, int flags, mode_t mode = 0) {
  int fd;
  do {
    fd = open(path, flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

class PosixFileSystem final : public FileSystem {
 public:
  absl::StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(
      const std::string& path) override {
    const int fd = OpenRetryingOnInterrupt(path.c_str(), O_RDONLY);
    if (fd < 0) return IoError("open", path, errno);
    return std::make_unique<PosixSequentialFile>(path, fd);
  }

  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override {
    const int fd = OpenRetryingOnInterrupt(path.c_str(), O_RDONLY);
    if (fd < 0) return IoError("open", path, errno);
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size > 0 && AcquireMmapSlot()) {
      void* base = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ,
                        MAP_SHARED, fd, 0);
      if (base != MAP_FAILED) {
        close(fd);  // The mapping keeps the file open.
        return std::make_unique<PosixMmapFile>(static_cast<const char*>(base),
                                               static_cast<size_t>(st.st_size));
      }
      ReleaseMmapSlot();
    }
    return std::make_unique<PosixRandomAccessFile>(path, fd);
  }

  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override {
    const int fd = OpenRetryingOnInterrupt(path.c_str(),
                                           O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return IoError("open", path, errno);
    return std::make_unique<PosixWritableFile>(path, fd);
  }

  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) override {
    const int fd = OpenRetryingOnInterrupt(path.c_str(),
                                           O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0) return IoError("open", path, errno);
    return std::make_unique<PosixWritableFile>(path, fd);
  }

  absl::StatusOr<std::unique_ptr<WritableFile>> NewLogFile(
      const std::string& path) override {
    const int fd =
        OpenRetryingOnInterrupt(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return IoError("open", path, errno);
    // Without fallocate a full disk would surface as a SIGBUS in a page
    // fault: such file systems get the buffered file.
    if (fallocate(fd, 0, 0, PosixMmapLogFile::kFirstChunk) != 0) {
      if (errno == EOPNOTSUPP || errno == ENOSYS) {
        return std::make_unique<PosixWritableFile>(path, fd);
      }
      const int error = errno;
      close(fd);
      return IoError("fallocate", path, error);
    }
    return std::make_unique<PosixMmapLogFile>(path, fd);
  }

  bool FileExists(const std::string& path) override {
    return access(path.c_str(), F_OK) == 0;
  }

  absl::StatusOr<std::vector<std::string>> GetChildren(
      const std::string& dir) override {
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) return IoError("opendir", dir, errno);
    std::vector<std::string> names;
    for (;;) {
      errno = 0;
      struct dirent* entry = readdir(d);
      if (entry == nullptr) break;
      const std::string_view name(entry->d_name);
      if (name == "." || name == "..") continue;
      names.emplace_back(name);
    }
    const int read_errno = errno;
    closedir(d);
    if (read_errno != 0) return IoError("readdir", dir, read_errno);
    return names;
  }

  absl::Status RemoveFile(const std::string& path) override {
    if (unlink(path.c_str()) != 0) return IoError("unlink", path, errno);
    return absl::OkStatus();
  }

  absl::Status CreateDir(const std::string& dir) override {
    if (mkdir(dir.c_str(), 0755) == 0) return absl::OkStatus();
    const int err = errno;
    struct stat st;
    if (err == EEXIST && stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      return absl::OkStatus();
    }
    return IoError("mkdir", dir, err);
  }

  absl::Status RemoveDir(const std::string& dir) override {
    if (rmdir(dir.c_str()) != 0) return IoError("rmdir", dir, errno);
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return IoError("stat", path, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  absl::Status RenameFile(const std::string& src,
                          const std::string& target) override {
    if (rename(src.c_str(), target.c_str()) != 0) {
      return IoError("rename", src + " -> " + target, errno);
    }
    return absl::OkStatus();
  }

  absl::Status SyncDir(const std::string& dir) override {
    const int fd = OpenRetryingOnInterrupt(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) return IoError("open", dir, errno);
    absl::Status s;
    if (fsync(fd) != 0) s = IoError("fsync", dir, errno);
    close(fd);
    return s;
  }

  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      const std::string& path) override {
    if (!GlobalLockedPaths()->Insert(path)) {
      return absl::UnavailableError("lock " + path +
                                    ": already held by this process");
    }
    const int fd =
        OpenRetryingOnInterrupt(path.c_str(), O_RDWR | O_CREAT, 0644);
    if (fd < 0) {
      const int err = errno;
      GlobalLockedPaths()->Erase(path);
      return IoError("open", path, err);
    }
    struct flock fl;
    std::memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;  // l_start = l_len = 0: the whole file.
    if (fcntl(fd, F_SETLK, &fl) != 0) {
      const int err = errno;
      close(fd);
      GlobalLockedPaths()->Erase(path);
      if (err == EAGAIN || err == EACCES) {
        return absl::UnavailableError("lock " + path +
                                      ": already held by another process");
      }
      return IoError("lock", path, err);
    }
    return std::make_unique<PosixFileLock>(path, fd);
  }

  absl::Status UnlockFile(std::unique_ptr<FileLock> lock) override {
    auto* posix_lock = dynamic_cast<PosixFileLock*>(lock.get());
    if (posix_lock == nullptr) {
      return absl::InvalidArgumentError(
          "UnlockFile: lock was not taken by a POSIX file system");
    }
    struct flock fl;
    std::memset(&fl, 0, sizeof(fl));
    fl.l_type = F_UNLCK;
    fl.l_whence = SEEK_SET;
    absl::Status s;
    if (fcntl(posix_lock->fd, F_SETLK, &fl) != 0) {
      s = IoError("unlock", posix_lock->path, errno);
    }
    close(posix_lock->fd);
    GlobalLockedPaths()->Erase(posix_lock->path);
    return s;
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
  // Compactions (kLow) run at nice +10: on a small machine they otherwise take
  // a full share of the CPU from the threads serving reads and writes, and
  // the level-0 triggers already slow writes down when compaction falls
  // behind.
  Scheduler scheduler_{/*low_lane_nice=*/10};
};

}  // namespace

std::unique_ptr<FileSystem> NewPosixFileSystem() {
  return std::make_unique<PosixFileSystem>();
}

FileSystem* DefaultFileSystem() {
  // Never destroyed: background threads may still run while static destructors
  // do.
  static FileSystem* const fs = new PosixFileSystem();
  return fs;
}

}  // namespace kvs
