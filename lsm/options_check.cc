// Validation of Options at DB::Open, and the defaults for the fields left
// unset.

#include "absl/strings/str_cat.h"
#include "compaction/version_edit.h"
#include "lsm/cache.h"
#include "lsm/comparator.h"
#include "lsm/db_impl.h"
#include "lsm/file_system.h"
#include "lsm/filter_policy.h"

namespace kvs {
namespace {

template <typename T>
absl::Status OutOfRange(const char* field, T value, std::string_view rule) {
  return absl::InvalidArgumentError(
      absl::StrCat("Options::", field, " = ", value, ": ",
                   absl::string_view(rule.data(), rule.size())));
}

}  // namespace

absl::StatusOr<Options> SanitizeOptions(const Options& options) {
  Options o = options;
  if (o.write_buffer_size < (64 << 10) || o.write_buffer_size > (1ull << 32)) {
    return OutOfRange("write_buffer_size", o.write_buffer_size,
                      "must be between 64 KiB and 4 GiB");
  }
  if (o.max_open_files < 20) {
    return OutOfRange("max_open_files", o.max_open_files, "must be >= 20");
  }
  if (o.block_size < 256 || o.block_size > (64 << 20)) {
    return OutOfRange("block_size", o.block_size,
                      "must be between 256 bytes and 64 MiB");
  }
  if (o.block_restart_interval < 1) {
    return OutOfRange("block_restart_interval", o.block_restart_interval,
                      "must be >= 1");
  }
  if (o.compression != CompressionType::kNone &&
      o.compression != CompressionType::kSnappy) {
    return OutOfRange("compression", static_cast<int>(o.compression),
                      "unknown compression type");
  }
  if (o.compaction_priority != CompactionPriority::kMinOverlappingRatio &&
      o.compaction_priority != CompactionPriority::kRoundRobin) {
    return OutOfRange("compaction_priority",
                      static_cast<int>(o.compaction_priority),
                      "unknown compaction priority");
  }
  if (!(o.bloom_bits_per_key >= 0 && o.bloom_bits_per_key <= 100)) {
    return OutOfRange("bloom_bits_per_key", o.bloom_bits_per_key,
                      "must be between 0 (no filter) and 100");
  }
  if (o.max_file_size < (64 << 10)) {
    return OutOfRange("max_file_size", o.max_file_size, "must be >= 64 KiB");
  }
  if (o.num_levels < 2 || o.num_levels > kMaxNumLevels) {
    return OutOfRange("num_levels", o.num_levels,
                      absl::StrCat("must be between 2 and ", kMaxNumLevels));
  }
  if (o.level0_file_num_compaction_trigger < 1) {
    return OutOfRange("level0_file_num_compaction_trigger",
                      o.level0_file_num_compaction_trigger, "must be >= 1");
  }
  if (o.level0_slowdown_writes_trigger < o.level0_file_num_compaction_trigger) {
    return OutOfRange("level0_slowdown_writes_trigger",
                      o.level0_slowdown_writes_trigger,
                      "must be >= level0_file_num_compaction_trigger");
  }
  if (o.level0_stop_writes_trigger < o.level0_slowdown_writes_trigger) {
    return OutOfRange("level0_stop_writes_trigger",
                      o.level0_stop_writes_trigger,
                      "must be >= level0_slowdown_writes_trigger");
  }
  if (o.max_bytes_for_level_base < (64 << 10)) {
    return OutOfRange("max_bytes_for_level_base", o.max_bytes_for_level_base,
                      "must be >= 64 KiB");
  }
  if (!(o.max_bytes_for_level_multiplier > 1 &&
        o.max_bytes_for_level_multiplier <= 1000)) {
    return OutOfRange("max_bytes_for_level_multiplier",
                      o.max_bytes_for_level_multiplier,
                      "must be > 1 and <= 1000");
  }

  if (o.comparator == nullptr) o.comparator = BytewiseComparator();
  if (o.file_system == nullptr) o.file_system = DefaultFileSystem();
  if (o.block_cache == nullptr) o.block_cache = NewLRUCache(o.block_cache_size);
  if (o.filter_policy == nullptr && o.bloom_bits_per_key > 0) {
    o.filter_policy = NewBloomFilterPolicy(o.bloom_bits_per_key);
  }
  return o;
}

}  // namespace kvs
