#include "scenarios/runner/sweep.h"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "scenarios/runner/capture_file.h"
#include "simnet/testing/fresh_process.h"
#include "stack/pc/rtc_stats.h"

namespace rtcsim::scenarios {
namespace {

// Fields of an encoded outcome are separated by NUL, which none of the
// texts contain.
constexpr char kSep = '\0';
constexpr absl::string_view kMagic = "rtcsim-outcome-1";

std::string CsvField(absl::string_view s) {
  if (s.find_first_of(",\"\n") == absl::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  return out + "\"";
}

}  // namespace

absl::StatusOr<SeedRange> ParseSeedRange(absl::string_view text) {
  const auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("--seeds must look like A-B (e.g. 1-1000)", why, ", got \"", text, "\""));
  };
  std::vector<absl::string_view> parts = absl::StrSplit(text, '-');
  if (parts.size() > 2 || text.empty()) return bad("");
  SeedRange r;
  if (!absl::SimpleAtoi(parts[0], &r.first)) return bad(" with non-negative integers");
  r.last = r.first;
  if (parts.size() == 2 && !absl::SimpleAtoi(parts[1], &r.last)) {
    return bad(" with non-negative integers");
  }
  if (r.first > r.last) return bad(" with A <= B");
  if (r.last - r.first >= kMaxSweepSeeds) {
    return bad(absl::StrCat(" with at most ", kMaxSweepSeeds, " seeds"));
  }
  return r;
}

absl::StatusOr<int> ParseJobs(absl::string_view text) {
  if (text.empty()) {
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return static_cast<int>(std::clamp<long>(cpus, 1, kMaxJobs));
  }
  int jobs = 0;
  if (!absl::SimpleAtoi(text, &jobs) || jobs < 1 || jobs > kMaxJobs) {
    return absl::InvalidArgumentError(
        absl::StrCat("--jobs must be an integer from 1 to ", kMaxJobs, ", got \"", text, "\""));
  }
  return jobs;
}

RunOutcome OutcomeOf(uint64_t seed, const absl::StatusOr<ScenarioResult>& result) {
  RunOutcome o;
  o.seed = seed;
  if (!result.ok()) {
    o.error = std::string(result.status().message());
    return o;
  }
  o.passed = result->passed;
  o.trace_hash = result->trace_hash;
  o.failures = result->Failures();
  for (const ExpectationResult& e : result->expectations) {
    if (e.passed) continue;
    o.failure_texts.push_back(e.text);
    o.failure_keys.push_back(e.index < 0 ? e.text : absl::StrCat("expect[", e.index, "] ", e.text));
  }
  o.summary = result->Summary();
  return o;
}

std::string EncodeOutcome(const RunOutcome& o) {
  std::vector<std::string> fields = {std::string(kMagic),
                                     absl::StrCat(o.seed),
                                     o.error,
                                     o.passed ? "1" : "0",
                                     o.trace_hash,
                                     absl::StrCat(o.failures.size()),
                                     absl::StrCat(o.failure_keys.size())};
  fields.insert(fields.end(), o.failures.begin(), o.failures.end());
  fields.insert(fields.end(), o.failure_keys.begin(), o.failure_keys.end());
  fields.insert(fields.end(), o.failure_texts.begin(), o.failure_texts.end());
  fields.push_back(o.summary);
  return absl::StrJoin(fields, std::string(1, kSep));
}

absl::StatusOr<RunOutcome> DecodeOutcome(absl::string_view data) {
  std::vector<std::string> f = absl::StrSplit(data, kSep);
  const auto bad = [] { return absl::DataLossError("a child's result is garbled"); };
  size_t failures = 0, keys = 0;
  RunOutcome o;
  if (f.size() < 8 || f[0] != kMagic || !absl::SimpleAtoi(f[1], &o.seed) ||
      !absl::SimpleAtoi(f[5], &failures) || !absl::SimpleAtoi(f[6], &keys) ||
      f.size() != 8 + failures + 2 * keys) {
    return bad();
  }
  o.error = f[2];
  o.passed = f[3] == "1";
  o.trace_hash = f[4];
  size_t i = 7;
  o.failures.assign(f.begin() + i, f.begin() + i + failures);
  i += failures;
  o.failure_keys.assign(f.begin() + i, f.begin() + i + keys);
  i += keys;
  o.failure_texts.assign(f.begin() + i, f.begin() + i + keys);
  i += keys;
  o.summary = f[i];
  return o;
}

