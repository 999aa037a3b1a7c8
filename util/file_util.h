#ifndef KVS_UTIL_FILE_UTIL_H_
#define KVS_UTIL_FILE_UTIL_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lsm/file_system.h"

namespace kvs {

// Small conveniences over FileSystem. All are thread-safe to the extent the
// FileSystem is (every FileSystem is fully thread-safe).

// Creates (or truncates) path and writes data to it; with sync, also Syncs the
// file before closing it. The directory is NOT synced: a caller that needs the
// new name to survive a crash calls fs->SyncDir on the parent afterwards. On
// any failure the partial file is removed and the first error is returned.
absl::Status WriteStringToFile(FileSystem* fs, std::string_view data,
                               const std::string& path, bool sync);

// The whole contents of path. NotFound if it does not exist; other read errors
// as the file system reports them.
absl::StatusOr<std::string> ReadFileToString(FileSystem* fs,
                                             const std::string& path);

// printf-style logging to an info log. Does nothing if logger is null, so
// callers need not check whether the user configured one. Lines longer than a
// few hundred bytes are formatted on the heap; there is no length limit.
void Log(Logger* logger, const char* format, ...)
    __attribute__((format(printf, 2, 3)));

}  // namespace kvs

#endif  // KVS_UTIL_FILE_UTIL_H_
