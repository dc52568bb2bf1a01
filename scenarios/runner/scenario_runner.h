// Runs a loaded scenario on simnet: builds the network and its servers,
// starts each call as a pair of PeerConnections at its time, signals
// between them, drives the data-channel traffic, applies the timeline and
// evaluates the expectations at the end.
//
// One run per process: usrsctp keeps process-wide state, so a second run
// in the same process gives another trace hash (callers that compare runs
// fork: rtcsim_scenario check, sweep, replay and shrink; see main.cc).
#ifndef RTCSIM_SCENARIOS_RUNNER_SCENARIO_RUNNER_H_
#define RTCSIM_SCENARIOS_RUNNER_SCENARIO_RUNNER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "scenarios/report/report.h"
#include "scenarios/runner/scenario_model.h"
#include "stack/env/time.h"

namespace rtcsim::scenarios {

struct RunOptions {
  std::optional<uint64_t> seed;       // default: the scenario's
  std::optional<TimeDelta> duration;  // default: the scenario's
  std::string out_dir;                // empty: write nothing
  // A progress line on stderr every this much virtual time (0: none).
  TimeDelta progress_interval = TimeDelta::Zero();
};

// One PeerConnection: one side of one call.
struct PcResult {
  std::string peer;
  std::string call;
  bool offerer = false;
  // connectionState changes, from the call's start.
  std::vector<std::pair<TimeDelta, std::string>> states;
  std::optional<TimeDelta> connected_after;  // first "connected"
  std::optional<TimeDelta> failed_after;     // first "failed"
  std::string final_state;
  std::string local_type, remote_type;  // selected pair at the end ("" if none)
  std::string selected_pair;            // "srflx 203.0.113.10:1024 <-> relay ..."
  TimeDelta rtt = TimeDelta::Zero();
  uint64_t sctp_retransmissions = 0;
  uint64_t ice_restarts = 0;
};

// Messages one peer received on one label, summed over its calls.
struct ChannelTally {
  uint64_t sent_to_me = 0;  // messages the far ends sent
  uint64_t received = 0;    // distinct
  uint64_t lost() const { return sent_to_me > received ? sent_to_me - received : 0; }
  uint64_t bytes = 0;
  std::vector<int64_t> latencies_us;  // one per distinct message
};

struct PeerResult {
  std::string name;
  std::map<std::string, ChannelTally> channels;  // by label
};

struct ExpectationResult {
  int index = -1;  // expect[index]; -1 for the implicit "no unexpected errors"
  int line = 0;
  std::string text;
  bool passed = false;
  std::string detail;  // observed values; for a failure, who and what
};

struct ScenarioResult {
  std::string name;
  std::string file;
  uint64_t seed = 0;
  bool passed = false;
  std::string trace_hash;
  uint64_t trace_events = 0;
  TimeDelta virtual_time = TimeDelta::Zero();
  double wall_seconds = 0;
  std::vector<PcResult> pcs;
  std::vector<PeerResult> peers;
  std::vector<ExpectationResult> expectations;
  std::vector<std::string> errors;
  std::vector<std::string> files;  // under out_dir
  ReportData report;

  std::vector<std::string> Failures() const;  // one line per failed expectation
  std::string Summary() const;                // for people
  std::string Json() const;                   // summary.json
};

absl::StatusOr<ScenarioResult> RunScenario(const Model& model, const RunOptions& options);

// Percentile by nearest rank over `values` (sorted in place); 0 if empty.
int64_t Percentile(std::vector<int64_t>& values, double percentile);

}  // namespace rtcsim::scenarios

#endif  // RTCSIM_SCENARIOS_RUNNER_SCENARIO_RUNNER_H_
