// rtcsim_scenario: the scenario runner's command line (./rtcsim run, sweep,
// replay, shrink call it).
//
//   run FILE [--seed N] [--out DIR] [--duration T]
//       one run: the summary on stdout, files under DIR.
//   check FILE [--seed N] [--out DIR] [--expect_failure TEXT]
//       what a scenario test does: the run twice, each in a fresh process;
//       the trace hashes must match and the expectations pass (or, with
//       --expect_failure, fail with a message containing TEXT, or the file
//       be refused with such a message).
//   sweep FILE --seeds A-B [--jobs N] [--out DIR] [--duration T]
//       every seed of A..B, each run in a forked child, N at a time; a
//       pass/fail table, DIR/sweep.json, DIR/sweep.csv and a replay capture
//       DIR/failures/seed-<N>.capture.textproto per failing seed (DIR
//       default rtcsim-out/sweep-<scenario name>).
//   replay CAPTURE [--out DIR]
//       reruns a capture (its seed and duration, in a fresh process) and
//       compares the trace hash: exit 0 reproduced, 1 different.
//   shrink CAPTURE [--out FILE] [--max-runs N]
//       reduces the capture's scenario while it fails the same way; writes
//       FILE (default: CAPTURE's *.capture.textproto → *.shrunk.textproto),
//       a plain scenario `run` reproduces, and FILE's capture beside it.
//
// Exit status: 0 passed, 1 an expectation failed (or the hashes differ),
// 2 bad input (a flag, the scenario or capture file).
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "google/protobuf/text_format.h"
#include "scenarios/runner/capture_file.h"
#include "scenarios/runner/scenario_loader.h"
#include "scenarios/runner/scenario_runner.h"
#include "scenarios/runner/shrink.h"
#include "scenarios/runner/sweep.h"
#include "simnet/testing/fresh_process.h"

ABSL_FLAG(std::string, seed, "", "simulation seed (default: the scenario's own)");
ABSL_FLAG(std::string, out, "",
          "directory for captures, trace, metrics, summary.json, report.html");
ABSL_FLAG(std::string, duration, "",
          "virtual time to run at most, e.g. 45s or 1500ms (default: the scenario's)");
ABSL_FLAG(std::string, expect_failure, "",
          "check: the scenario must fail, with a failure message containing this text");
ABSL_FLAG(bool, progress, true,
          "run: a progress line on stderr every 10 s of virtual time; sweep: the progress bar");
ABSL_FLAG(std::string, seeds, "", "sweep: the seeds to run, A-B (at most 100000)");
ABSL_FLAG(std::string, jobs, "", "sweep: runs at once, 1..64 (default: the number of CPUs)");
ABSL_FLAG(int, max_runs, 200, "shrink: candidate runs at most");

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
  const std::string expect_failure = absl::GetFlag(FLAGS_expect_failure);
  auto model = LoadScenarioFile(UserPath(file));
  if (!model.ok()) {
    const std::string message(model.status().message());
    std::fprintf(stderr, "%s\n", message.c_str());
    // A file meant to be refused (a bad-input test) passes when it is,
    // with the expected message.
    if (!expect_failure.empty() && absl::StrContains(message, expect_failure)) {
      std::printf("refused as expected:\n%s\n", message.c_str());
      return 0;
    }
    return kUsage;
  }
  auto options = OptionsFromFlags();
  if (!options.ok()) return Usage(std::string(options.status().message()));
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

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

