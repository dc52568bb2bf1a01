// Fuzz target for candidate lines (RFC 8839 §5.1): any input either fails
// with a message, or parses to a candidate whose serialisation parses back to
// the same candidate and serialises to the same bytes (a fixed point).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "stack/ice/candidate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto c = rtcsim::ice::ParseCandidate(text);
  if (!c.ok()) {
    if (c.status().message().empty()) std::abort();
    return 0;
  }
  const std::string line = rtcsim::ice::SerializeCandidate(*c);
  auto again = rtcsim::ice::ParseCandidate(line);
  if (!again.ok() || !(*again == *c)) std::abort();
  if (rtcsim::ice::SerializeCandidate(*again) != line) std::abort();
  return 0;
}
