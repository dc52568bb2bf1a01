// Fuzz target for ChannelData parsing (RFC 8656 §12.4): any input either
// fails with a message or parses to a view inside the input that
// re-serialises to the same header and data.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "absl/types/span.h"
#include "stack/turn/turn_client.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::Span<const uint8_t> input(data, size);
  auto view = rtcsim::turn::ParseChannelData(input);
  if (!view.ok()) {
    if (view.status().message().empty()) std::abort();
    return 0;
  }
  if (view->channel < 0x4000 || view->channel > 0x4FFF) std::abort();
  if (!rtcsim::turn::LooksLikeChannelData(input)) std::abort();
  // The data lies inside the input, after the header, and at most 3
  // padding bytes follow it.
  if (view->data.data() != data + 4) std::abort();
  if (4 + view->data.size() > size || size - 4 - view->data.size() > 3) std::abort();
  std::vector<uint8_t> again = rtcsim::turn::MakeChannelData(view->channel, view->data);
  auto reparsed = rtcsim::turn::ParseChannelData(again);
  if (!reparsed.ok() || reparsed->channel != view->channel ||
      !std::equal(reparsed->data.begin(), reparsed->data.end(), view->data.begin(),
                  view->data.end())) {
    std::abort();
  }
  return 0;
}
