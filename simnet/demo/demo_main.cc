// ./rtcsim demo: the default simulation. Prints a summary and writes the
// captures, the trace and summary.json under --out.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "simnet/demo/demo.h"

ABSL_FLAG(std::string, out, "rtcsim-out", "directory for captures, trace and summary.json");
ABSL_FLAG(uint64_t, seed, 1, "simulation seed: same seed, same trace hash");
ABSL_FLAG(int64_t, duration_s, 60, "virtual seconds to simulate (> 0)");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Runs hosts behind NATs over lossy, jittery links in virtual time.\n"
      "Usage: demo [--out DIR] [--seed N] [--duration_s S]");
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    std::fprintf(stderr, "demo: unexpected argument \"%s\" (flags only; see --help)\n", rest[1]);
    return 2;
  }
  rtcsim::simnet::DemoOptions options;
  options.seed = absl::GetFlag(FLAGS_seed);
  options.out_dir = absl::GetFlag(FLAGS_out);
  // Under `bazel run` the binary starts in its runfiles tree; a relative
  // --out means relative to where the user ran the command.
  const char* user_dir = std::getenv("BUILD_WORKING_DIRECTORY");
  if (user_dir != nullptr && !options.out_dir.empty() && options.out_dir[0] != '/') {
    options.out_dir = std::string(user_dir) + "/" + options.out_dir;
  }
  const int64_t seconds = absl::GetFlag(FLAGS_duration_s);
  if (seconds <= 0 || seconds > 24 * 3600) {
    std::fprintf(stderr, "demo: --duration_s must be in [1, 86400], got %lld\n",
                 static_cast<long long>(seconds));
    return 2;
  }
  options.duration = rtcsim::TimeDelta::Seconds(seconds);
  auto result = rtcsim::simnet::RunDemo(options);
  if (!result.ok()) {
    std::fprintf(stderr, "demo: %s\n", std::string(result.status().message()).c_str());
    return 1;
  }
  std::fputs(result->Summary().c_str(), stdout);
  std::printf("outputs in %s/: ", options.out_dir.c_str());
  for (const auto& [name, bytes] : result->captures) std::printf("%s ", name.c_str());
  std::printf("trace.json summary.json\n");
  return 0;
}
