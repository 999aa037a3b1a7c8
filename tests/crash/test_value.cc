#include "tests/crash/test_value.h"

#include <cinttypes>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "util/crc32c.h"

namespace kvs::crash_testing {
namespace {

constexpr size_t kCrcDigits = 8;

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08" PRIx32, v);
  return buf;
}

absl::Status Bad(std::string_view what, std::string_view value) {
  // Long values are cut so the message stays readable.
  std::string shown(value.substr(0, 120));
  if (value.size() > 120) absl::StrAppend(&shown, "...");
  return absl::DataLossError(
      absl::StrCat(absl::string_view(what.data(), what.size()), " in value '",
                   shown, "' (", value.size(), " bytes)"));
}

}  // namespace

std::string KeyName(uint64_t index) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "k%08" PRIu64, index);
  return buf;
}

bool ParseKeyName(std::string_view key, uint64_t* index) {
  if (key.size() != 9 || key[0] != 'k') return false;
  uint64_t v = 0;
  for (char c : key.substr(1)) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *index = v;
  return true;
}

std::string MakeValue(std::string_view key, uint64_t version, size_t padding) {
  std::string v(key);
  absl::StrAppend(&v, "|", version, "|");
  const uint64_t mix = version * 0x9e3779b97f4a7c15ull + key.size();
  for (size_t i = 0; i < padding; ++i) {
    v.push_back(static_cast<char>('a' + (mix >> (i % 61)) % 26));
  }
  v.push_back('|');
  v += Hex32(crc32c::Value(v.data(), v.size()));
  return v;
}

absl::StatusOr<ParsedValue> ParseValue(std::string_view value) {
  if (value.size() < kCrcDigits + 4) return Bad("too short", value);
  const size_t body_size = value.size() - kCrcDigits;
  std::string_view body = value.substr(0, body_size);
  if (Hex32(crc32c::Value(body.data(), body.size())) !=
      value.substr(body_size)) {
    return Bad("checksum mismatch", value);
  }
  const size_t key_end = body.find('|');
  if (key_end == std::string_view::npos) return Bad("no key", value);
  const size_t version_end = body.find('|', key_end + 1);
  if (version_end == std::string_view::npos || version_end == key_end + 1 ||
      body.back() != '|') {
    return Bad("no version", value);
  }
  ParsedValue parsed;
  parsed.key = std::string(body.substr(0, key_end));
  for (char c : body.substr(key_end + 1, version_end - key_end - 1)) {
    if (c < '0' || c > '9') return Bad("bad version", value);
    parsed.version = parsed.version * 10 + static_cast<uint64_t>(c - '0');
  }
  return parsed;
}

absl::StatusOr<uint64_t> CheckValue(std::string_view expected_key,
                                    std::string_view value) {
  absl::StatusOr<ParsedValue> parsed = ParseValue(value);
  if (!parsed.ok()) return parsed.status();
  if (parsed->key != expected_key) {
    return Bad(
        absl::StrCat(
            "value of key '", parsed->key, "' found under '",
            absl::string_view(expected_key.data(), expected_key.size()), "'"),
        value);
  }
  return parsed->version;
}

}  // namespace kvs::crash_testing
