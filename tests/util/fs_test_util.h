#ifndef KVS_TESTS_UTIL_FS_TEST_UTIL_H_
#define KVS_TESTS_UTIL_FS_TEST_UTIL_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "lsm/file_system.h"

// Assertions on absl::Status; the expression is evaluated once.
#define KVS_ASSERT_OK(expr)                       \
  do {                                            \
    const absl::Status kvs_status_ = (expr);      \
    ASSERT_TRUE(kvs_status_.ok()) << kvs_status_; \
  } while (0)
#define KVS_EXPECT_OK(expr)                       \
  do {                                            \
    const absl::Status kvs_status_ = (expr);      \
    EXPECT_TRUE(kvs_status_.ok()) << kvs_status_; \
  } while (0)

namespace kvs {
namespace testing_util {

// Creates path holding data; optionally Syncs it. Directory not synced.
inline absl::Status WriteFile(FileSystem* fs, const std::string& path,
                              std::string_view data, bool sync = false) {
  absl::StatusOr<std::unique_ptr<WritableFile>> f = fs->NewWritableFile(path);
  if (!f.ok()) return f.status();
  absl::Status s = (*f)->Append(data);
  if (s.ok() && sync) s = (*f)->Sync();
  if (s.ok()) s = (*f)->Close();
  return s;
}

// The contents of path read with a SequentialFile in small chunks, or "<error:
// ...>".
inline std::string ReadAll(FileSystem* fs, const std::string& path) {
  absl::StatusOr<std::unique_ptr<SequentialFile>> f =
      fs->NewSequentialFile(path);
  if (!f.ok()) return "<error: " + f.status().ToString() + ">";
  std::string out;
  char scratch[1000];
  for (;;) {
    std::string_view piece;
    absl::Status s = (*f)->Read(sizeof(scratch), &piece, scratch);
    if (!s.ok()) return "<error: " + s.ToString() + ">";
    if (piece.empty()) return out;
    out.append(piece);
  }
}

}  // namespace testing_util
}  // namespace kvs

#endif  // KVS_TESTS_UTIL_FS_TEST_UTIL_H_