int Sweep(const std::string& file) {
  auto model = LoadScenarioFile(UserPath(file));
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", std::string(model.status().message()).c_str());
    return kUsage;
  }
  if (absl::GetFlag(FLAGS_seeds).empty()) return Usage("sweep needs --seeds A-B (e.g. 1-1000)");
  if (!absl::GetFlag(FLAGS_seed).empty()) return Usage("sweep takes --seeds A-B, not --seed");
  auto seeds = ParseSeedRange(absl::GetFlag(FLAGS_seeds));
  if (!seeds.ok()) return Usage(std::string(seeds.status().message()));
  auto jobs = ParseJobs(absl::GetFlag(FLAGS_jobs));
  if (!jobs.ok()) return Usage(std::string(jobs.status().message()));
  auto options = OptionsFromFlags();
  if (!options.ok()) return Usage(std::string(options.status().message()));
  const double duration_override_s =
      options->duration.has_value() ? options->duration->us() / 1e6 : 0;
  std::string dir = options->out_dir;
  if (dir.empty()) dir = UserPath(absl::StrCat("rtcsim-out/sweep-", model->name));
  options->out_dir.clear();  // the runs themselves write nothing

  const uint64_t total = seeds->size();
  const bool tty = isatty(STDERR_FILENO) == 1;
  const bool progress = absl::GetFlag(FLAGS_progress);
  std::fprintf(stderr, "rtcsim sweep: %s, seeds %llu-%llu, %d jobs\n", model->name.c_str(),
               static_cast<unsigned long long>(seeds->first),
               static_cast<unsigned long long>(seeds->last), *jobs);
  const auto start = std::chrono::steady_clock::now();
  std::vector<RunOutcome> outcomes(total);
  uint64_t failed = 0;
  int last_bucket = 0;  // 5% steps printed (not a TTY)
  auto on_done = [&](int index, const absl::StatusOr<std::string>& data, int finished) {
    absl::StatusOr<RunOutcome> o =
        data.ok() ? DecodeOutcome(*data) : absl::StatusOr<RunOutcome>(data.status());
    if (o.ok()) {
      outcomes[index] = *std::move(o);
    } else {
      outcomes[index].error = absl::StrCat("the run's process failed: ", o.status().message());
    }
    outcomes[index].seed = seeds->first + index;
    if (!outcomes[index].passed || !outcomes[index].error.empty()) ++failed;
    if (!progress) return;
    const std::string line = ProgressLine(finished, total, failed, Seconds(start));
    if (tty) {
      std::fprintf(stderr, "\r%s", line.c_str());
      if (static_cast<uint64_t>(finished) == total) std::fputc('\n', stderr);
    } else if (const int bucket = static_cast<int>(finished * 20 / total); bucket > last_bucket) {
      last_bucket = bucket;
      std::fprintf(stderr, "%s\n", line.c_str());
    }
  };
  RunInFreshProcesses(
      static_cast<int>(total), *jobs,
      [&](int index) {
        RunOptions o = *options;
        o.seed = seeds->first + index;
        RunOutcome outcome = OutcomeOf(*o.seed, RunScenario(*model, o));
        outcome.summary.clear();  // not needed, and a sweep keeps every outcome
        return EncodeOutcome(outcome);
      },
      on_done);
  const double wall_s = Seconds(start);

  // Outputs: stale captures of an earlier sweep into the same DIR go first.
  const std::filesystem::path failures_dir = std::filesystem::path(dir) / "failures";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(failures_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (absl::StartsWith(name, "seed-") && absl::EndsWith(name, ".capture.textproto")) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
  std::vector<std::string> captures;
  for (const RunOutcome& o : outcomes) {
    if (o.passed && o.error.empty()) continue;
    const std::string path =
        (failures_dir / absl::StrCat("seed-", o.seed, ".capture.textproto")).string();
    const std::string header =
        absl::StrCat("A failing run of scenario \"", model->name, "\" (", model->file, "), seed ",
                     o.seed, ", from `rtcsim_scenario sweep`.\n`rtcsim_scenario replay ", path,
                     "` reruns it; `shrink` reduces it.");
    if (absl::Status s =
            WriteTextFile(path, CaptureToText(CaptureOf(*model, o, duration_override_s), header));
        !s.ok()) {
      std::fprintf(stderr, "rtcsim sweep: %s\n", std::string(s.message()).c_str());
      return kUsage;
    }
    captures.push_back(path);
  }
  for (const auto& [name, contents] :
       {std::pair<std::string, std::string>{"sweep.json",
                                            SweepJson(model->name, model->file, *seeds, outcomes)},
        {"sweep.csv", SweepCsv(outcomes)}}) {
    if (absl::Status s = WriteTextFile((std::filesystem::path(dir) / name).string(), contents);
        !s.ok()) {
      std::fprintf(stderr, "rtcsim sweep: %s\n", std::string(s.message()).c_str());
      return kUsage;
    }
  }
  std::fputs(SweepTable(model->name, *seeds, *jobs, outcomes, wall_s).c_str(), stdout);
  std::printf("  outputs in %s/: sweep.json sweep.csv", dir.c_str());
  if (!captures.empty()) std::printf(" failures/ (%zu captures)", captures.size());
  std::printf("\n");
  if (!captures.empty()) {
    std::printf("  first failure: rtcsim_scenario replay %s\n", captures.front().c_str());
  }
  return failed == 0 ? 0 : 1;
}