RunOutcome RunOutcomeInFreshProcess(const Model& model, const RunOptions& options) {
  const uint64_t seed = options.seed.value_or(model.seed);
  auto data = simnet::RunInFreshProcess(
      [&] { return EncodeOutcome(OutcomeOf(seed, RunScenario(model, options))); });
  absl::StatusOr<RunOutcome> o =
      data.ok() ? DecodeOutcome(*data) : absl::StatusOr<RunOutcome>(data.status());
  if (o.ok()) return *o;
  RunOutcome crashed;
  crashed.seed = seed;
  crashed.error = absl::StrCat("the run's process failed: ", o.status().message());
  return crashed;
}

std::vector<absl::StatusOr<std::string>> RunInFreshProcesses(
    int count, int jobs, const std::function<std::string(int)>& job,
    const std::function<void(int, const absl::StatusOr<std::string>&, int)>& on_done) {
  std::vector<absl::StatusOr<std::string>> results(count, absl::InternalError("not run"));
  struct Child {
    int index;
    pid_t pid;
    int fd;
    std::string data;
  };
  std::vector<Child> running;
  int next = 0, finished = 0;
  std::fflush(nullptr);  // children must not flush the parent's buffers again
  while (next < count || !running.empty()) {
    while (next < count && static_cast<int>(running.size()) < std::max(1, jobs)) {
      const int index = next++;
      int fds[2];
      if (pipe(fds) != 0) {
        results[index] = absl::InternalError("pipe failed");
        ++finished;
        if (on_done) on_done(index, results[index], finished);
        continue;
      }
      const pid_t pid = fork();
      if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        results[index] = absl::InternalError("fork failed");
        ++finished;
        if (on_done) on_done(index, results[index], finished);
        continue;
      }
      if (pid == 0) {
        close(fds[0]);
        for (const Child& c : running) close(c.fd);
        const std::string out = job(index);
        size_t done = 0;
        while (done < out.size()) {
          const ssize_t n = write(fds[1], out.data() + done, out.size() - done);
          if (n <= 0) _exit(3);
          done += static_cast<size_t>(n);
        }
        // _exit: no atexit handlers or static destructors of the parent's state.
        _exit(0);
      }
      close(fds[1]);
      running.push_back({index, pid, fds[0], ""});
    }
    std::vector<pollfd> fds;
    for (const Child& c : running) fds.push_back({c.fd, POLLIN, 0});
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;  // cannot happen with valid descriptors; the reaping below ends it
    }
    for (size_t i = fds.size(); i-- > 0;) {
      if (fds[i].revents == 0) continue;
      Child& c = running[i];
      char buffer[1 << 14];
      const ssize_t n = read(c.fd, buffer, sizeof(buffer));
      if (n > 0) {
        c.data.append(buffer, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      // End of file (or a read error): the child is done.
      close(c.fd);
      int status = 0;
      pid_t w;
      do {
        w = waitpid(c.pid, &status, 0);
      } while (w < 0 && errno == EINTR);
      if (w != c.pid) {
        results[c.index] = absl::InternalError("waitpid failed");
      } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        results[c.index] = absl::InternalError(
            WIFSIGNALED(status) ? absl::StrCat("child killed by signal ", WTERMSIG(status))
                                : absl::StrCat("child exited with status ", WEXITSTATUS(status)));
      } else {
        results[c.index] = std::move(c.data);
      }
      const int index = c.index;
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
      ++finished;
      if (on_done) on_done(index, results[index], finished);
    }
  }
  return results;
}

std::string ProgressLine(uint64_t done, uint64_t total, uint64_t failed, double elapsed_s) {
  constexpr int kWidth = 20;
  const int filled = total == 0 ? kWidth : static_cast<int>(done * kWidth / total);
  return absl::StrFormat("[%s%s] %d/%d seeds  %d failed  %.0f s", std::string(filled, '#'),
                         std::string(kWidth - filled, '.'), done, total, failed, elapsed_s);
}

