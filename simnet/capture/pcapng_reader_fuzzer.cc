// Fuzz target for ReadPcapng: any input either reads or fails with a message
// naming an offset; whatever reads must have consistent UDP datagrams.
#include <cstdint>
#include <cstdlib>

#include "simnet/capture/pcapng_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto read = rtcsim::simnet::ReadPcapng(absl::MakeConstSpan(data, size));
  if (!read.ok()) {
    if (read.status().message().find("offset") == absl::string_view::npos) std::abort();
    return 0;
  }
  for (const auto& d : *read) {
    if (d.src.family() != d.dst.family()) std::abort();
    if (d.payload.size() > size) std::abort();
  }
  return 0;
}
