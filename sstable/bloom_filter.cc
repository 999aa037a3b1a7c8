#include "sstable/bloom_filter.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lsm/filter_policy.h"
#include "sstable/hash.h"
#include "util/coding.h"

namespace kvs {
namespace bloom {
namespace {

// The line holding every probe of a key: a multiply-shift maps the high half of
// the hash onto [0, num_lines) without a division.
inline uint32_t LineOf(uint64_t hash, uint32_t num_lines) {
  return static_cast<uint32_t>(((hash >> 32) * num_lines) >> 32);
}

// Probes use the low half of the hash, which LineOf ignores. Multiplying by an
// odd constant is a bijection that stirs the low bits into the high ones, and
// the top 9 bits pick the bit.
constexpr uint32_t kProbeMultiplier = 0x9E3779B9u;

inline void SetProbes(uint64_t hash, int num_probes, uint8_t* line) {
  uint32_t h = static_cast<uint32_t>(hash);
  for (int i = 0; i < num_probes; i++) {
    uint32_t bit = h >> 23;
    line[bit >> 3] |= static_cast<uint8_t>(1u << (bit & 7));
    h *= kProbeMultiplier;
  }
}

inline bool TestProbes(uint64_t hash, int num_probes, const uint8_t* line) {
  uint32_t h = static_cast<uint32_t>(hash);
  for (int i = 0; i < num_probes; i++) {
    uint32_t bit = h >> 23;
    if ((line[bit >> 3] & (1u << (bit & 7))) == 0) return false;
    h *= kProbeMultiplier;
  }
  return true;
}

double ClampBitsPerKey(double bits_per_key) {
  if (!(bits_per_key >= 1)) return 1;  // Also catches NaN.
  return std::min(bits_per_key, 100.0);
}

class BlockedBloomPolicy final : public FilterPolicy {
 public:
  explicit BlockedBloomPolicy(double bits_per_key)
      : bits_per_key_(ClampBitsPerKey(bits_per_key)),
        num_probes_(NumProbes(bits_per_key_)) {}

  const char* Name() const override { return kPolicyName; }

  void CreateFilter(const std::vector<std::string_view>& keys,
                    std::string* dst) const override {
    double bits = std::ceil(static_cast<double>(keys.size()) * bits_per_key_);
    double lines = std::ceil(bits / kLineBits);
    // A filter bigger than 2^32 lines (256 GiB) is never sensible; cap rather
    // than overflow.
    uint32_t num_lines = static_cast<uint32_t>(
        std::clamp(lines, 1.0, static_cast<double>(UINT32_MAX)));

    size_t start = dst->size();
    dst->resize(start + size_t{num_lines} * kLineBytes + kTrailerBytes, '\0');
    auto* array = reinterpret_cast<uint8_t*>(dst->data() + start);
    for (std::string_view key : keys) {
      uint64_t h = Hash64(key);
      SetProbes(h, num_probes_,
                array + size_t{LineOf(h, num_lines)} * kLineBytes);
    }
    char* trailer = dst->data() + start + size_t{num_lines} * kLineBytes;
    trailer[0] = static_cast<char>(num_probes_);
    EncodeFixed32(trailer + 1, num_lines);
  }

  bool KeyMayMatch(std::string_view key,
                   std::string_view filter) const override {
    if (filter.size() < kTrailerBytes) return true;
    const char* trailer = filter.data() + filter.size() - kTrailerBytes;
    int num_probes = static_cast<unsigned char>(trailer[0]);
    uint32_t num_lines = DecodeFixed32(trailer + 1);
    // Anything inconsistent is treated as "maybe": a damaged filter must never
    // hide a key.
    if (num_probes < 1 || num_probes > kMaxProbes || num_lines == 0 ||
        (filter.size() - kTrailerBytes) / kLineBytes != num_lines ||
        (filter.size() - kTrailerBytes) % kLineBytes != 0) {
      return true;
    }
    uint64_t h = Hash64(key);
    const auto* line = reinterpret_cast<const uint8_t*>(filter.data()) +
                       size_t{LineOf(h, num_lines)} * kLineBytes;
    return TestProbes(h, num_probes, line);
  }

 private:
  const double bits_per_key_;
  const int num_probes_;
};

}  // namespace

int NumProbes(double bits_per_key) {
  // ln 2 ~ 0.69 probes per bit is optimal for a classic filter; measured on
  // this layout, 0.62 does as well or better across 6..20 bits per key.
  double k = std::round(ClampBitsPerKey(bits_per_key) * 0.62);
  return static_cast<int>(std::clamp(k, 1.0, static_cast<double>(kMaxProbes)));
}

}  // namespace bloom

std::shared_ptr<const FilterPolicy> NewBloomFilterPolicy(double bits_per_key) {
  return std::make_shared<bloom::BlockedBloomPolicy>(bits_per_key);
}

}  // namespace kvs
