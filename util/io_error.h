#ifndef KVS_UTIL_IO_ERROR_H_
#define KVS_UTIL_IO_ERROR_H_

#include <string_view>

#include "absl/status/status.h"

namespace kvs {

// The one place that turns an errno into an absl::Status, so that every file
// system in util/ reports the same failure the same way:
//   ENOENT      -> NotFound
//   EEXIST      -> AlreadyExists
//   anything else -> Internal
// The message is "<op> <path>: <strerror(err)>", e.g. "open /db/CURRENT: No
// such file or directory", so a caller can log it without adding the path
// again. The in-memory file system passes the errno a POSIX kernel would have
// given, so tests see identical codes on both. Thread-safe.
absl::Status IoError(std::string_view op, std::string_view path, int err);

}  // namespace kvs

#endif  // KVS_UTIL_IO_ERROR_H_
