// Shrinking a failing scenario (delta debugging, greedy): try one reduction
// at a time (remove a peer, a call, a timeline event, a passing
// expectation, a data channel; halve a group's size, a channel's message
// count, the duration) and keep it when the scenario still fails the same
// way, until no reduction is kept. Whether it "still fails" is the caller's
// predicate (the command line runs the candidate in a fresh process with
// the capture's seed), so the algorithm is tested without simulations.
#ifndef RTCSIM_SCENARIOS_RUNNER_SHRINK_H_
#define RTCSIM_SCENARIOS_RUNNER_SHRINK_H_

#include <functional>
#include <string>

#include "scenarios/scenario.pb.h"

namespace rtcsim::scenarios {

struct ShrinkOptions {
  // Predicate calls at most (the starting scenario is not one of them).
  int max_runs = 200;
  // After each kept reduction: what it was ("removed call[2]"), the
  // scenario now and the number of predicate calls so far.
  std::function<void(const std::string& step, const scenario::Scenario& now, int runs)> on_step;
};

struct ShrinkResult {
  scenario::Scenario scenario;  // the smallest still failing
  int runs = 0;                 // predicate calls
  int steps = 0;                // reductions kept
  int skipped = 0;              // candidates BuildModel refused
  bool out_of_runs = false;     // stopped at max_runs
};

// `still_fails` is only asked about candidates that pass BuildModel (the
// others are skipped); `scenario` itself is assumed to fail. The result is
// `scenario` or a reduction of it that passes BuildModel and still fails.
ShrinkResult Shrink(const scenario::Scenario& scenario,
                    const std::function<bool(const scenario::Scenario&)>& still_fails,
                    const ShrinkOptions& options = {});

// "3 peers, 2 calls, 1 events, 1200 messages, 20 s": peers count group
// members, calls count call entries; messages is the sum over peers
// (members) and their channels of traffic.count, doubled for
// both_directions (the messages of one call each peer is in).
std::string ScenarioSize(const scenario::Scenario& scenario);

}  // namespace rtcsim::scenarios

#endif  // RTCSIM_SCENARIOS_RUNNER_SHRINK_H_
