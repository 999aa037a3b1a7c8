#include "tests/crash/power_cut_file_system.h"

#include <utility>

namespace kvs::crash_testing {
namespace {

const char* OpName(FaultOp op) {
  switch (op) {
    case FaultOp::kNewWritableFile:
      return "Create";
    case FaultOp::kAppend:
      return "Append";
    case FaultOp::kFlush:
      return "Flush";
    case FaultOp::kSync:
      return "Sync";
    case FaultOp::kClose:
      return "Close";
    case FaultOp::kRemoveFile:
      return "Remove";
    case FaultOp::kRename:
      return "Rename";
    case FaultOp::kSyncDir:
      return "SyncDir";
    case FaultOp::kCreateDir:
      return "CreateDir";
    default:
      return "Op";
  }
}

class CutWritableFile final : public WritableFile {
 public:
  CutWritableFile(PowerCutFileSystem* fs, std::string path,
                  std::unique_ptr<WritableFile> base)
      : fs_(fs), path_(std::move(path)), base_(std::move(base)) {}

  absl::Status Append(std::string_view data) override {
    fs_->BeforeOp(FaultOp::kAppend, path_);
    return base_->Append(data);
  }
  absl::Status Flush() override {
    fs_->BeforeOp(FaultOp::kFlush, path_);
    return base_->Flush();
  }
  absl::Status Sync() override {
    fs_->BeforeOp(FaultOp::kSync, path_);
    return base_->Sync();
  }
  absl::Status Close() override {
    fs_->BeforeOp(FaultOp::kClose, path_);
    return base_->Close();
  }

 private:
  PowerCutFileSystem* const fs_;
  const std::string path_;
  const std::unique_ptr<WritableFile> base_;
};

}  // namespace

PowerCutFileSystem::PowerCutFileSystem(FaultInjectionFileSystem* fault)
    : fault_(fault) {}

void PowerCutFileSystem::Arm(FaultOp ops, std::string path_filter,
                             uint64_t after) {
  MutexLock l(&mu_);
  armed_ = true;
  ops_ = ops;
  filter_ = std::move(path_filter);
  remaining_ = after;
  tripped_ = false;
  trip_description_.clear();
}

void PowerCutFileSystem::Disarm() {
  MutexLock l(&mu_);
  armed_ = false;
  tripped_ = false;
  trip_description_.clear();
}

bool PowerCutFileSystem::Tripped() {
  MutexLock l(&mu_);
  return tripped_;
}

std::string PowerCutFileSystem::TripDescription() {
  MutexLock l(&mu_);
  return trip_description_;
}

void PowerCutFileSystem::BeforeOp(FaultOp op, const std::string& path,
                                  const std::string& path2) {
  MutexLock l(&mu_);
  if (!armed_ || !FaultOpIn(op, ops_)) return;
  if (!filter_.empty() && path.find(filter_) == std::string::npos &&
      path2.find(filter_) == std::string::npos) {
    return;
  }
  if (remaining_ > 0) {
    remaining_--;
    return;
  }
  // Under the lock, so that no other operation can slip through between the
  // decision and the cut.
  fault_->SetFilesystemActive(false);
  armed_ = false;
  tripped_ = true;
  trip_description_ = std::string(OpName(op)) + " " + path;
  if (!path2.empty()) trip_description_ += " -> " + path2;
}

absl::StatusOr<std::unique_ptr<SequentialFile>>
PowerCutFileSystem::NewSequentialFile(const std::string& path) {
  return fault_->NewSequentialFile(path);
}

absl::StatusOr<std::unique_ptr<RandomAccessFile>>
PowerCutFileSystem::NewRandomAccessFile(const std::string& path) {
  return fault_->NewRandomAccessFile(path);
}

absl::StatusOr<std::unique_ptr<WritableFile>>
PowerCutFileSystem::NewWritableFile(const std::string& path) {
  BeforeOp(FaultOp::kNewWritableFile, path);
  absl::StatusOr<std::unique_ptr<WritableFile>> file =
      fault_->NewWritableFile(path);
  if (!file.ok()) return file.status();
  return std::unique_ptr<WritableFile>(
      new CutWritableFile(this, path, std::move(*file)));
}

absl::StatusOr<std::unique_ptr<WritableFile>>
PowerCutFileSystem::NewAppendableFile(const std::string& path) {
  BeforeOp(FaultOp::kNewWritableFile, path);
  absl::StatusOr<std::unique_ptr<WritableFile>> file =
      fault_->NewAppendableFile(path);
  if (!file.ok()) return file.status();
  return std::unique_ptr<WritableFile>(
      new CutWritableFile(this, path, std::move(*file)));
}

bool PowerCutFileSystem::FileExists(const std::string& path) {
  return fault_->FileExists(path);
}

absl::StatusOr<std::vector<std::string>> PowerCutFileSystem::GetChildren(
    const std::string& dir) {
  return fault_->GetChildren(dir);
}

absl::Status PowerCutFileSystem::RemoveFile(const std::string& path) {
  BeforeOp(FaultOp::kRemoveFile, path);
  return fault_->RemoveFile(path);
}

absl::Status PowerCutFileSystem::CreateDir(const std::string& dir) {
  BeforeOp(FaultOp::kCreateDir, dir);
  return fault_->CreateDir(dir);
}

absl::Status PowerCutFileSystem::RemoveDir(const std::string& dir) {
  BeforeOp(FaultOp::kCreateDir, dir);
  return fault_->RemoveDir(dir);
}

absl::StatusOr<uint64_t> PowerCutFileSystem::GetFileSize(
    const std::string& path) {
  return fault_->GetFileSize(path);
}

absl::Status PowerCutFileSystem::RenameFile(const std::string& src,
                                            const std::string& target) {
  BeforeOp(FaultOp::kRename, src, target);
  return fault_->RenameFile(src, target);
}

absl::Status PowerCutFileSystem::SyncDir(const std::string& dir) {
  BeforeOp(FaultOp::kSyncDir, dir);
  return fault_->SyncDir(dir);
}

absl::StatusOr<std::unique_ptr<FileLock>> PowerCutFileSystem::LockFile(
    const std::string& path) {
  return fault_->LockFile(path);
}

absl::Status PowerCutFileSystem::UnlockFile(std::unique_ptr<FileLock> lock) {
  return fault_->UnlockFile(std::move(lock));
}

absl::StatusOr<std::unique_ptr<Logger>> PowerCutFileSystem::NewLogger(
    const std::string& path) {
  return fault_->NewLogger(path);
}

void PowerCutFileSystem::Schedule(std::function<void()> work,
                                  Priority priority) {
  fault_->Schedule(std::move(work), priority);
}

uint64_t PowerCutFileSystem::NowMicros() { return fault_->NowMicros(); }

void PowerCutFileSystem::SleepForMicros(uint64_t micros) {
  fault_->SleepForMicros(micros);
}

}  // namespace kvs::crash_testing
