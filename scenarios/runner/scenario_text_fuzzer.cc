// Fuzz target for scenario files: any input either loads, or fails with a
// message that names the file; a scenario that loads prints back to text
// that loads again to the same model.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/text_format.h"
#include "scenarios/runner/scenario_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto model = rtcsim::scenarios::ParseScenarioText(text, "fuzz.textproto");
  if (!model.ok()) {
    if (!absl::StartsWith(model.status().message(), "fuzz.textproto")) std::abort();
    return 0;
  }
  std::string printed;
  if (!google::protobuf::TextFormat::PrintToString(model->source, &printed)) std::abort();
  auto again = rtcsim::scenarios::ParseScenarioText(printed, "printed.textproto");
  if (!again.ok()) std::abort();
  if (again->nodes.size() != model->nodes.size() || again->peers.size() != model->peers.size() ||
      again->calls.size() != model->calls.size() || again->events.size() != model->events.size()) {
    std::abort();
  }
  return 0;
}
