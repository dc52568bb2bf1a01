// Seed sweeps: the same scenario over a range of seeds, each run in its own
// forked child (usrsctp keeps process-wide state, so one simulation per
// process), up to `jobs` children at once. Results are reported in seed
// order whatever order the children finish in, so a sweep's outputs are
// deterministic (apart from wall times).
#ifndef RTCSIM_SCENARIOS_RUNNER_SWEEP_H_
#define RTCSIM_SCENARIOS_RUNNER_SWEEP_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "scenarios/runner/scenario_model.h"
#include "scenarios/runner/scenario_runner.h"
#include "scenarios/scenario.pb.h"

namespace rtcsim::scenarios {

inline constexpr uint64_t kMaxSweepSeeds = 100000;
inline constexpr int kMaxJobs = 64;

struct SeedRange {
  uint64_t first = 0;
  uint64_t last = 0;
  uint64_t size() const { return last - first + 1; }
};

// "A-B" (or a single "A"): A <= B and at most kMaxSweepSeeds seeds.
absl::StatusOr<SeedRange> ParseSeedRange(absl::string_view text);

// --jobs: empty gives the number of CPUs (capped at kMaxJobs); else 1..kMaxJobs.
absl::StatusOr<int> ParseJobs(absl::string_view text);

// One run, as a child reports it to its parent.
struct RunOutcome {
  uint64_t seed = 0;
  std::string error;  // the run did not complete (RunScenario error, crash)
  bool passed = false;
  std::string trace_hash;
  // Per failed expectation: the full line (ScenarioResult::Failures()), the
  // key failures are grouped by ("expect[3] b: messages on \"x\" ..."; the
  // expectation as written, without what was observed) and the bare text
  // ("b: messages ..."), which stays the same while a scenario is shrunk.
  std::vector<std::string> failures;
  std::vector<std::string> failure_keys;
  std::vector<std::string> failure_texts;
  std::string summary;  // ScenarioResult::Summary()
};

RunOutcome OutcomeOf(uint64_t seed, const absl::StatusOr<ScenarioResult>& result);
std::string EncodeOutcome(const RunOutcome& outcome);
absl::StatusOr<RunOutcome> DecodeOutcome(absl::string_view data);

// One run of `model` in a fresh process (the seed: options.seed or the
// model's); a crash of the child becomes an outcome with `error` set.
RunOutcome RunOutcomeInFreshProcess(const Model& model, const RunOptions& options);

// Runs job(0) .. job(count-1), each in a forked child, at most `jobs` at a
// time; the children's returned strings, by index. A child that crashes or
// exits non-zero gives an error. `on_done(index, result, finished_so_far)`
// runs in the parent as each child is reaped.
std::vector<absl::StatusOr<std::string>> RunInFreshProcesses(
    int count, int jobs, const std::function<std::string(int)>& job,
    const std::function<void(int, const absl::StatusOr<std::string>&, int)>& on_done = nullptr);

// The progress bar: "[#######.............] 350/1000 seeds  12 failed  41 s".
std::string ProgressLine(uint64_t done, uint64_t total, uint64_t failed, double elapsed_s);

// Reports over the outcomes (in seed order).
std::string SweepTable(absl::string_view scenario_name, const SeedRange& seeds, int jobs,
                       const std::vector<RunOutcome>& outcomes, double wall_s);
std::string SweepJson(absl::string_view scenario_name, absl::string_view file,
                      const SeedRange& seeds, const std::vector<RunOutcome>& outcomes);
std::string SweepCsv(const std::vector<RunOutcome>& outcomes);

// The capture of one run of `model` (its source scenario embedded).
scenario::ReplayCapture CaptureOf(const Model& model, const RunOutcome& outcome,
                                  double duration_override_s);

}  // namespace rtcsim::scenarios

#endif  // RTCSIM_SCENARIOS_RUNNER_SWEEP_H_