absl::StatusOr<std::pair<scenario::ReplayCapture, Model>> LoadCapture(const std::string& path) {
  auto capture = ReadCaptureFile(path);
  if (!capture.ok()) return capture.status();
  if (capture->binary_version() != BinaryVersion()) {
    std::fprintf(
        stderr, "warning: %s was captured by binary %s, this is %s; the run may differ\n",
        path.c_str(),
        capture->binary_version().empty() ? "(unknown)" : capture->binary_version().c_str(),
        BinaryVersion().c_str());
  }
  auto model = BuildModel(capture->scenario(), absl::StrCat("capture:", capture->source_file()));
  if (!model.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": the embedded scenario is not valid:\n", model.status().message()));
  }
  return std::make_pair(*std::move(capture), *std::move(model));
}

RunOptions CaptureOptions(const scenario::ReplayCapture& capture) {
  RunOptions o;
  o.seed = capture.seed();
  if (capture.duration_s() > 0) {
    o.duration = TimeDelta::Micros(std::llround(capture.duration_s() * 1e6));
  }
  return o;
}

int Replay(const std::string& path) {
  auto loaded = LoadCapture(UserPath(path));
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", std::string(loaded.status().message()).c_str());
    return kUsage;
  }
  const auto& [capture, model] = *loaded;
  RunOptions o = CaptureOptions(capture);
  o.out_dir = absl::GetFlag(FLAGS_out).empty() ? UserPath("rtcsim-out/replay")
                                               : UserPath(absl::GetFlag(FLAGS_out));
  std::fprintf(stderr, "rtcsim replay: %s, seed %llu\n", model.name.c_str(),
               static_cast<unsigned long long>(capture.seed()));
  const RunOutcome r = RunOutcomeInFreshProcess(model, o);
  if (!r.error.empty()) {
    std::fprintf(stderr, "rtcsim replay: the run did not complete: %s\n", r.error.c_str());
    return 1;
  }
  std::fputs(r.summary.c_str(), stdout);
  std::printf("  outputs in %s/\n", o.out_dir.c_str());
  for (const std::string& f : r.failures) std::printf("FAILED %s\n", f.c_str());
  const bool same = r.trace_hash == capture.trace_hash();
  std::printf("replay: trace hash %s (capture: %s): %s\n", r.trace_hash.c_str(),
              capture.trace_hash().c_str(), same ? "reproduced" : "DIFFERENT");
  return same ? 0 : 1;
}

// The shape of what a failure observed: the first "observed ..." clause
// with every number but a lone 0 replaced by '#' and state histories cut,
// so "observed 7917.7 ms" and "observed 2000.1 ms" match, but not "observed
// never connected", and "observed 0 of 0" does not match "observed 5 of 200".
std::string ObservedShape(absl::string_view failure) {
  const size_t at = failure.find("observed ");
  if (at == absl::string_view::npos) return "";
  absl::string_view rest = failure.substr(at);
  rest = rest.substr(0, std::min(rest.find(';'), rest.find(" (")));
  std::string shape;
  for (size_t i = 0; i < rest.size();) {
    if (!absl::ascii_isdigit(rest[i])) {
      shape.push_back(rest[i++]);
      continue;
    }
    size_t j = i;
    while (j < rest.size() && (absl::ascii_isdigit(rest[j]) || rest[j] == '.')) ++j;
    shape += rest.substr(i, j - i) == "0" ? "0" : "#";
    i = j;
  }
  return shape;
}

