#include "util/io_error.h"

#include <cerrno>
#include <cstring>
#include <string>

namespace kvs {

absl::Status IoError(std::string_view op, std::string_view path, int err) {
  char buf[256];
  // GNU strerror_r: returns a pointer to the text, which may or may not be buf.
  const char* text = strerror_r(err, buf, sizeof(buf));
  std::string message;
  message.reserve(op.size() + path.size() + 64);
  message.append(op.data(), op.size());
  message += ' ';
  message.append(path.data(), path.size());
  message += ": ";
  message += text;
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(message);
    case EEXIST:
      return absl::AlreadyExistsError(message);
    default:
      return absl::InternalError(message);
  }
}

}  // namespace kvs
