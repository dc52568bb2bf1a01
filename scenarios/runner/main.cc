// rtcsim_scenario: the scenario runner's command line (./rtcsim run, sweep,
// replay, shrink call it).
//
//   run FILE [--seed N] [--out DIR] [--duration T]
//       one run: the summary on stdout, files under DIR.
//   check FILE [--seed N] [--out DIR] [--expect_failure TEXT]
//       what a scenario test does: the run twice, each in a fresh process;
//       the trace hashes must match and the expectations pass (or, with
//       --expect_failure, fail with a message containing TEXT).
//
// Exit status: 0 passed, 1 an expectation failed (or the hashes differ),
// 2 bad input (a flag or the scenario file).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "scenarios/runner/scenario_loader.h"
#include "scenarios/runner/scenario_runner.h"
#include "simnet/testing/fresh_process.h"

ABSL_FLAG(std::string, seed, "", "simulation seed (default: the scenario's own)");
ABSL_FLAG(std::string, out, "",
          "directory for captures, trace, metrics, summary.json, report.html");
ABSL_FLAG(std::string, duration, "",
          "virtual time to run at most, e.g. 45s or 1500ms (default: the scenario's)");
ABSL_FLAG(std::string, expect_failure, "",
          "check: the scenario must fail, with a failure message containing this text");
ABSL_FLAG(bool, progress, true, "run: a progress line on stderr every 10 s of virtual time");

namespace rtcsim::scenarios {
namespace {

constexpr int kUsage = 2;

int Usage(const std::string& message) {
  std::fprintf(stderr, "rtcsim_scenario: %s\n(see --help)\n", message.c_str());
  return kUsage;
}

// Relative paths are relative to where the user ran the command, also under
// `bazel run` (which starts the binary in its runfiles tree).
std::string UserPath(const std::string& path) {
  const char* dir = std::getenv("BUILD_WORKING_DIRECTORY");
  if (dir == nullptr || path.empty() || path[0] == '/') return path;
  return absl::StrCat(dir, "/", path);
}

absl::StatusOr<RunOptions> OptionsFromFlags() {
  RunOptions o;
  const std::string seed = absl::GetFlag(FLAGS_seed);
  if (!seed.empty()) {
    uint64_t v;
    if (!absl::SimpleAtoi(seed, &v)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--seed must be a non-negative integer, got \"", seed, "\""));
    }
    o.seed = v;
  }
  const std::string duration = absl::GetFlag(FLAGS_duration);
  if (!duration.empty()) {
    absl::Duration d;
    if (!absl::ParseDuration(duration, &d) || d <= absl::ZeroDuration() || d > absl::Hours(24)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--duration must be a positive duration up to 24h such as 45s or 1500ms, got \"",
          duration, "\""));
    }
    o.duration = TimeDelta::Micros(absl::ToInt64Microseconds(d));
  }
  o.out_dir = UserPath(absl::GetFlag(FLAGS_out));
  return o;
}

int Run(const std::string& file) {
  auto model = LoadScenarioFile(UserPath(file));
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", std::string(model.status().message()).c_str());
    return kUsage;
  }
  auto options = OptionsFromFlags();
  if (!options.ok()) return Usage(std::string(options.status().message()));
  if (absl::GetFlag(FLAGS_progress)) options->progress_interval = TimeDelta::Seconds(10);
  std::fprintf(stderr, "rtcsim run: %s, %zu peers, %zu calls, seed %llu\n", model->name.c_str(),
               model->peers.size(), model->calls.size(),
               static_cast<unsigned long long>(options->seed.value_or(model->seed)));
  auto result = RunScenario(*model, *options);
  if (!result.ok()) {
    std::fprintf(stderr, "rtcsim run: %s\n", std::string(result.status().message()).c_str());
    return kUsage;
  }
  std::fputs(result->Summary().c_str(), stdout);
  if (!options->out_dir.empty()) {
    std::printf("  outputs in %s/: %s\n", options->out_dir.c_str(),
                absl::StrJoin(result->files, " ").c_str());
  }
  for (const std::string& f : result->Failures()) std::fprintf(stderr, "FAILED %s\n", f.c_str());
  return result->passed ? 0 : 1;
}

