#include "util/path_util.h"

#include <vector>

namespace kvs {

std::string NormalizePath(std::string_view path) {
  const bool absolute = !path.empty() && path.front() == '/';
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!absolute) {
        parts.push_back(part);  // Above the current directory: keep it.
      }                         // "/.." is "/".
      continue;
    }
    parts.push_back(part);
  }
  std::string out = absolute ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += '/';
    out.append(parts[i].data(), parts[i].size());
  }
  if (out.empty()) out = ".";
  return out;
}

std::pair<std::string, std::string> SplitPath(std::string_view normalized) {
  if (normalized == "/" || normalized == ".") {
    return {std::string(normalized), ""};
  }
  const size_t slash = normalized.rfind('/');
  if (slash == std::string_view::npos) {
    return {".", std::string(normalized)};
  }
  std::string dir(slash == 0 ? "/" : normalized.substr(0, slash));
  return {dir, std::string(normalized.substr(slash + 1))};
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  if (dir == ".") return std::string(name);
  std::string out(dir);
  if (out.empty() || out.back() != '/') out += '/';
  out.append(name.data(), name.size());
  return out;
}

}  // namespace kvs
