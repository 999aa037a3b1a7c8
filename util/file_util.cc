#include "util/file_util.h"

#include <cstdarg>
#include <cstdio>
#include <memory>

namespace kvs {

absl::Status WriteStringToFile(FileSystem* fs, std::string_view data,
                               const std::string& path, bool sync) {
  absl::StatusOr<std::unique_ptr<WritableFile>> file =
      fs->NewWritableFile(path);
  if (!file.ok()) return file.status();
  absl::Status s = (*file)->Append(data);
  if (s.ok() && sync) s = (*file)->Sync();
  if (s.ok()) {
    s = (*file)->Close();
  }
  file->reset();  // Closes the file if an earlier step failed.
  if (!s.ok()) fs->RemoveFile(path).IgnoreError();
  return s;
}

absl::StatusOr<std::string> ReadFileToString(FileSystem* fs,
                                             const std::string& path) {
  absl::StatusOr<std::unique_ptr<SequentialFile>> file =
      fs->NewSequentialFile(path);
  if (!file.ok()) return file.status();
  constexpr size_t kChunk = 64 * 1024;
  std::unique_ptr<char[]> scratch(new char[kChunk]);
  std::string out;
  for (;;) {
    std::string_view piece;
    absl::Status s = (*file)->Read(kChunk, &piece, scratch.get());
    if (!s.ok()) return s;
    if (piece.empty()) break;
    out.append(piece.data(), piece.size());
  }
  return out;
}

void Log(Logger* logger, const char* format, ...) {
  if (logger == nullptr) return;
  char stack_buf[512];
  va_list args;
  va_start(args, format);
  va_list copy;
  va_copy(copy, args);
  const int needed = std::vsnprintf(stack_buf, sizeof(stack_buf), format, args);
  va_end(args);
  if (needed < 0) {
    va_end(copy);
    return;  // Bad format string; nothing sensible to log.
  }
  if (static_cast<size_t>(needed) < sizeof(stack_buf)) {
    va_end(copy);
    logger->Log(std::string_view(stack_buf, needed));
    return;
  }
  std::string heap_buf(static_cast<size_t>(needed) + 1, '\0');
  std::vsnprintf(heap_buf.data(), heap_buf.size(), format, copy);
  va_end(copy);
  heap_buf.resize(static_cast<size_t>(needed));
  logger->Log(heap_buf);
}

}  // namespace kvs
