// parley-transcript-to-rules TRANSCRIPT: prints a scripted-responder rules
// file that replays a recorded conversation (see transcript.h).
#include <iostream>

#include "core/base/file.h"
#include "plugins/scripted/transcript.h"

int main(int argc, char** argv) {
  if (argc != 2 || std::string(argv[1]) == "--help") {
    std::cerr << "usage: parley-transcript-to-rules TRANSCRIPT > RULES\n"
                 "Makes a parley.responder.scripted rules file from a "
                 "transcript written with record=PATH.\n";
    return argc == 2 ? 0 : 2;
  }
  parley::FileRules rules;
  rules.what = "transcript";
  rules.max_bytes = parley::scripted::kMaxTranscript;
  auto text = parley::ReadSmallFile(argv[1], rules);
  if (!text.ok()) {
    std::cerr << "parley-transcript-to-rules: " << text.status().message()
              << "\n";
    return 1;
  }
  auto t = parley::scripted::ParseTranscript(*text, argv[1]);
  if (!t.ok()) {
    std::cerr << "parley-transcript-to-rules: " << t.status().message() << "\n";
    return 1;
  }
  std::cout << parley::scripted::RulesFromTranscript(*t);
  return std::cout.good() ? 0 : 1;
}
