#ifndef KVS_TESTS_CRASH_TEST_VALUE_H_
#define KVS_TESTS_CRASH_TEST_VALUE_H_

// Self-verifying values for the crash, power-loss and stress tests. A value
// names the key it was written under and a version number, and ends with a
// CRC-32C of everything before it, so a reader can tell a value that was torn,
// mixed up with another key's, or made up from garbage apart from a genuine
// one without any outside record.
//
// Layout (text, so a failing test prints something readable):
//   <key> '|' <version, decimal> '|' <padding> '|' <crc32c, 8 hex digits>
// The padding repeats a pattern derived from key and version, so that two
// values of one size still differ all along their length.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace kvs::crash_testing {

// "k" followed by the index in fixed width, so the numeric and byte orders
// agree.
std::string KeyName(uint64_t index);
// The index back from KeyName's form; false for anything else.
bool ParseKeyName(std::string_view key, uint64_t* index);

// A value for key at version, about padding bytes longer than the minimum.
std::string MakeValue(std::string_view key, uint64_t version, size_t padding);

struct ParsedValue {
  std::string key;
  uint64_t version = 0;
};

// Checks the checksum and the layout. DataLoss describing the defect for a
// value that is not exactly as MakeValue wrote it.
absl::StatusOr<ParsedValue> ParseValue(std::string_view value);

// ParseValue, and also checks the value names expected_key. Returns the
// version.
absl::StatusOr<uint64_t> CheckValue(std::string_view expected_key,
                                    std::string_view value);

}  // namespace kvs::crash_testing

#endif  // KVS_TESTS_CRASH_TEST_VALUE_H_
