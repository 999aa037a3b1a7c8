#ifndef KVS_TESTS_WAL_LOG_TEST_UTIL_H_
#define KVS_TESTS_WAL_LOG_TEST_UTIL_H_

// In-memory files and a harness for the write-ahead log tests: the log lives in
// a std::string, so tests can inspect and damage individual bytes.

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "lsm/file_system.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "wal/format.h"
#include "wal/reader.h"
#include "wal/writer.h"

namespace kvs::wal::testing {

// A WritableFile appending to a string; counts calls and can be told to fail
// them.
class StringSink : public WritableFile {
 public:
  absl::Status Append(std::string_view data) override {
    ++appends;
    if (!append_error.ok()) return append_error;
    contents.append(data.data(), data.size());
    return absl::OkStatus();
  }
  absl::Status Flush() override {
    ++flushes;
    if (!flush_error.ok()) return flush_error;
    flushed = contents.size();
    return absl::OkStatus();
  }
  absl::Status Sync() override {
    ++syncs;
    if (!sync_error.ok()) return sync_error;
    flushed = synced = contents.size();
    return absl::OkStatus();
  }
  absl::Status Close() override { return absl::OkStatus(); }

  std::string contents;
  size_t flushed = 0;
  size_t synced = 0;
  int appends = 0;
  int flushes = 0;
  int syncs = 0;
  absl::Status append_error;
  absl::Status flush_error;
  absl::Status sync_error;
};

// A SequentialFile over a string. Either copies into the caller's scratch or
// hands out views of its own memory (both are allowed by the interface). Can
// fail a chosen Read call.
class StringSource : public SequentialFile {
 public:
  explicit StringSource(std::string contents, bool copy_to_scratch = true)
      : contents_(std::move(contents)), copy_to_scratch_(copy_to_scratch) {}

  absl::Status Read(size_t n, std::string_view* result,
                    char* scratch) override {
    ++reads;
    if (reads == fail_on_read) {
      return absl::InternalError("injected read error");
    }
    const size_t k = std::min(n, contents_.size() - pos_);
    if (copy_to_scratch_) {
      std::memcpy(scratch, contents_.data() + pos_, k);
      *result = std::string_view(scratch, k);
    } else {
      *result = std::string_view(contents_.data() + pos_, k);
    }
    pos_ += k;
    return absl::OkStatus();
  }

  absl::Status Skip(uint64_t n) override {
    pos_ += static_cast<size_t>(std::min<uint64_t>(n, contents_.size() - pos_));
    return absl::OkStatus();
  }

  // 1-based index of the Read call that fails; 0 for none.
  int fail_on_read = 0;
  int reads = 0;

 private:
  const std::string contents_;
  size_t pos_ = 0;
  const bool copy_to_scratch_;
};

class RecordingReporter : public Reader::Reporter {
 public:
  void Corruption(size_t bytes, const absl::Status& status) override {
    dropped += bytes;
    statuses.push_back(status);
  }
  std::string Messages() const {
    std::string out;
    for (const auto& s : statuses) out += s.ToString() + "\n";
    return out;
  }

  size_t dropped = 0;
  std::vector<absl::Status> statuses;
};

// The CRC the writer stores for a fragment of the given type and payload.
inline uint32_t FragmentCrc(char type, std::string_view payload) {
  return crc32c::Mask(
      crc32c::Extend(crc32c::Value(&type, 1), payload.data(), payload.size()));
}

// Public members so that shared check functions can drive it.
class LogTest : public ::testing::Test {
 public:
  LogTest() : writer_(std::make_unique<Writer>(&sink_, 0)) {}

  void Write(std::string_view record) {
    ASSERT_TRUE(writer_->AddRecord(record).ok());
  }

  size_t WrittenBytes() const { return sink_.contents.size(); }
  std::string& contents() { return sink_.contents; }

  // A new writer continuing the file, as after reopening it.
  void ReopenWriter() {
    writer_ = std::make_unique<Writer>(&sink_, sink_.contents.size());
  }

  // Starts reading the file as it is now; Read() does so implicitly the first
  // time.
  void StartReading(bool verify_checksums = true, bool copy_to_scratch = true,
                    int fail_on_read = 0, bool allocated_ahead = false) {
    source_ = std::make_unique<StringSource>(sink_.contents, copy_to_scratch);
    source_->fail_on_read = fail_on_read;
    reporter_ = RecordingReporter();
    reader_ = std::make_unique<Reader>(source_.get(), &reporter_,
                                       verify_checksums, allocated_ahead);
  }

  // The next record, or nullopt at the end.
  std::optional<std::string> Read() {
    if (reader_ == nullptr) StartReading();
    std::string_view record;
    if (reader_->ReadRecord(&record, &scratch_)) {
      return std::string(record);
    }
    return std::nullopt;
  }

  std::vector<std::string> ReadAll() {
    std::vector<std::string> out;
    while (auto r = Read()) out.push_back(std::move(*r));
    return out;
  }

  void FlipByte(size_t offset, unsigned char mask) {
    sink_.contents[offset] = static_cast<char>(sink_.contents[offset] ^ mask);
  }
  void SetByte(size_t offset, char value) { sink_.contents[offset] = value; }
  void ShrinkTo(size_t size) { sink_.contents.resize(size); }

  void SetType(size_t header_offset, char type) {
    SetByte(header_offset + kTypeOffset, type);
  }
  void SetLength(size_t header_offset, size_t length) {
    SetByte(header_offset + kLengthOffset, static_cast<char>(length & 0xff));
    SetByte(header_offset + kLengthOffset + 1, static_cast<char>(length >> 8));
  }
  size_t LengthAt(size_t header_offset) const {
    const auto* p = reinterpret_cast<const unsigned char*>(
        sink_.contents.data() + header_offset + kLengthOffset);
    return p[0] | (static_cast<size_t>(p[1]) << 8);
  }
  // Rewrites the stored CRC of the fragment at header_offset so that it matches
  // the (edited) type and payload, to test the checks that come after the
  // checksum.
  void FixChecksum(size_t header_offset) {
    const size_t len = LengthAt(header_offset);
    std::string_view payload(
        sink_.contents.data() + header_offset + kHeaderSize, len);
    EncodeFixed32(
        sink_.contents.data() + header_offset,
        FragmentCrc(sink_.contents[header_offset + kTypeOffset], payload));
  }

  size_t DroppedBytes() const { return reporter_.dropped; }
  size_t ReportCount() const { return reporter_.statuses.size(); }
  std::string ReportMessages() const { return reporter_.Messages(); }

  StringSink sink_;
  std::unique_ptr<Writer> writer_;
  std::unique_ptr<StringSource> source_;
  RecordingReporter reporter_;
  std::unique_ptr<Reader> reader_;
  std::string scratch_;
};

// A string of n bytes that differs with seed, for recognising which record came
// back.
inline std::string Filler(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + i * 7);
  return s;
}

}  // namespace kvs::wal::testing

#endif  // KVS_TESTS_WAL_LOG_TEST_UTIL_H_
