#ifndef KVS_UTIL_RANDOM_H_
#define KVS_UTIL_RANDOM_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace kvs {

// A small, fast, deterministic generator (SplitMix64 seeding an xorshift64*):
// the same seed gives the same sequence on every machine, so a failing
// randomized test can be replayed from its seed. Not thread-safe; not for
// cryptography.
class Random {
 public:
  explicit Random(uint64_t seed) {
    // SplitMix64 scrambles the seed so that nearby seeds give unrelated
    // streams; a zero state would make xorshift stick at zero.
    uint64_t z = seed + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    state_ = (z ^ (z >> 31)) | 1;
  }

  uint64_t Next64() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545f4914f6cdd1dull;
  }

  uint32_t Next() { return static_cast<uint32_t>(Next64() >> 32); }

  // Uniform in [0, n). REQUIRES: n > 0.
  uint64_t Uniform(uint64_t n) { return Next64() % n; }

  // True with probability 1/n. REQUIRES: n > 0.
  bool OneIn(uint64_t n) { return Uniform(n) == 0; }

  // Picks a bit width in [0, max_log] uniformly, then a value of that width:
  // small values are common and large ones still occur, which suits sizes in
  // tests.
  uint64_t Skewed(int max_log) {
    return Uniform(uint64_t{1} << Uniform(max_log + 1));
  }

  // len random bytes.
  std::string RandomBytes(size_t len) {
    std::string s(len, '\0');
    for (auto& c : s) c = static_cast<char>(Next() & 0xff);
    return s;
  }

 private:
  uint64_t state_;
};

}  // namespace kvs

#endif  // KVS_UTIL_RANDOM_H_
