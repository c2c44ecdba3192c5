// known_hosts pattern matching: the cost of looking a long host name up in a
// file of wildcard patterns shaped to make backtracking matchers slow
// ("*a*a*...*a*b" against "aaa...a"), for Parley's matcher and, in the same
// run, for the greedy one-backtrack matcher it replaced (the reference).
//
//   bazel run -c opt //tools/bench:known_hosts [-- --lines=100 --name=1000]
//
// Figures are process CPU time per lookup of the name in every line.
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "core/hostkeys/known_hosts.h"

namespace parley::hostkeys {
namespace {

double CpuNow() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// The matcher before the hardening issue: greedy with one backtrack point,
// O(|pattern| * |name|).
bool BacktrackingMatch(absl::string_view pattern, absl::string_view name) {
  size_t p = 0, n = 0;
  size_t star = absl::string_view::npos, star_n = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_n = n;
    } else if (p < pattern.size() &&
               (pattern[p] == '?' || absl::ascii_tolower(pattern[p]) ==
                                         absl::ascii_tolower(name[n]))) {
      ++p;
      ++n;
    } else if (star != absl::string_view::npos) {
      p = star + 1;
      n = ++star_n;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

template <typename Match>
double SecondsPerLookup(const std::vector<std::vector<std::string>>& lines,
                        const std::string& name, Match match) {
  long lookups = 0;
  size_t matched = 0;
  const double start = CpuNow();
  double elapsed = 0;
  while (elapsed < 0.3 || lookups < 3) {
    for (const auto& line : lines) {
      for (const std::string& p : line) matched += match(p, name);
    }
    ++lookups;
    elapsed = CpuNow() - start;
  }
  if (matched != 0) {
    std::fprintf(stderr, "a pattern matched: the benchmark is wrong\n");
    std::exit(1);
  }
  return elapsed / lookups;
}

int Main(int argc, char** argv) {
  size_t lines_count = 100, name_size = 1000, per_line = 16;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--lines=", 8) == 0) {
      lines_count = std::strtoul(argv[i] + 8, nullptr, 10);
    } else if (std::strncmp(argv[i], "--name=", 7) == 0) {
      name_size = std::strtoul(argv[i] + 7, nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: %s [--lines=N] [--name=N]\n", argv[0]);
      return 2;
    }
  }
  std::string pattern;
  for (int i = 0; i < 16; ++i) pattern += "*a";
  pattern += "*b";
  const std::vector<std::vector<std::string>> lines(
      lines_count, std::vector<std::string>(per_line, pattern));
  const std::string name(name_size, 'a');

  const double parley = SecondsPerLookup(
      lines, name, [](const std::string& p, const std::string& n) {
        return WildcardMatch(p, n);
      });
  const double reference = SecondsPerLookup(
      lines, name, [](const std::string& p, const std::string& n) {
        return BacktrackingMatch(p, n);
      });
  std::printf(
      "known_hosts lookup, %zu lines x %zu patterns \"%s\", %zu-byte name\n",
      lines_count, per_line, pattern.c_str(), name_size);
  std::printf("  parley WildcardMatch        %10.1f us per lookup\n",
              parley * 1e6);
  std::printf("  one-backtrack (reference)   %10.1f us per lookup\n",
              reference * 1e6);
  std::printf("  ratio reference/parley      %10.1f\n", reference / parley);
  return 0;
}

}  // namespace
}  // namespace parley::hostkeys

int main(int argc, char** argv) { return parley::hostkeys::Main(argc, argv); }
