// The regression driver of the fuzz targets in the ordinary suite (the
// libFuzzer build of the same targets is tools/fuzz): every seed of the
// target's corpus, then a fixed number of deterministic mutations of them
// (bit flips, interesting bytes, insertions, deletions, duplicated and
// spliced ranges, truncation), each run through LLVMFuzzerTestOneInput
// under whatever sanitizer the build has. Any crash, sanitizer report or
// hang (Bazel's timeout) fails the test.
//
//   fuzz_main CORPUS_DIR            PARLEY_FUZZ_ITERATIONS (default 20000)
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

using Input = std::vector<uint8_t>;

void Run(const Input& in) {
  // A copy of exactly the input's size, so that ASan sees overreads.
  uint8_t* copy = new uint8_t[in.size() + 1];
  if (!in.empty()) std::copy(in.begin(), in.end(), copy);
  LLVMFuzzerTestOneInput(copy, in.size());
  delete[] copy;
}

Input Mutate(const std::vector<Input>& seeds, std::mt19937_64& rng) {
  auto pick = [&rng](size_t n) {
    return n == 0 ? 0 : static_cast<size_t>(rng() % n);
  };
  Input out = seeds[pick(seeds.size())];
  const int rounds = 1 + static_cast<int>(pick(4));
  static const uint8_t kInteresting[] = {0x00, 0x01, 0x7f, 0x80, 0xff,
                                         '\n', '"',  '#',  '=',  '%'};
  for (int r = 0; r < rounds; ++r) {
    switch (pick(8)) {
      case 0:  // flip a bit
        if (!out.empty()) out[pick(out.size())] ^= 1u << pick(8);
        break;
      case 1:  // an interesting byte
        if (!out.empty()) {
          out[pick(out.size())] = kInteresting[pick(sizeof(kInteresting))];
        }
        break;
      case 2: {  // insert random bytes
        const size_t at = pick(out.size() + 1);
        Input add(1 + pick(16));
        for (auto& b : add) b = static_cast<uint8_t>(rng());
        out.insert(out.begin() + at, add.begin(), add.end());
        break;
      }
      case 3: {  // delete a range
        if (out.empty()) break;
        const size_t at = pick(out.size());
        const size_t n = 1 + pick(std::min<size_t>(out.size() - at, 32));
        out.erase(out.begin() + at, out.begin() + at + n);
        break;
      }
      case 4: {  // duplicate a range
        if (out.empty() || out.size() > 65536) break;
        const size_t at = pick(out.size());
        const size_t n = 1 + pick(std::min<size_t>(out.size() - at, 64));
        Input part(out.begin() + at, out.begin() + at + n);
        const size_t to = pick(out.size() + 1);
        out.insert(out.begin() + to, part.begin(), part.end());
        break;
      }
      case 5: {  // splice another seed's tail
        const Input& other = seeds[pick(seeds.size())];
        const size_t at = pick(out.size() + 1);
        const size_t from = pick(other.size() + 1);
        out.resize(at);
        out.insert(out.end(), other.begin() + from, other.end());
        break;
      }
      case 6:  // truncate
        out.resize(pick(out.size() + 1));
        break;
      case 7: {  // a big-endian length field set to an edge value
        if (out.size() < 4) break;
        const size_t at = pick(out.size() - 3);
        static const uint32_t kLengths[] = {0,          1,          0x7fffffff,
                                            0xffffffff, 0x00010000, 0x40000};
        const uint32_t v = kLengths[pick(6)];
        for (int i = 0; i < 4; ++i) out[at + i] = uint8_t(v >> (24 - 8 * i));
        break;
      }
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(argv[1])) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<Input> seeds;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    seeds.emplace_back(std::istreambuf_iterator<char>(in),
                       std::istreambuf_iterator<char>());
  }
  if (seeds.empty()) {
    std::fprintf(stderr, "no seeds in %s\n", argv[1]);
    return 1;
  }
  for (const Input& s : seeds) Run(s);
  long iterations = 20000;
  if (const char* n = std::getenv("PARLEY_FUZZ_ITERATIONS")) {
    iterations = std::atol(n);
  }
  std::mt19937_64 rng(0x9a41e7);
  for (long i = 0; i < iterations; ++i) Run(Mutate(seeds, rng));
  std::printf("%zu seeds and %ld mutated inputs ran\n", seeds.size(),
              iterations);
  return 0;
}
