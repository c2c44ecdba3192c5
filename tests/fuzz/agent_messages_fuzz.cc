// ssh-agent answers (core/agent/protocol.h).
#include "core/agent/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const parley::ByteView in(data, size);
  (void)parley::agent::ParseIdentitiesAnswer(in);
  (void)parley::agent::ParseSignResponse(in);
  return 0;
}
