#ifndef KVS_LSM_FILE_SYSTEM_H_
#define KVS_LSM_FILE_SYSTEM_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kvs {

// Everything kvs does with the outside world goes through a FileSystem: file
// I/O, directories, the lock file, the clock and background threads. Users may
// supply their own (for example to count I/O or to run on a different storage
// API); kvs ships a POSIX one (DefaultFileSystem()), an in-memory one and a
// fault-injecting wrapper for tests.
//
// Errors: NotFound for a missing file or directory, AlreadyExists where a
// create would clobber, Unavailable for a LOCK held by another opener,
// Internal/Unknown-style codes carrying errno text for other I/O failures.
// Nothing in this interface throws.

// Reads a file from front to back. Not thread-safe: one reader at a time.
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;

  // Reads up to n bytes. *result points into scratch (which must hold n bytes)
  // or into memory the file owns, and is shorter than n only at the end of the
  // file (empty at EOF).
  virtual absl::Status Read(size_t n, std::string_view* result,
                            char* scratch) = 0;

  // Skips n bytes; skipping past the end stops at the end without an error.
  virtual absl::Status Skip(uint64_t n) = 0;
};

// Positional reads. Thread-safe: many threads may Read concurrently.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;

  // Reads up to n bytes starting at offset. *result points into scratch (which
  // must hold n bytes) or into memory owned by the file that stays valid while
  // the file is open. A short result means the file ended; reading at or past
  // the end returns an empty result and OK.
  virtual absl::Status Read(uint64_t offset, size_t n, std::string_view* result,
                            char* scratch) const = 0;
};

// A file written sequentially. Appends are buffered: Flush hands them to the
// operating system and Sync makes them durable (fdatasync). Not thread-safe:
// the owner serialises calls.
class WritableFile {
 public:
  virtual ~WritableFile() = default;

  virtual absl::Status Append(std::string_view data) = 0;
  virtual absl::Status Flush() = 0;
  // Flushes, then makes everything appended so far survive a power loss.
  virtual absl::Status Sync() = 0;
  // Flushes and closes; further calls fail. The destructor closes a file left
  // open.
  virtual absl::Status Close() = 0;
};

// Receives the lines of a database's info log (the LOG file). Thread-safe.
class Logger {
 public:
  virtual ~Logger() = default;
  // Writes one line (a newline is added) prefixed with a timestamp and thread
  // id.
  virtual void Log(std::string_view line) = 0;
};

// A held LOCK file; released by FileSystem::UnlockFile.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

// Thread-safety: every method may be called from any thread at any time.
class FileSystem {
 public:
  virtual ~FileSystem() = default;

  virtual absl::StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(
      const std::string& path) = 0;
  virtual absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;
  // Creates the file, truncating any existing one.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) = 0;
  // Opens for appending, creating the file if it does not exist.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) = 0;
  // Creates (truncating) a file for a write-ahead log: many small appends, each
  // of which must survive a crash of the process once Flush returns. An
  // implementation may make that cheaper by preallocating space, in which case
  // a file not closed cleanly can end in zero bytes (the log format reads them
  // as unused space). The default is NewWritableFile.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewLogFile(
      const std::string& path) {
    return NewWritableFile(path);
  }

  virtual bool FileExists(const std::string& path) = 0;
  // Names (not paths) of the entries of dir, without "." and "..".
  virtual absl::StatusOr<std::vector<std::string>> GetChildren(
      const std::string& dir) = 0;
  virtual absl::Status RemoveFile(const std::string& path) = 0;
  // Succeeds if the directory already exists.
  virtual absl::Status CreateDir(const std::string& dir) = 0;
  virtual absl::Status RemoveDir(const std::string& dir) = 0;
  virtual absl::StatusOr<uint64_t> GetFileSize(const std::string& path) = 0;
  // Atomically replaces target with src (POSIX rename semantics).
  virtual absl::Status RenameFile(const std::string& src,
                                  const std::string& target) = 0;
  // Makes creations, renames and removals of dir's entries durable (fsync on
  // the directory).
  virtual absl::Status SyncDir(const std::string& dir) = 0;

  // Creates path if needed and takes an exclusive lock on it, so that two
  // processes (or two opens in one process) can never use the same database.
  // Unavailable if someone else holds it.
  virtual absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      const std::string& path) = 0;
  virtual absl::Status UnlockFile(std::unique_ptr<FileLock> lock) = 0;

  // An info log appending to path.
  virtual absl::StatusOr<std::unique_ptr<Logger>> NewLogger(
      const std::string& path) = 0;

  // Background work. kHigh is for short work that others wait on (memtable
  // flushes), kLow for long work (compactions); the two never queue behind each
  // other. Each priority runs its work items one at a time, in order.
  enum class Priority { kHigh, kLow };
  virtual void Schedule(std::function<void()> work, Priority priority) = 0;

  // Microseconds since some fixed point; only differences are meaningful.
  virtual uint64_t NowMicros() = 0;
  virtual void SleepForMicros(uint64_t micros) = 0;
};

// The POSIX file system of this process. A singleton that must not be deleted.
// Defined in //util:posix_file_system (util/posix_file_system.h, a dependency
// of //lsm); the in-memory and fault-injecting file systems for tests are
// //util:mem_file_system and //util:fault_injection_file_system.
FileSystem* DefaultFileSystem();

}  // namespace kvs

#endif  // KVS_LSM_FILE_SYSTEM_H_
