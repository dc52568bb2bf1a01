// Runs a libFuzzer-style target (LLVMFuzzerTestOneInput) over a corpus and
// over deterministic mutations of it, for plain builds without libFuzzer.
// Usage: <binary> MUTATIONS CORPUS_FILE_OR_DIR...
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "stack/env/random.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<std::vector<uint8_t>> LoadCorpus(const std::filesystem::path& root) {
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(root)) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
      if (e.is_regular_file()) files.push_back(e.path());
    }
  } else {
    files.push_back(root);
  }
  std::sort(files.begin(), files.end());  // directory order is not stable
  std::vector<std::vector<uint8_t>> corpus;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    corpus.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return corpus;
}

// Byte flips, truncation, insertion, splicing: enough to reach the error
// paths a hand-written corpus misses.
std::vector<uint8_t> Mutate(const std::vector<std::vector<uint8_t>>& corpus, rtcsim::Random& rng) {
  std::vector<uint8_t> v = corpus[rng.Uniform(corpus.size())];
  const int edits = 1 + static_cast<int>(rng.Uniform(4));
  for (int i = 0; i < edits; ++i) {
    switch (rng.Uniform(5)) {
      case 0:
        if (!v.empty()) v[rng.Uniform(v.size())] ^= static_cast<uint8_t>(1 + rng.Uniform(255));
        break;
      case 1:
        if (!v.empty()) v.resize(rng.Uniform(v.size()));
        break;
      case 2:
        v.insert(v.begin() + rng.Uniform(v.size() + 1), static_cast<uint8_t>(rng.Uniform(256)));
        break;
      case 3: {
        const auto& other = corpus[rng.Uniform(corpus.size())];
        if (!other.empty()) {
          size_t from = rng.Uniform(other.size());
          v.insert(v.begin() + rng.Uniform(v.size() + 1), other.begin() + from, other.end());
        }
        break;
      }
      case 4:
        if (!v.empty()) v[rng.Uniform(v.size())] = static_cast<uint8_t>(rng.Uniform(256));
        break;
    }
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  char* end = nullptr;
  const long mutations = argc > 2 ? std::strtol(argv[1], &end, 10) : -1;
  if (argc < 3 || *end != '\0' || mutations < 0) {
    std::fprintf(stderr, "usage: %s MUTATIONS CORPUS_FILE_OR_DIR...\n", argv[0]);
    return 2;
  }
  std::vector<std::vector<uint8_t>> corpus;
  for (int i = 2; i < argc; ++i) {
    auto part = LoadCorpus(argv[i]);
    corpus.insert(corpus.end(), part.begin(), part.end());
  }
  if (corpus.empty()) {
    std::fprintf(stderr, "empty corpus\n");
    return 1;
  }
  for (const auto& input : corpus) LLVMFuzzerTestOneInput(input.data(), input.size());
  rtcsim::Random rng(0x5eed);
  for (long i = 0; i < mutations; ++i) {
    std::vector<uint8_t> input = Mutate(corpus, rng);
    LLVMFuzzerTestOneInput(input.data(), input.size());
  }
  std::printf("%zu corpus inputs and %ld mutations ran cleanly\n", corpus.size(), mutations);
  return 0;
}
