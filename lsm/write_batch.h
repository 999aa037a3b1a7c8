#ifndef KVS_LSM_WRITE_BATCH_H_
#define KVS_LSM_WRITE_BATCH_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace kvs {

// A group of updates applied atomically: after a crash either all of a batch is
// in the database or none of it. Updates apply in the order they were added, so
// a batch may put and then delete the same key.
//
// The batch keeps its encoded form (docs/format.md, "Write batch"), which is
// also what the write-ahead log stores. Defined in //memtable.
//
// Thread-safety: const methods may be called concurrently; anything else needs
// external synchronisation.
class WriteBatch {
 public:
  // Receives the records of a batch, in order, from Iterate.
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void Put(std::string_view key, std::string_view value) = 0;
    virtual void Delete(std::string_view key) = 0;
  };

  WriteBatch();
  WriteBatch(const WriteBatch&) = default;
  WriteBatch& operator=(const WriteBatch&) = default;
  WriteBatch(WriteBatch&&) = default;
  WriteBatch& operator=(WriteBatch&&) = default;
  ~WriteBatch() = default;

  // REQUIRES (both): key and value shorter than 4 GiB; their lengths are stored
  // as varint32.
  void Put(std::string_view key, std::string_view value);
  void Delete(std::string_view key);
  // Removes every record.
  void Clear();
  // Appends the records of other after this batch's records.
  void Append(const WriteBatch& other);

  // Number of records.
  uint32_t Count() const;
  // Size in bytes of the encoded batch: a cheap estimate of what applying it
  // costs.
  size_t ApproximateSize() const;

  // Calls handler for each record in order. Returns DataLoss if the encoding is
  // malformed (only possible for a batch decoded from damaged bytes), after
  // replaying the records before the damage.
  absl::Status Iterate(Handler* handler) const;

 private:
  friend class WriteBatchInternal;
  std::string rep_;
};

}  // namespace kvs

#endif  // KVS_LSM_WRITE_BATCH_H_
