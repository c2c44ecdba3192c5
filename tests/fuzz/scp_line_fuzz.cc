// SCP control lines from a remote scp (core/transfer/scp_protocol.h).
#include <string>

#include "core/transfer/scp_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string line(reinterpret_cast<const char*>(data), size);
  auto parsed = parley::transfer::ParseScpLine(line);
  if (parsed.ok() && parsed->kind == parley::transfer::ScpLine::kFile) {
    (void)parley::transfer::FormatScpFile(parsed->mode, parsed->size,
                                          parsed->name);
  }
  return 0;
}
