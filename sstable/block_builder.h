#ifndef KVS_SSTABLE_BLOCK_BUILDER_H_
#define KVS_SSTABLE_BLOCK_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kvs {

// Builds one block: sorted entries, each key prefix-compressed against the
// previous one, with a full key (a restart point) every restart_interval
// entries and the restart offsets at the end (docs/format.md, "SSTable"). Not
// thread-safe.
class BlockBuilder {
 public:
  // REQUIRES: restart_interval >= 1.
  explicit BlockBuilder(int restart_interval);
  BlockBuilder(const BlockBuilder&) = delete;
  BlockBuilder& operator=(const BlockBuilder&) = delete;

  // Forgets everything added, keeping the allocated memory.
  void Reset();

  // Appends an entry. REQUIRES: Finish not called since Reset; the caller
  // enforces key order.
  void Add(std::string_view key, std::string_view value);

  // Appends the restart array and returns the finished block, valid until Reset
  // or destruction.
  std::string_view Finish();

  // Size of the block Finish would return now.
  size_t CurrentSizeEstimate() const;

  bool empty() const { return buffer_.empty(); }
  int num_entries() const { return num_entries_; }

 private:
  const int restart_interval_;
  std::string buffer_;
  std::vector<uint32_t> restarts_;
  int counter_ = 0;  // Entries since the last restart point.
  int num_entries_ = 0;
  bool finished_ = false;
  std::string last_key_;
};

}  // namespace kvs

#endif  // KVS_SSTABLE_BLOCK_BUILDER_H_
