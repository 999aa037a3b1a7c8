#ifndef KVS_WAL_WRITER_H_
#define KVS_WAL_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "lsm/file_system.h"
#include "wal/format.h"

namespace kvs::wal {

// Appends records to a log file in the format of wal/format.h.
//
// Thread-safety: not thread-safe; the owner serialises calls (as WritableFile
// requires).
class Writer {
 public:
  // Writes to dest, which must outlive the writer and is not owned. dest_length
  // is the number of bytes the file already holds (0 for a new file), so that a
  // reopened log continues inside its last, partly filled block. The file must
  // end after a complete record: appending after a torn one would turn the stub
  // into damage that also swallows the new records of that block (see
  // Reader::TornTailBytes and Reader::EndOfLastRecord).
  Writer(WritableFile* dest, uint64_t dest_length);

  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Appends record (which may be empty) as one logical record and flushes it to
  // the operating system, so that it survives a crash of this process (but not
  // a power loss: see Sync). Returns the file's error if an Append or Flush
  // fails; after that the writer no longer knows how much of the file was
  // written, so this and every later call return that same error and the caller
  // must start a new log.
  absl::Status AddRecord(std::string_view record);

  // Makes every record added so far durable. Returns the file's error, or the
  // sticky error of an earlier failed call. A failed sync is sticky too: after
  // a failed fsync the kernel may have dropped the dirty pages, so a later
  // successful one would prove nothing.
  absl::Status Sync();

 private:
  // Appends one fragment (header + payload) to pending_.
  void EmitFragment(RecordType type, const char* payload, size_t n);

  WritableFile* const dest_;
  // Bytes already written in the current block.
  size_t block_offset_;
  absl::Status status_;
  // Bytes of the record being added that are not yet handed to dest_; reused
  // between calls to avoid an allocation per record.
  std::string pending_;
  // CRC32C of each type byte alone, which every fragment's checksum starts
  // from.
  uint32_t type_crc_[kMaxRecordType + 1];
};

}  // namespace kvs::wal

#endif  // KVS_WAL_WRITER_H_
