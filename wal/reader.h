#ifndef KVS_WAL_READER_H_
#define KVS_WAL_READER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "lsm/file_system.h"
#include "wal/format.h"

namespace kvs::wal {

// Reads back the records of a log written by wal::Writer, from the start of the
// file.
//
// Damage (a bad checksum or length, an impossible fragment sequence, an unknown
// type) is reported to the Reporter and skipped: the reader drops the rest of
// the damaged block, since a header that failed its checks cannot be trusted to
// say where the next fragment starts, and carries on at the next block. A
// record cut short by the end of the file (a crash in the middle of writing it)
// is not damage: it ends the log cleanly and is only counted in
// TornTailBytes(). With allocated_ahead, neither is damage after the last good
// fragment of a file whose size is a multiple of kAllocationUnit: such a file
// may have had its space allocated ahead (the POSIX WAL), and then keeps its
// size through a crash, so a torn last record is followed by zeros instead of
// by the end of the file. Damage is therefore reported once a good fragment
// after it (or an I/O error, or the end of any other file) shows it was not
// the tail.
//
// Thread-safety: not thread-safe.
class Reader {
 public:
  // Told about every part of the file the reader had to skip. Calls happen
  // inside ReadRecord, on its thread.
  class Reporter {
   public:
    virtual ~Reporter() = default;
    // bytes: how many bytes of the file were dropped (headers included; 0 if
    // none, as for an I/O error between records). status: DataLoss describing
    // the damage and its file offset, or the file's own error if reading
    // failed.
    virtual void Corruption(size_t bytes, const absl::Status& status) = 0;
  };

  // Reads file, which must be positioned at its start. file and reporter (which
  // may be null) must outlive the reader and are not owned. verify_checksums =
  // false skips CRC checks; lengths and fragment sequences are still checked.
  // The granularity of space allocated ahead (FileSystem::NewLogFile on
  // POSIX allocates chunks of 64 KiB to 1 MiB, each a multiple of this).
  static constexpr uint64_t kAllocationUnit = 64 * 1024;

  Reader(SequentialFile* file, Reporter* reporter, bool verify_checksums,
         bool allocated_ahead = false);

  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // Stores the next record in *record and returns true, or returns false at the
  // end of the log (including after an I/O error, which is reported and kept in
  // status()). *record points into *scratch, the reader's block buffer or
  // memory the file handed out, and stays valid until the next call or until
  // *scratch is modified.
  bool ReadRecord(std::string_view* record, std::string* scratch);

  // File offset of the first header of the record last returned by ReadRecord
  // (0 before any).
  uint64_t LastRecordOffset() const { return last_record_offset_; }
  // File offset just past the last fragment of that record: the length a log
  // should be cut to before a Writer appends to it, when the tail beyond was
  // torn (0 before any record).
  uint64_t EndOfLastRecord() const { return end_of_last_record_; }

  // How the log ended, for deciding whether it is safe to trust (or to append
  // to):
  // - CorruptionReports(): number of Reporter::Corruption calls so far (counted
  // even with no
  //   reporter). Zero means no damage was met and no I/O error happened.
  // - DroppedBytes(): total of the bytes those calls reported.
  // - TornTailBytes(): bytes at the end of the file that belonged to a record
  // cut short by the end
  //   of the file. They were ignored without a report. A writer must not simply
  //   append after such a tail: the reader would then see the stub followed by
  //   unrelated bytes, which is damage.
  // - status(): OK unless reading the file failed.
  uint64_t CorruptionReports() const { return corruption_reports_; }
  uint64_t DroppedBytes() const { return dropped_bytes_; }
  uint64_t TornTailBytes() const { return torn_tail_bytes_; }
  const absl::Status& status() const { return status_; }

 private:
  // Results of ReadPhysicalRecord besides the type byte (0..255) of a fragment
  // that passed its checks.
  enum : int {
    kEof = 256,
    // Damage that has already been reported; the rest of its block was skipped.
    kBadRecord = 257,
    // Reading failed; status_ holds the error.
    kIoError = 258,
  };

  // Reads the next fragment that passes the header checks: its payload and the
  // file offset of its header. Returns its type or one of the codes above.
  int ReadPhysicalRecord(std::string_view* payload, uint64_t* offset);

  // Holds a report of damage back until it is known not to be a torn tail.
  void Report(uint64_t bytes, absl::Status status);
  // Hands the held reports to the Reporter.
  void ReportPending();

  SequentialFile* const file_;
  Reporter* const reporter_;
  const bool verify_checksums_;
  const bool allocated_ahead_;

  // One block of the file; buffer_ is the part of it not yet parsed.
  const std::unique_ptr<char[]> backing_store_;
  std::string_view buffer_;
  // The last read returned less than a block: the file has no more data.
  bool eof_ = false;
  // File offset of the byte just after buffer_.
  uint64_t end_of_buffer_offset_ = 0;

  uint64_t last_record_offset_ = 0;
  uint64_t end_of_last_record_ = 0;
  uint64_t corruption_reports_ = 0;
  uint64_t dropped_bytes_ = 0;
  uint64_t torn_tail_bytes_ = 0;
  // Damage met since the last good fragment, not yet reported.
  std::vector<std::pair<uint64_t, absl::Status>> pending_;
  absl::Status status_;
};

}  // namespace kvs::wal

#endif  // KVS_WAL_READER_H_