// What "fails the same way" means for shrink: the same set of failing
// expectations (as written, e.g. `b: messages on "x"`), each observing the
// same kind of value (ObservedShape), or the same run error.
std::set<std::string> Signature(const RunOutcome& o) {
  if (!o.error.empty()) return {absl::StrCat("run error: ", o.error)};
  std::set<std::string> out;
  for (size_t i = 0; i < o.failure_texts.size(); ++i) {
    out.insert(absl::StrCat(o.failure_texts[i], " | ",
                            i < o.failures.size() ? ObservedShape(o.failures[i]) : ""));
  }
  return out;
}

int ShrinkCapture(const std::string& path) {
  const std::string capture_path = UserPath(path);
  auto loaded = LoadCapture(capture_path);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", std::string(loaded.status().message()).c_str());
    return kUsage;
  }
  const auto& [capture, model] = *loaded;
  const int max_runs = absl::GetFlag(FLAGS_max_runs);
  if (max_runs < 1) return Usage("--max-runs must be at least 1");
  std::string out = UserPath(absl::GetFlag(FLAGS_out));
  if (out.empty()) {
    absl::string_view base = capture_path;
    if (!absl::ConsumeSuffix(&base, ".capture.textproto")) absl::ConsumeSuffix(&base, ".textproto");
    out = absl::StrCat(base, ".shrunk.textproto");
  }
  absl::string_view out_base = out;
  absl::ConsumeSuffix(&out_base, ".textproto");
  const std::string out_capture = absl::StrCat(out_base, ".capture.textproto");

  // The starting point is self-contained: the capture's seed and duration
  // written into the scenario, so that a plain `run` of the result repeats it.
  scenario::Scenario start = capture.scenario();
  start.set_seed(capture.seed());
  if (capture.duration_s() > 0) start.set_duration_s(capture.duration_s());
  auto start_model = BuildModel(start, absl::StrCat("capture:", capture.source_file()));
  if (!start_model.ok()) {
    std::fprintf(stderr, "%s\n", std::string(start_model.status().message()).c_str());
    return kUsage;
  }
  const RunOutcome first = RunOutcomeInFreshProcess(*start_model, RunOptions{});
  if (first.passed && first.error.empty()) {
    std::printf("shrink: %s passes with seed %llu (trace hash %s): nothing to shrink\n",
                capture_path.c_str(), static_cast<unsigned long long>(capture.seed()),
                first.trace_hash.c_str());
    return 1;
  }
  if (first.trace_hash != capture.trace_hash()) {
    std::fprintf(stderr, "warning: trace hash %s, the capture says %s (not reproduced)\n",
                 first.trace_hash.c_str(), capture.trace_hash().c_str());
  }
  const std::set<std::string> signature = Signature(first);
  std::printf("shrink: %s, seed %llu: %s; keeping it failing with: %s\n", model.name.c_str(),
              static_cast<unsigned long long>(capture.seed()), ScenarioSize(start).c_str(),
              absl::StrJoin(signature, "; ").c_str());
  std::fflush(stdout);

  RunOutcome last = first;  // the run of the scenario kept last
  ShrinkOptions options;
  options.max_runs = max_runs;
  options.on_step = [](const std::string& step, const scenario::Scenario& now, int runs) {
    std::printf("shrink: %s → %s (run %d)\n", step.c_str(), ScenarioSize(now).c_str(), runs);
    std::fflush(stdout);
  };
  const ShrinkResult result = Shrink(
      start,
      [&](const scenario::Scenario& candidate) {
        auto m = BuildModel(candidate, "shrink candidate");
        if (!m.ok()) return false;
        RunOutcome o = RunOutcomeInFreshProcess(*m, RunOptions{});
        if (o.passed && o.error.empty()) return false;
        if (Signature(o) != signature) return false;
        last = std::move(o);
        return true;
      },
      options);

  const std::string failures = absl::StrCat("  ", absl::StrJoin(last.failures, "\n  "));
  const std::string header = absl::StrCat(
      "Shrunk by `rtcsim_scenario shrink` from ", capture_path, " (scenario \"", model.name,
      "\", source ", capture.source_file(), ", binary ", capture.binary_version(), ").\n", "Seed ",
      capture.seed(), " is this file's `seed`, so `rtcsim_scenario run` of it",
      " reproduces the failure (this binary, ", BinaryVersion(), ": trace hash ", last.trace_hash,
      ").\n", "Before: ", ScenarioSize(start), ".\nAfter:  ", ScenarioSize(result.scenario), " (",
      result.steps, " reductions, ", result.runs, " runs",
      result.out_of_runs ? ", stopped at --max-runs" : "", ").\nFails with:\n", failures);
  std::string text;
  google::protobuf::TextFormat::PrintToString(result.scenario, &text);
  scenario::ReplayCapture shrunk;
  *shrunk.mutable_scenario() = result.scenario;
  shrunk.set_seed(capture.seed());
  shrunk.set_binary_version(BinaryVersion());
  shrunk.set_trace_hash(last.trace_hash);
  for (const std::string& f : last.failures) shrunk.add_failures(f);
  shrunk.set_source_file(out);
  for (const auto& [file, contents] :
       {std::pair<std::string, std::string>{out, absl::StrCat(CommentLines(header), text)},
        {out_capture, CaptureToText(shrunk, header)}}) {
    if (absl::Status s = WriteTextFile(file, contents); !s.ok()) {
      std::fprintf(stderr, "rtcsim shrink: %s\n", std::string(s.message()).c_str());
      return kUsage;
    }
  }
  std::printf("shrink: %s → %s in %d runs%s\n", ScenarioSize(start).c_str(),
              ScenarioSize(result.scenario).c_str(), result.runs,
              result.out_of_runs ? " (stopped at --max-runs)" : "");
  std::printf("shrink: wrote %s and %s\n", out.c_str(), out_capture.c_str());
  return 0;
}

}  // namespace
}  // namespace rtcsim::scenarios

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Runs rtcsim scenario files (scenarios/scenario.proto, protobuf text format).\n"
      "  rtcsim_scenario run FILE [--seed N] [--out DIR] [--duration T]\n"
      "  rtcsim_scenario check FILE [--seed N] [--out DIR] [--expect_failure TEXT]\n"
      "  rtcsim_scenario sweep FILE --seeds A-B [--jobs N] [--out DIR] [--duration T]\n"
      "  rtcsim_scenario replay CAPTURE [--out DIR]\n"
      "  rtcsim_scenario shrink CAPTURE [--out FILE] [--max-runs N]");
  // --max-runs is spelled with a dash in the usage; absl flags use '_'.
  std::vector<std::string> spelled(argv, argv + argc);
  std::vector<char*> fixed;
  for (std::string& a : spelled) {
    if (absl::StartsWith(a, "--max-runs")) a.replace(0, 10, "--max_runs");
    fixed.push_back(a.data());
  }
  std::vector<char*> args = absl::ParseCommandLine(static_cast<int>(fixed.size()), fixed.data());
  namespace s = rtcsim::scenarios;
  if (args.size() < 2) return s::Usage("a verb is needed: run, check, sweep, replay or shrink");
  const std::string verb = args[1];
  int (*const verbs[])(const std::string&) = {s::Run, s::Check, s::Sweep, s::Replay,
                                              s::ShrinkCapture};
  const char* const names[] = {"run", "check", "sweep", "replay", "shrink"};
  for (int i = 0; i < 5; ++i) {
    if (verb != names[i]) continue;
    if (args.size() != 3) {
      return s::Usage(
          absl::StrCat(verb, " takes exactly one ", i < 3 ? "scenario file" : "capture file"));
    }
    return verbs[i](args[2]);
  }
  return s::Usage(
      absl::StrCat("unknown verb \"", verb, "\" (run, check, sweep, replay or shrink)"));
}
