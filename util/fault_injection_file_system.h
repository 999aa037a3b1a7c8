#ifndef KVS_UTIL_FAULT_INJECTION_FILE_SYSTEM_H_
#define KVS_UTIL_FAULT_INJECTION_FILE_SYSTEM_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "lsm/file_system.h"
#include "util/mutex.h"
#include "util/random.h"
#include "util/thread_annotations.h"

namespace kvs {

// Operations that FaultInjectionFileSystem can make fail. A set of them is
// formed with |.
enum class FaultOp : uint32_t {
  kNone = 0,
  kNewWritableFile = 1u << 0,  // NewWritableFile and NewAppendableFile.
  kAppend = 1u << 1,
  kFlush = 1u << 2,
  kSync = 1u << 3,
  kClose = 1u << 4,
  kOpenForRead = 1u << 5,  // NewSequentialFile and NewRandomAccessFile.
  kRead = 1u << 6,         // SequentialFile::Read and RandomAccessFile::Read.
  kRemoveFile = 1u << 7,
  kRename = 1u << 8,
  kSyncDir = 1u << 9,
  kCreateDir = 1u << 10,  // CreateDir and RemoveDir.
  kLockFile = 1u << 11,
  kAll = (1u << 12) - 1,
};

constexpr FaultOp operator|(FaultOp a, FaultOp b) {
  return static_cast<FaultOp>(static_cast<uint32_t>(a) |
                              static_cast<uint32_t>(b));
}
// True if op is one of the operations in set.
constexpr bool FaultOpIn(FaultOp op, FaultOp set) {
  return (static_cast<uint32_t>(op) & static_cast<uint32_t>(set)) != 0;
}

// When to fail. A rule matches an operation whose kind is in ops and whose path
// contains path_filter (for a rename, either path; for file handles, the path
// the file was opened under). The first `skip` matching operations succeed;
// after that each matching operation fails with probability 1/one_in (drawn
// from a generator seeded with seed, so runs replay), until `failures` failures
// have been injected (-1: until the rule is removed).
struct FaultRule {
  FaultOp ops = FaultOp::kAll;
  std::string path_filter;  // Empty: every path.
  uint64_t skip = 0;
  int64_t failures = 1;
  uint32_t one_in = 1;  // 1: always; 0 is treated as 1.
  uint64_t seed = 0;
};

// What went through the wrapper since construction or ResetCounters. Failed
// operations are counted only in injected_errors (if injected) or not at all.
struct FaultCounters {
  // New names made by NewWritableFile/NewAppendableFile.
  uint64_t files_created = 0;
  uint64_t appends = 0;
  uint64_t bytes_appended = 0;
  uint64_t flushes = 0;
  uint64_t syncs = 0;
  uint64_t dir_syncs = 0;
  uint64_t renames = 0;
  uint64_t removes = 0;
  uint64_t reads = 0;
  uint64_t injected_errors = 0;
};

// True for errors made by FaultInjectionFileSystem (both injected ones and
// those returned while the file system is inactive). They are Internal errors
// whose message starts with "injected I/O error".
bool IsInjectedError(const absl::Status& status);

// Wraps another FileSystem (usually NewMemFileSystem()) to test what survives a
// crash or a power loss, and how the database copes with I/O errors.
//
// Durability model. A file's bytes are durable up to its length at its last
// successful Sync (files that existed before the wrapper saw them count as
// fully durable). A directory entry change (a file created, removed or renamed)
// is durable once SyncDir has succeeded on the directory holding that name.
// Files are modelled as inodes: a rename moves the bytes, so syncing a file
// under its new name makes those bytes durable for whichever name survives.
// Creating and removing directories is treated as durable at once.
//
// DropUnsyncedData() simulates the power loss: every name whose directory was
// not synced since it changed gets back what it durably had, so
//  - a file created (or renamed into place) but not dir-synced disappears;
//  - a rename not dir-synced is undone: the source name reappears with the
//    file's bytes and the target gets back the file it had (if any);
//  - a removal not dir-synced is undone (the wrapper keeps removed bytes
//    aside, hidden, until the directory is synced);
// and then every file is truncated to its durable length. After it, everything
// present counts as durable. Call it with no writable files open (close the
// database first), since their handles would keep writing to the pre-crash
// files.
//
// SetFilesystemActive(false) simulates a machine that has died while the
// process runs on: every later create, append, flush, sync, close, rename,
// remove, SyncDir, CreateDir/RemoveDir and LockFile fails with an injected
// error and changes nothing (Close still releases the base handle). Reads and
// UnlockFile keep working.
//
// Limits: all changes must go through the wrapper (it caches what it has seen
// of the base); paths are normalized lexically (util/path_util.h) before
// reaching the base; renames of directories and the info log (NewLogger, passed
// straight to the base) are not modelled; the removed bytes kept aside live in
// the base as hidden files named ".kvs_fault_trash_<n>" in the same directory,
// which GetChildren does not list.
//
// Thread-safety: as FileSystem; the control methods below may be called from
// any thread. Every file opened through the wrapper must be destroyed before
// it.
class FaultInjectionFileSystem final : public FileSystem {
 public:
  // base must outlive the wrapper.
  explicit FaultInjectionFileSystem(FileSystem* base);
  ~FaultInjectionFileSystem() override;

