#include "tools/cli/fanout.h"

#include <cstdio>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/auth/kbdint.h"
#include "core/client/event_loop.h"

namespace parley::cli {

void Progress::Draw(size_t done, size_t running, size_t failed, size_t total) {
  if (!live_) return;
  constexpr size_t kWidth = 30;
  const size_t filled = total == 0 ? kWidth : done * kWidth / total;
  std::string bar(filled, '#');
  bar.append(kWidth - filled, '-');
  std::cerr << "\r\x1b[K[" << bar << "] " << done << "/" << total << " done, "
            << running << " running, " << failed << " failed" << std::flush;
  shown_ = true;
}

void Progress::Clear() {
  if (!live_ || !shown_) return;
  std::cerr << "\r\x1b[K" << std::flush;
  shown_ = false;
}

int RunFanout(std::vector<std::unique_ptr<HostRun>>& runs, size_t parallel,
              Progress& progress) {
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<client::EventLoop>> loop =
      client::EventLoop::New();
  if (!loop.ok()) {
    std::cerr << "parley: " << loop.status().message() << "\n";
    return 255;
  }
  size_t next = 0, running = 0, done = 0, failed = 0;
  const size_t total = runs.size();
  std::function<void()> start_more;
  auto finished = [&](HostRun& run) {
    --running;
    ++done;
    const HostResult& r = run.result();
    const std::string dest =
        auth::SanitizeForTerminal(run.destination().as_written);
    const double seconds = r.elapsed.count() / 1000.0;
    progress.Clear();
    if (r.kind == HostResult::Kind::kRan && r.error.empty()) {
      if (r.exit_status != 0) ++failed;
      std::cerr << absl::StrFormat("parley: %s: exit status %d (%.1f s)\n",
                                   dest, r.exit_status, seconds);
    } else {
      ++failed;
      std::cerr << absl::StrFormat("parley: %s: failed: %s (%.1f s)\n", dest,
                                   auth::SanitizeForTerminal(r.error), seconds);
    }
    start_more();
    progress.Draw(done, running, failed, total);
  };
  start_more = [&]() {
    while (running < parallel && next < total) {
      ++running;
      runs[next++]->Start(**loop, finished);
    }
  };
  start_more();
  progress.Draw(done, running, failed, total);
  absl::Status s = (*loop)->Run();
  progress.Clear();
  if (!s.ok()) std::cerr << "parley: " << s.message() << "\n";

  // The summary: every host, its status and time; failures with reasons.
  size_t ok = 0, nonzero = 0, unreachable = 0;
  int code = 0;
  for (const auto& run : runs) {
    const HostResult& r = run->result();
    if (!run->finished()) {
      unreachable++;
      code = 255;
      continue;
    }
    switch (r.kind) {
      case HostResult::Kind::kRan:
        if (r.exit_status == 0 && r.error.empty()) {
          ++ok;
        } else {
          ++nonzero;
          if (code == 0) code = 1;
        }
        break;
      case HostResult::Kind::kConnect:
      case HostResult::Kind::kAuth:
        ++unreachable;
        code = 255;
        break;
      case HostResult::Kind::kCommand:
        ++nonzero;
        if (code == 0) code = 1;
        break;
    }
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::cerr << absl::StrFormat(
      "parley: summary: %d hosts in %.1f s: %d ok, %d with a failed command, "
      "%d could not connect or log in\n",
      total, wall, ok, nonzero, unreachable);
  for (const auto& run : runs) {
    const HostResult& r = run->result();
    const std::string dest =
        auth::SanitizeForTerminal(run->destination().as_written);
    std::string what;
    if (!run->finished()) {
      what = "not finished";
    } else if (r.kind == HostResult::Kind::kRan && r.error.empty()) {
      what = absl::StrCat("exit ", r.exit_status);
    } else {
      const char* kind = r.kind == HostResult::Kind::kConnect ? "connect"
                         : r.kind == HostResult::Kind::kAuth  ? "login"
                                                              : "command";
      what = absl::StrCat("FAILED (", kind,
                          "): ", auth::SanitizeForTerminal(r.error));
    }
    std::cerr << absl::StrFormat("  %-30s %6.1f s  %s\n", dest,
                                 r.elapsed.count() / 1000.0, what);
  }
  return code;
}

}  // namespace parley::cli
