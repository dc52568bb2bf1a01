// Reads a scenario file (protobuf text format) and checks it before
// anything runs. Every error names the file, line and column:
//
//   scenarios/nat/bad.textproto:12:7: link "a-up": unknown node "nat-c"
//
// Syntax errors (an unknown field, a wrong type) come from the protobuf
// parser; the rest (names that do not resolve, a link to nowhere, negative
// delays, duplicate names, a tree that is not a tree) from the checks here.
// All errors found are reported, one per line, in file order.
#ifndef RTCSIM_SCENARIOS_RUNNER_SCENARIO_LOADER_H_
#define RTCSIM_SCENARIOS_RUNNER_SCENARIO_LOADER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"
#include "scenarios/runner/scenario_model.h"
#include "scenarios/scenario.pb.h"

namespace rtcsim::scenarios {

// Parses protobuf text format into `message`: every syntax error as a
// "file:line:col: message" line. `tree`, if given, receives the locations.
absl::Status ParseTextProto(absl::string_view text, absl::string_view file,
                            google::protobuf::Message* message,
                            google::protobuf::TextFormat::ParseInfoTree* tree = nullptr);

// `file` is only used in messages.
absl::StatusOr<Model> ParseScenarioText(absl::string_view text, absl::string_view file);
absl::StatusOr<Model> LoadScenarioFile(const std::string& path);

// For scenarios that were not read from text (a capture's embedded
// scenario, a shrunk one): the same checks, with element paths such as
// `topology.link[2]` instead of line numbers.
absl::StatusOr<Model> BuildModel(const scenario::Scenario& scenario, absl::string_view file);

}  // namespace rtcsim::scenarios

#endif  // RTCSIM_SCENARIOS_RUNNER_SCENARIO_LOADER_H_
