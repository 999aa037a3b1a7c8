// Runs one fuzz target's entry point (LLVMFuzzerTestOneInput, linked in from
// the target's library) over its committed seed corpus, and over deterministic
// mutations of each seed, so that the normal test suite exercises every fuzz
// target without libFuzzer.
//
// Usage: <test> CORPUS_DIR [MUTATIONS_PER_SEED]. A broken invariant aborts (see
// FUZZ_CHECK), which fails the test with the target's message.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "util/random.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::string g_corpus_dir;
int g_mutations = 0;

#if defined(KVS_TSAN) || defined(KVS_ASAN)
constexpr int kSanitizerDivisor = 4;
#else
constexpr int kSanitizerDivisor = 1;
#endif

std::vector<std::string> LoadCorpus() {
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(g_corpus_dir)) {
    paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<std::string> seeds;
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    seeds.emplace_back(std::istreambuf_iterator<char>(in),
                       std::istreambuf_iterator<char>());
  }
  return seeds;
}

void RunOne(const std::string& input) {
  // An exact-size heap copy, so AddressSanitizer catches reads past the end.
  std::unique_ptr<uint8_t[]> copy(new uint8_t[input.size()]);
  std::copy(input.begin(), input.end(), copy.get());
  LLVMFuzzerTestOneInput(copy.get(), input.size());
}

// One of the edits libFuzzer's mutator makes most often.
std::string Mutate(const std::string& seed, kvs::Random* rnd) {
  std::string s = seed;
  int edits = 1 + rnd->Uniform(4);
  for (int e = 0; e < edits; e++) {
    switch (rnd->Uniform(5)) {
      case 0:  // flip a bit
        if (!s.empty()) s[rnd->Uniform(s.size())] ^= 1 << rnd->Uniform(8);
        break;
      case 1:  // overwrite a byte
        if (!s.empty()) s[rnd->Uniform(s.size())] = rnd->Uniform(256);
        break;
      case 2:  // truncate
        if (!s.empty()) s.resize(rnd->Uniform(s.size()));
        break;
      case 3:  // insert bytes
        s.insert(s.begin() + rnd->Uniform(s.size() + 1), 1 + rnd->Uniform(8),
                 static_cast<char>(rnd->Uniform(256)));
        break;
      case 4:  // erase a run
        if (!s.empty()) {
          size_t at = rnd->Uniform(s.size());
          s.erase(at, 1 + rnd->Uniform(16));
        }
        break;
    }
  }
  return s;
}

TEST(CorpusReplay, EverySeedPasses) {
  std::vector<std::string> seeds = LoadCorpus();
  ASSERT_FALSE(seeds.empty()) << "no seeds in " << g_corpus_dir;
  for (const std::string& seed : seeds) RunOne(seed);
  std::printf("replayed %zu seeds from %s\n", seeds.size(),
              g_corpus_dir.c_str());
}

TEST(CorpusReplay, MutatedSeedsPass) {
  std::vector<std::string> seeds = LoadCorpus();
  kvs::Random rnd(301);
  const int per_seed = g_mutations / kSanitizerDivisor;
  for (const std::string& seed : seeds) {
    for (int i = 0; i < per_seed; i++) RunOne(Mutate(seed, &rnd));
  }
  std::printf("ran %zu mutated inputs\n", seeds.size() * per_seed);
}

TEST(CorpusReplay, EmptyAndTinyInputsPass) {
  RunOne("");
  for (int b = 0; b < 256; b++) RunOne(std::string(1, static_cast<char>(b)));
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [MUTATIONS_PER_SEED]\n",
                 argv[0]);
    return 2;
  }
  g_corpus_dir = argv[1];
  if (argc > 2) g_mutations = std::atoi(argv[2]);
  return RUN_ALL_TESTS();
}
