// Fuzz target for the DCEP parser: any input must parse or fail cleanly, and
// whatever parses must serialise back to the same bytes (the format has no
// optional encodings, RFC 8832 §5).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <variant>

#include "stack/sctp/dcep_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::Span<const uint8_t> input(data, size);
  auto parsed = rtcsim::sctp::ParseDcepMessage(input);
  if (!parsed.ok()) return 0;
  if (const auto* open = std::get_if<rtcsim::sctp::DcepOpen>(&*parsed)) {
    auto bytes = rtcsim::sctp::SerializeDcepOpen(*open);
    if (!bytes.ok() || absl::Span<const uint8_t>(*bytes) != input) std::abort();
  } else if (rtcsim::sctp::SerializeDcepAck() != std::vector<uint8_t>(input.begin(), input.end())) {
    std::abort();
  }
  return 0;
}
