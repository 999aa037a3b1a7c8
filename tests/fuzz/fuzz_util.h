#ifndef KVS_TESTS_FUZZ_FUZZ_UTIL_H_
#define KVS_TESTS_FUZZ_FUZZ_UTIL_H_

// Helpers shared by the fuzz targets: files backed by the fuzzer's bytes, a
// front-to-back input reader, and FUZZ_CHECK, which turns a broken invariant
// into a crash that libFuzzer (and the corpus replay tests) report.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "lsm/file_system.h"

namespace kvs::fuzz {

// Aborts with a message: a finding. Used for invariants that must hold for
// every input, however malformed.
[[noreturn]] inline void Fail(const char* file, int line, const char* what,
                              const std::string& detail) {
  std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s %s\n", file, line, what,
               detail.c_str());
  std::abort();
}

#define FUZZ_CHECK(cond, detail)                                         \
  do {                                                                   \
    if (!(cond)) ::kvs::fuzz::Fail(__FILE__, __LINE__, #cond, (detail)); \
  } while (0)

// Reads a string front to back, as a file would.
class StringSequentialFile final : public SequentialFile {
 public:
  explicit StringSequentialFile(std::string_view data) : data_(data) {}
  absl::Status Read(size_t n, std::string_view* result,
                    char* scratch) override {
    size_t len = std::min(n, data_.size() - pos_);
    std::memcpy(scratch, data_.data() + pos_, len);
    *result = std::string_view(scratch, len);
    pos_ += len;
    return absl::OkStatus();
  }
  absl::Status Skip(uint64_t n) override {
    pos_ += static_cast<size_t>(std::min<uint64_t>(n, data_.size() - pos_));
    return absl::OkStatus();
  }

 private:
  const std::string_view data_;
  size_t pos_ = 0;
};

// Positional reads from a private copy of a string. The copy is exactly as
// large as the data, so AddressSanitizer catches any read past its end.
class StringRandomAccessFile final : public RandomAccessFile {
 public:
  explicit StringRandomAccessFile(std::string_view data)
      : data_(new char[data.size()]), size_(data.size()) {
    if (size_ > 0) std::memcpy(data_.get(), data.data(), size_);
  }
  absl::Status Read(uint64_t offset, size_t n, std::string_view* result,
                    char* scratch) const override {
    if (offset >= size_) {
      *result = {};
      return absl::OkStatus();
    }
    size_t len = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
    std::memcpy(scratch, data_.get() + offset, len);
    *result = std::string_view(scratch, len);
    return absl::OkStatus();
  }

 private:
  const std::unique_ptr<char[]> data_;
  const size_t size_;
};

// Appends to a string it owns.
class StringSink final : public WritableFile {
 public:
  absl::Status Append(std::string_view data) override {
    contents.append(data.data(), data.size());
    return absl::OkStatus();
  }
  absl::Status Flush() override { return absl::OkStatus(); }
  absl::Status Sync() override { return absl::OkStatus(); }
  absl::Status Close() override { return absl::OkStatus(); }

  std::string contents;
};

// Hands out the fuzzer's bytes front to back; past the end every read yields
// zeros, so a decoder of the input never has to check for the end itself.
class InputReader {
 public:
  InputReader(const uint8_t* data, size_t size)
      : data_(reinterpret_cast<const char*>(data), size) {}

  bool empty() const { return pos_ >= data_.size(); }
  uint8_t Byte() {
    return pos_ < data_.size() ? static_cast<uint8_t>(data_[pos_++]) : 0;
  }
  // A value in [0, n) (n > 0) from one or two bytes.
  uint32_t Uniform(uint32_t n) {
    uint32_t v = Byte();
    if (n > 256) v = v << 8 | Byte();
    return v % n;
  }
  // Up to n raw bytes (fewer at the end of the input).
  std::string_view Bytes(size_t n) {
    size_t len = std::min(n, data_.size() - std::min(pos_, data_.size()));
    std::string_view out = data_.substr(std::min(pos_, data_.size()), len);
    pos_ += len;
    return out;
  }
  std::string_view Rest() { return Bytes(data_.size()); }

 private:
  const std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace kvs::fuzz

#endif  // KVS_TESTS_FUZZ_FUZZ_UTIL_H_
