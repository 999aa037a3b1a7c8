#ifndef KVS_MEMTABLE_WRITE_BATCH_INTERNAL_H_
#define KVS_MEMTABLE_WRITE_BATCH_INTERNAL_H_

// What the database (and WAL recovery) needs of a WriteBatch beyond its public
// interface: the header fields, the raw encoding, and applying a batch to a
// memtable.
//
// Encoding (docs/format.md, "Write batch"), which is also the WAL record
// payload:
//
//   fixed64  sequence number of the first record
//   fixed32  number of records
//   records, each:
//     kTypeValue:    byte 0x01 | varint32 key length | key | varint32 value
//     length | value kTypeDeletion: byte 0x00 | varint32 key length | key
//
// Thread-safety: as WriteBatch (const access may be concurrent; mutation needs
// exclusion).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "lsm/write_batch.h"
#include "memtable/internal_key.h"

namespace kvs {

class MemTable;

class WriteBatchInternal {
 public:
  // Bytes of the header: fixed64 sequence + fixed32 count.
  static constexpr size_t kHeaderSize = 12;

  // The record count stored in the header.
  static uint32_t Count(const WriteBatch& batch);
  // Overwrites the header's count (the records are not touched).
  static void SetCount(WriteBatch* batch, uint32_t count);

  // Sequence number of the batch's first record; record i gets Sequence() + i.
  static SequenceNumber Sequence(const WriteBatch& batch);
  static void SetSequence(WriteBatch* batch, SequenceNumber sequence);

  // The encoded batch (what the WAL stores). Valid until the batch is next
  // modified.
  static std::string_view Contents(const WriteBatch& batch);
  // Size of Contents().
  static size_t ByteSize(const WriteBatch& batch);

  // Replaces the batch with an encoding read back (from the WAL). Only the
  // header's presence is checked here: returns DataLoss, leaving the batch
  // unchanged, if contents is shorter than kHeaderSize. The records are
  // validated when the batch is iterated or inserted.
  static absl::Status SetContents(WriteBatch* batch, std::string_view contents);

  // Appends src's records to dst's and adds their counts; dst keeps its
  // sequence number.
  static void Append(WriteBatch* dst, const WriteBatch& src);

  // Checks the whole encoding: every record well formed and the count matching.
  // DataLoss otherwise.
  static absl::Status Validate(const WriteBatch& batch);

  // Adds the batch's records to memtable with sequence numbers Sequence(),
  // Sequence() + 1, ..., in order. The batch is validated first, so on error
  // (DataLoss for a malformed batch or one whose last sequence number would
  // exceed kMaxSequenceNumber) nothing has been inserted. REQUIRES: the caller
  // is the memtable's only writer.
  static absl::Status InsertInto(const WriteBatch& batch, MemTable* memtable);

 private:
  // A moved-from batch may have lost its header; mutators restore it (as an
  // empty batch) first.
  static void EnsureHeader(WriteBatch* batch);
};

}  // namespace kvs

#endif  // KVS_MEMTABLE_WRITE_BATCH_INTERNAL_H_