// One run in a fresh process: "hash\npassed\nfailure lines...\n--\nsummary".
std::string RunForCheck(const Model& model, const RunOptions& options) {
  auto result = RunScenario(model, options);
  if (!result.ok()) return absl::StrCat("error\n0\n", result.status().message(), "\n--\n");
  return absl::StrCat(result->trace_hash, "\n", result->passed ? 1 : 0, "\n",
                      absl::StrJoin(result->Failures(), "\n"), "\n--\n", result->Summary());
}

int Check(const std::string& file) {
  auto model = LoadScenarioFile(file);
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", std::string(model.status().message()).c_str());
    return kUsage;
  }
  auto options = OptionsFromFlags();
  if (!options.ok()) return Usage(std::string(options.status().message()));
  const std::string expect_failure = absl::GetFlag(FLAGS_expect_failure);
  std::string hashes[2];
  std::string failures, summary;
  bool passed = false;
  for (int i = 0; i < 2; ++i) {
    RunOptions o = *options;
    if (i == 1) o.out_dir.clear();  // the second run only recomputes the hash
    auto out = simnet::RunInFreshProcess([&] { return RunForCheck(*model, o); });
    if (!out.ok()) {
      std::fprintf(stderr, "run %d of %s: %s\n", i + 1, file.c_str(),
                   std::string(out.status().message()).c_str());
      return 1;
    }
    const size_t split = out->find("\n--\n");
    std::vector<std::string> head = absl::StrSplit(out->substr(0, split), '\n');
    hashes[i] = head[0];
    if (i == 0) {
      passed = head.size() > 1 && head[1] == "1";
      failures = absl::StrJoin(head.begin() + std::min<size_t>(2, head.size()), head.end(), "\n");
      summary = split == std::string::npos ? "" : out->substr(split + 4);
      std::fputs(summary.c_str(), stdout);
    }
  }
  std::printf("determinism: run 1 trace hash %s, run 2 %s: %s\n", hashes[0].c_str(),
              hashes[1].c_str(), hashes[0] == hashes[1] ? "same" : "DIFFERENT");
  if (hashes[0] == "error") {
    std::fprintf(stderr, "%s\n", failures.c_str());
    return kUsage;
  }
  if (hashes[0] != hashes[1]) {
    std::fprintf(stderr, "FAILED: the same scenario and seed gave two trace hashes\n");
    return 1;
  }
  if (!expect_failure.empty()) {
    if (passed) {
      std::fprintf(stderr, "FAILED: the scenario was meant to fail but passed\n");
      return 1;
    }
    if (!absl::StrContains(failures, expect_failure)) {
      std::fprintf(stderr, "FAILED: the scenario failed, but not with \"%s\":\n%s\n",
                   expect_failure.c_str(), failures.c_str());
      return 1;
    }
    std::printf("failed as expected:\n%s\n", failures.c_str());
    return 0;
  }
  if (!passed) {
    std::fprintf(stderr, "FAILED:\n%s\n", failures.c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace rtcsim::scenarios

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Runs rtcsim scenario files (scenarios/scenario.proto, protobuf text format).\n"
      "  rtcsim_scenario run FILE [--seed N] [--out DIR] [--duration T]\n"
      "  rtcsim_scenario check FILE [--seed N] [--out DIR] [--expect_failure TEXT]");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2) return rtcsim::scenarios::Usage("a verb is needed: run or check");
  const std::string verb = args[1];
  if (verb == "run" || verb == "check") {
    if (args.size() != 3) {
      return rtcsim::scenarios::Usage(absl::StrCat(verb, " takes exactly one scenario file"));
    }
    return verb == "run" ? rtcsim::scenarios::Run(args[2]) : rtcsim::scenarios::Check(args[2]);
  }
  return rtcsim::scenarios::Usage(absl::StrCat("unknown verb \"", verb, "\" (run or check)"));
}
