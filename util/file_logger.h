#ifndef KVS_UTIL_FILE_LOGGER_H_
#define KVS_UTIL_FILE_LOGGER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "lsm/file_system.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace kvs {

// A Logger that appends each line to a WritableFile and flushes it at once, so
// the LOG file is readable up to the last line even if the process dies. Every
// file system in util/ returns one of these from NewLogger. Lines look like
//   2024/05/17-13:45:02.123456 12345 the message
// (local date and time to the microsecond, then the kernel thread id). Write
// errors are dropped: an info log must never fail the database.
//
// Thread-safe: lines from concurrent callers never interleave.
class FileLogger : public Logger {
 public:
  explicit FileLogger(std::unique_ptr<WritableFile> file);
  ~FileLogger() override;  // Closes the file.

  // One trailing newline in line is dropped, so callers may pass "text\n"
  // without a blank line.
  void Log(std::string_view line) override KVS_EXCLUDES(mu_);

 private:
  Mutex mu_;
  std::unique_ptr<WritableFile> file_ KVS_GUARDED_BY(mu_);
};

// The prefix FileLogger writes before a line: "YYYY/MM/DD-HH:MM:SS.uuuuuu <tid>
// ", for the given wall-clock time (microseconds since the Unix epoch, shown in
// local time). Exposed for tests.
std::string LogLinePrefix(uint64_t unix_micros, uint64_t thread_id);

}  // namespace kvs

#endif  // KVS_UTIL_FILE_LOGGER_H_
