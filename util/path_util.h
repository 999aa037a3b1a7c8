#ifndef KVS_UTIL_PATH_UTIL_H_
#define KVS_UTIL_PATH_UTIL_H_

#include <string>
#include <string_view>
#include <utility>

namespace kvs {

// Lexical path handling shared by the in-memory and fault-injecting file
// systems, which key their state by path and so need "a//b/", "./a/b" and "a/b"
// to be the same key. Nothing here touches the disk or resolves symbolic links.
// All functions are pure and thread-safe.

// Collapses repeated slashes, drops "." components and trailing slashes, and
// resolves ".." against the preceding component ("/.." stays "/"; a leading
// ".." of a relative path is kept). The empty path and "." both become ".", the
// current directory.
std::string NormalizePath(std::string_view path);

// Splits a normalized path into its directory and final name: "/a/b" -> {"/a",
// "b"},
// "/a" -> {"/", "a"}, "a" -> {".", "a"}. The roots "/" and "." split into {"/",
// ""} and {".", ""}.
std::pair<std::string, std::string> SplitPath(std::string_view normalized);

// The inverse of SplitPath: JoinPath("/", "a") is "/a", JoinPath(".", "a") is
// "a".
std::string JoinPath(std::string_view dir, std::string_view name);

}  // namespace kvs

#endif  // KVS_UTIL_PATH_UTIL_H_