  // Simulated power loss; see the class comment. Returns the first error the
  // base reported while restoring (the rest of the restore still runs).
  absl::Status DropUnsyncedData() KVS_EXCLUDES(mu_);

  void SetFilesystemActive(bool active) KVS_EXCLUDES(mu_);
  bool IsFilesystemActive() KVS_EXCLUDES(mu_);

  // Adds a rule (see FaultRule); returns its id for RemoveError. Several rules
  // may be active; the first that fires decides.
  int InjectError(FaultRule rule) KVS_EXCLUDES(mu_);
  void RemoveError(int id) KVS_EXCLUDES(mu_);
  void ClearErrors() KVS_EXCLUDES(mu_);

  FaultCounters GetCounters() KVS_EXCLUDES(mu_);
  void ResetCounters() KVS_EXCLUDES(mu_);

  // FileSystem.
  absl::StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(
      const std::string& path) override KVS_EXCLUDES(mu_);
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override KVS_EXCLUDES(mu_);
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override KVS_EXCLUDES(mu_);
  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) override KVS_EXCLUDES(mu_);
  bool FileExists(const std::string& path) override KVS_EXCLUDES(mu_);
  absl::StatusOr<std::vector<std::string>> GetChildren(
      const std::string& dir) override KVS_EXCLUDES(mu_);
  absl::Status RemoveFile(const std::string& path) override KVS_EXCLUDES(mu_);
  absl::Status CreateDir(const std::string& dir) override KVS_EXCLUDES(mu_);
  absl::Status RemoveDir(const std::string& dir) override KVS_EXCLUDES(mu_);
  absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override
      KVS_EXCLUDES(mu_);
  absl::Status RenameFile(const std::string& src,
                          const std::string& target) override KVS_EXCLUDES(mu_);
  absl::Status SyncDir(const std::string& dir) override KVS_EXCLUDES(mu_);
  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      const std::string& path) override KVS_EXCLUDES(mu_);
  absl::Status UnlockFile(std::unique_ptr<FileLock> lock) override;
  absl::StatusOr<std::unique_ptr<Logger>> NewLogger(
      const std::string& path) override;
  void Schedule(std::function<void()> work, Priority priority) override;
  uint64_t NowMicros() override;
  void SleepForMicros(uint64_t micros) override;

 private:
  friend class FaultWritableFile;
  friend class FaultSequentialFile;
  friend class FaultRandomAccessFile;

  struct Inode;
  struct ActiveRule {
    int id;
    FaultRule rule;
    Random rng;
  };

  // Fails op if the file system is inactive (and op writes) or a rule fires.
  absl::Status Check(FaultOp op, std::string_view path,
                     std::string_view path2 = {}) KVS_REQUIRES(mu_);
  // Check, taking the lock; for file handles.
  absl::Status CheckLocked(FaultOp op, std::string_view path) KVS_EXCLUDES(mu_);
  std::shared_ptr<Inode> InodeFor(const std::string& path) KVS_REQUIRES(mu_);
  void RecordPending(const std::string& path) KVS_REQUIRES(mu_);
  bool IsNeeded(const Inode* inode) KVS_REQUIRES(mu_);
  absl::Status MoveAside(const std::shared_ptr<Inode>& inode) KVS_REQUIRES(mu_);
  absl::Status Vacate(const std::string& path) KVS_REQUIRES(mu_);
  void CollectTrash() KVS_REQUIRES(mu_);
  absl::Status CopyPrefix(const std::string& from, const std::string& to,
                          uint64_t length) KVS_REQUIRES(mu_);
  absl::StatusOr<std::unique_ptr<WritableFile>> OpenWritable(
      const std::string& path, bool truncate) KVS_EXCLUDES(mu_);

  FileSystem* const base_;
  Mutex mu_;
  bool active_ KVS_GUARDED_BY(mu_) = true;
  // The inode now at each path the wrapper knows about.
  std::map<std::string, std::shared_ptr<Inode>> live_ KVS_GUARDED_BY(mu_);
  // For each path changed since the last SyncDir of its directory: the inode it
  // durably holds (null: durably absent).
  std::map<std::string, std::shared_ptr<Inode>> pending_ KVS_GUARDED_BY(mu_);
  // Unlinked inodes kept aside because a pending_ entry may need them back.
  std::vector<std::shared_ptr<Inode>> trash_ KVS_GUARDED_BY(mu_);
  uint64_t next_trash_number_ KVS_GUARDED_BY(mu_) = 0;
  std::vector<ActiveRule> rules_ KVS_GUARDED_BY(mu_);
  int next_rule_id_ KVS_GUARDED_BY(mu_) = 1;
  FaultCounters counters_ KVS_GUARDED_BY(mu_);
};

}  // namespace kvs

#endif  // KVS_UTIL_FAULT_INJECTION_FILE_SYSTEM_H_