std::string SweepTable(absl::string_view scenario_name, const SeedRange& seeds, int jobs,
                       const std::vector<RunOutcome>& outcomes, double wall_s) {
  size_t passed = 0;
  // Failure reason → seeds, in order of first appearance (seed order).
  std::vector<std::string> order;
  std::map<std::string, std::vector<uint64_t>> groups;
  for (const RunOutcome& o : outcomes) {
    if (o.passed && o.error.empty()) {
      ++passed;
      continue;
    }
    std::vector<std::string> keys = o.failure_keys;
    if (!o.error.empty()) keys = {absl::StrCat("run error: ", o.error)};
    for (const std::string& k : keys) {
      auto [it, fresh] = groups.try_emplace(k);
      if (fresh) order.push_back(k);
      it->second.push_back(o.seed);
    }
  }
  std::stable_sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) {
    return groups[a].size() > groups[b].size();
  });
  const size_t failed = outcomes.size() - passed;
  std::string out;
  absl::StrAppend(&out, "sweep ", scenario_name, ": seeds ", seeds.first, "-", seeds.last, ", ",
                  jobs, " jobs\n");
  absl::StrAppend(&out, absl::StrFormat("  total   %6d\n  passed  %6d\n  failed  %6d (%.1f%%)\n",
                                        outcomes.size(), passed, failed,
                                        outcomes.empty() ? 0.0 : 100.0 * failed / outcomes.size()));
  if (!order.empty()) {
    absl::StrAppend(&out, "  failures by expectation (count, expectation, first seeds):\n");
    for (const std::string& k : order) {
      const std::vector<uint64_t>& s = groups[k];
      std::vector<uint64_t> first(s.begin(), s.begin() + std::min<size_t>(5, s.size()));
      absl::StrAppend(&out,
                      absl::StrFormat("  %6d  %s\n          seeds %s%s\n", s.size(), k,
                                      absl::StrJoin(first, ", "), s.size() > 5 ? ", ..." : ""));
    }
  }
  absl::StrAppend(&out, absl::StrFormat("  wall time %.1f s, %.2f seeds/s\n", wall_s,
                                        wall_s > 0 ? outcomes.size() / wall_s : 0.0));
  return out;
}

std::string SweepJson(absl::string_view scenario_name, absl::string_view file,
                      const SeedRange& seeds, const std::vector<RunOutcome>& outcomes) {
  std::string out = absl::StrCat(
      "{\n  \"scenario\": ", pc::JsonQuote(scenario_name), ",\n  \"file\": ", pc::JsonQuote(file),
      ",\n  \"first_seed\": ", seeds.first, ",\n  \"last_seed\": ", seeds.last, ",\n  \"runs\": [");
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const RunOutcome& o = outcomes[i];
    std::vector<std::string> failures;
    for (const std::string& f : o.failures) failures.push_back(pc::JsonQuote(f));
    if (!o.error.empty()) failures.push_back(pc::JsonQuote(absl::StrCat("run error: ", o.error)));
    absl::StrAppend(&out, i == 0 ? "\n" : ",\n", "    {\"seed\": ", o.seed,
                    ", \"passed\": ", o.passed && o.error.empty() ? "true" : "false",
                    ", \"hash\": ", pc::JsonQuote(o.trace_hash), ", \"failures\": [",
                    absl::StrJoin(failures, ", "), "]}");
  }
  absl::StrAppend(&out, "\n  ]\n}\n");
  return out;
}

std::string SweepCsv(const std::vector<RunOutcome>& outcomes) {
  std::string out = "seed,passed,hash,failures\n";
  for (const RunOutcome& o : outcomes) {
    std::vector<std::string> failures = o.failures;
    if (!o.error.empty()) failures.push_back(absl::StrCat("run error: ", o.error));
    absl::StrAppend(&out, o.seed, ",", o.passed && o.error.empty() ? "true" : "false", ",",
                    CsvField(o.trace_hash), ",", CsvField(absl::StrJoin(failures, " | ")), "\n");
  }
  return out;
}

scenario::ReplayCapture CaptureOf(const Model& model, const RunOutcome& outcome,
                                  double duration_override_s) {
  scenario::ReplayCapture c;
  *c.mutable_scenario() = model.source;
  c.set_seed(outcome.seed);
  c.set_duration_s(duration_override_s);
  c.set_binary_version(BinaryVersion());
  c.set_trace_hash(outcome.trace_hash);
  for (const std::string& f : outcome.failures) c.add_failures(f);
  if (!outcome.error.empty()) c.add_failures(absl::StrCat("run error: ", outcome.error));
  c.set_source_file(model.file);
  return c;
}

}  // namespace rtcsim::scenarios
