#ifndef KVS_TESTS_SSTABLE_STRING_FILE_H_
#define KVS_TESTS_SSTABLE_STRING_FILE_H_

// String-backed files for table tests: they make it easy to damage bytes,
// truncate, and count the reads a table issues.

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "lsm/file_system.h"

namespace kvs::test {

// Appends to a caller-owned string.
class StringSink final : public WritableFile {
 public:
  explicit StringSink(std::string* contents) : contents_(contents) {}
  absl::Status Append(std::string_view data) override {
    if (closed_) return absl::FailedPreconditionError("closed");
    contents_->append(data.data(), data.size());
    return absl::OkStatus();
  }
  absl::Status Flush() override { return absl::OkStatus(); }
  absl::Status Sync() override { return absl::OkStatus(); }
  absl::Status Close() override {
    closed_ = true;
    return absl::OkStatus();
  }

 private:
  std::string* const contents_;
  bool closed_ = false;
};

// Fails every Append from the fail_at-th one (counting from 0).
class FailingSink final : public WritableFile {
 public:
  explicit FailingSink(int fail_at) : fail_at_(fail_at) {}
  absl::Status Append(std::string_view data) override {
    if (appends_++ >= fail_at_) return absl::UnavailableError("disk gone");
    return absl::OkStatus();
  }
  absl::Status Flush() override { return absl::OkStatus(); }
  absl::Status Sync() override { return absl::OkStatus(); }
  absl::Status Close() override { return absl::OkStatus(); }

 private:
  const int fail_at_;
  int appends_ = 0;
};

// Serves reads from its own copy of a string. In borrow mode it returns
// pointers into that copy instead of filling scratch, as a memory-mapped file
// would. Counts reads; thread-safe.
class StringSource final : public RandomAccessFile {
 public:
  explicit StringSource(std::string contents, bool borrow = false,
                        std::atomic<int>* reads = nullptr)
      : contents_(std::move(contents)), borrow_(borrow), reads_(reads) {}

  absl::Status Read(uint64_t offset, size_t n, std::string_view* result,
                    char* scratch) const override {
    if (reads_ != nullptr) reads_->fetch_add(1, std::memory_order_relaxed);
    if (offset >= contents_.size()) {
      *result = {};
      return absl::OkStatus();
    }
    size_t len = std::min<size_t>(n, contents_.size() - offset);
    if (borrow_) {
      *result = std::string_view(contents_.data() + offset, len);
    } else {
      std::memcpy(scratch, contents_.data() + offset, len);
      *result = std::string_view(scratch, len);
    }
    return absl::OkStatus();
  }

 private:
  const std::string contents_;
  const bool borrow_;
  std::atomic<int>* const reads_;
};

// Fails every read.
class FailingSource final : public RandomAccessFile {
 public:
  absl::Status Read(uint64_t, size_t, std::string_view* result,
                    char*) const override {
    *result = {};
    return absl::UnavailableError("read failed");
  }
};

}  // namespace kvs::test

#endif  // KVS_TESTS_SSTABLE_STRING_FILE_H_
