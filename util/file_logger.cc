#include "util/file_logger.h"

#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <utility>

namespace kvs {
namespace {

uint64_t CurrentThreadId() {
  // The kernel id matches what top, gdb and /proc show, unlike std::thread::id.
  return static_cast<uint64_t>(syscall(SYS_gettid));
}

uint64_t UnixMicros() {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  return static_cast<uint64_t>(tv.tv_sec) * 1000000 +
         static_cast<uint64_t>(tv.tv_usec);
}

}  // namespace

std::string LogLinePrefix(uint64_t unix_micros, uint64_t thread_id) {
  const time_t seconds = static_cast<time_t>(unix_micros / 1000000);
  struct tm t;
  localtime_r(&seconds, &t);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d/%02d/%02d-%02d:%02d:%02d.%06d %llu ",
                t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min,
                t.tm_sec, static_cast<int>(unix_micros % 1000000),
                static_cast<unsigned long long>(thread_id));
  return buf;
}

FileLogger::FileLogger(std::unique_ptr<WritableFile> file)
    : file_(std::move(file)) {}

FileLogger::~FileLogger() {
  MutexLock l(&mu_);
  file_->Close().IgnoreError();
}

void FileLogger::Log(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  std::string out = LogLinePrefix(UnixMicros(), CurrentThreadId());
  out.append(line.data(), line.size());
  out += '\n';
  MutexLock l(&mu_);
  // A failed log write has nowhere to be reported; the database carries on.
  if (file_->Append(out).ok()) file_->Flush().IgnoreError();
}

}  // namespace kvs
