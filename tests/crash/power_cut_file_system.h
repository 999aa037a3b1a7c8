#ifndef KVS_TESTS_CRASH_POWER_CUT_FILE_SYSTEM_H_
#define KVS_TESTS_CRASH_POWER_CUT_FILE_SYSTEM_H_

// A FileSystem over a FaultInjectionFileSystem that "pulls the plug" at a
// chosen operation: when the (after + 1)-th operation of the armed kinds on a
// path containing the armed filter starts, it calls SetFilesystemActive(false)
// on the fault-injecting file system and only then lets the operation through
// (which therefore fails, as does every write after it, on every file). That
// puts a power loss precisely at, say, the third sync of a table file, which a
// timer could hit only by luck.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lsm/file_system.h"
#include "util/fault_injection_file_system.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace kvs::crash_testing {

// Thread-safety: as FileSystem; Arm, Disarm and the queries may be called from
// any thread.
class PowerCutFileSystem final : public FileSystem {
 public:
  // fault must outlive this object and every file opened through it.
  explicit PowerCutFileSystem(FaultInjectionFileSystem* fault);

  // Cuts the power when the (after + 1)-th operation in ops whose path
  // contains path_filter (empty: any path) starts. Replaces an earlier arming.
  // Counted ops: kNewWritableFile, kAppend, kFlush, kSync, kClose,
  // kRemoveFile, kRename, kSyncDir, kCreateDir.
  void Arm(FaultOp ops, std::string path_filter, uint64_t after)
      KVS_EXCLUDES(mu_);
  // Cancels the arming and forgets whether it fired.
  void Disarm() KVS_EXCLUDES(mu_);
  // Whether the armed cut has happened, and a description of the operation it
  // hit ("Sync /db/000012.sst").
  bool Tripped() KVS_EXCLUDES(mu_);
  std::string TripDescription() KVS_EXCLUDES(mu_);

  absl::StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(
      const std::string& path) override;
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override;
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override;
  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) override;
  bool FileExists(const std::string& path) override;
  absl::StatusOr<std::vector<std::string>> GetChildren(
      const std::string& dir) override;
  absl::Status RemoveFile(const std::string& path) override;
  absl::Status CreateDir(const std::string& dir) override;
  absl::Status RemoveDir(const std::string& dir) override;
  absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override;
  absl::Status RenameFile(const std::string& src,
                          const std::string& target) override;
  absl::Status SyncDir(const std::string& dir) override;
  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      const std::string& path) override;
  absl::Status UnlockFile(std::unique_ptr<FileLock> lock) override;
  absl::StatusOr<std::unique_ptr<Logger>> NewLogger(
      const std::string& path) override;
  void Schedule(std::function<void()> work, Priority priority) override;
  uint64_t NowMicros() override;
  void SleepForMicros(uint64_t micros) override;

  // Counts op on path against the arming and cuts the power if it is due.
  // Public for the file wrapper.
  void BeforeOp(FaultOp op, const std::string& path,
                const std::string& path2 = {}) KVS_EXCLUDES(mu_);

 private:
  FaultInjectionFileSystem* const fault_;
  Mutex mu_;
  bool armed_ KVS_GUARDED_BY(mu_) = false;
  FaultOp ops_ KVS_GUARDED_BY(mu_) = FaultOp::kNone;
  std::string filter_ KVS_GUARDED_BY(mu_);
  uint64_t remaining_ KVS_GUARDED_BY(mu_) = 0;
  bool tripped_ KVS_GUARDED_BY(mu_) = false;
  std::string trip_description_ KVS_GUARDED_BY(mu_);
};

}  // namespace kvs::crash_testing

#endif  // KVS_TESTS_CRASH_POWER_CUT_FILE_SYSTEM_H_
