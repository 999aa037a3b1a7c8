#ifndef KVS_TESTS_SSTABLE_TABLE_TEST_UTIL_H_
#define KVS_TESTS_SSTABLE_TABLE_TEST_UTIL_H_

// Building tables into strings and opening them again, for the table tests.

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "sstable/table.h"
#include "sstable/table_builder.h"
#include "tests/sstable/string_file.h"

namespace kvs::test {

using Entries = std::vector<std::pair<std::string, std::string>>;

inline Entries ToEntries(const std::map<std::string, std::string>& m) {
  return Entries(m.begin(), m.end());
}

// The table built from entries (which must be sorted per options.comparator).
inline std::string BuildTable(const TableOptions& options,
                              const Entries& entries) {
  std::string contents;
  StringSink sink(&contents);
  TableBuilder builder(options, &sink);
  for (const auto& [k, v] : entries) {
    absl::Status s = builder.Add(k, v);
    EXPECT_TRUE(s.ok()) << s;
  }
  absl::Status s = builder.Finish();
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(builder.NumEntries(), entries.size());
  EXPECT_EQ(builder.FileSize(), contents.size());
  return contents;
}

inline absl::StatusOr<std::unique_ptr<Table>> OpenTable(
    const TableOptions& options, const std::string& contents,
    bool borrow = false, std::atomic<int>* reads = nullptr) {
  return Table::Open(options,
                     std::make_unique<StringSource>(contents, borrow, reads),
                     contents.size());
}

// The entry InternalGet reports for key, if any.
struct GetResult {
  absl::Status status;
  bool found = false;
  std::string key;
  std::string value;
};

inline GetResult Get(const Table& table, std::string_view key,
                     const ReadOptions& options = ReadOptions()) {
  GetResult r;
  r.status = table.InternalGet(options, key,
                               [&r](std::string_view k, std::string_view v) {
                                 EXPECT_FALSE(r.found) << "called twice";
                                 r.found = true;
                                 r.key = k;
                                 r.value = v;
                               });
  return r;
}

}  // namespace kvs::test

#endif  // KVS_TESTS_SSTABLE_TABLE_TEST_UTIL_H_
