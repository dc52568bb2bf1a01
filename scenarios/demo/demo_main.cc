// ./rtcsim demo: the default simulation, a data-channel call between two
// PeerConnections behind different NATs under loss (see
// scenarios/call/data_channel_call.h). Prints a summary and writes the
// captures, the trace, stats and summary.json under --out.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "scenarios/call/data_channel_call.h"

ABSL_FLAG(std::string, out, "rtcsim-out", "directory for captures, trace and summary.json");
ABSL_FLAG(uint64_t, seed, 1, "simulation seed: same seed, same trace hash");
ABSL_FLAG(int64_t, duration_s, 60, "virtual seconds to simulate, in [1, 86400]");
ABSL_FLAG(double, loss, 0.05, "packet loss on each NAT's access link, each way, in [0, 1)");
ABSL_FLAG(int32_t, messages, 10000,
          "messages each side sends on the ordered channel (a tenth of it on the others)");
ABSL_FLAG(int32_t, pairs, 1, "PeerConnection pairs in the simulation, in [1, 500]");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Runs a WebRTC data-channel call between PeerConnections behind NATs in virtual time.\n"
      "Usage: demo [--out DIR] [--seed N] [--duration_s S] [--loss P] [--messages N] "
      "[--pairs N]");
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    std::fprintf(stderr, "demo: unexpected argument \"%s\" (flags only; see --help)\n", rest[1]);
    return 2;
  }
  rtcsim::scenarios::DataChannelCallConfig config;
  config.seed = absl::GetFlag(FLAGS_seed);
  config.out_dir = absl::GetFlag(FLAGS_out);
  // Under `bazel run` the binary starts in its runfiles tree; a relative
  // --out means relative to where the user ran the command.
  const char* user_dir = std::getenv("BUILD_WORKING_DIRECTORY");
  if (user_dir != nullptr && !config.out_dir.empty() && config.out_dir[0] != '/') {
    config.out_dir = std::string(user_dir) + "/" + config.out_dir;
  }
  const int64_t seconds = absl::GetFlag(FLAGS_duration_s);
  if (seconds <= 0 || seconds > 24 * 3600) {
    std::fprintf(stderr, "demo: --duration_s must be in [1, 86400], got %lld\n",
                 static_cast<long long>(seconds));
    return 2;
  }
  const int32_t messages = absl::GetFlag(FLAGS_messages);
  if (messages < 0 || messages > 10'000'000) {
    std::fprintf(stderr, "demo: --messages must be in [0, 10000000], got %d\n", messages);
    return 2;
  }
  config.duration = rtcsim::TimeDelta::Seconds(seconds);
  config.run_full_duration = true;
  config.loss = absl::GetFlag(FLAGS_loss);
  config.pairs = absl::GetFlag(FLAGS_pairs);
  config.channels = rtcsim::scenarios::DefaultChannels(messages);
  config.progress_interval = rtcsim::TimeDelta::Seconds(10);
  std::fprintf(stderr, "demo: %d pair(s), %.1f%% loss, seed %llu, %lld s virtual\n", config.pairs,
               config.loss * 100, static_cast<unsigned long long>(config.seed),
               static_cast<long long>(seconds));
  auto result = rtcsim::scenarios::RunDataChannelCall(config);
  if (!result.ok()) {
    std::fprintf(stderr, "demo: %s\n", std::string(result.status().message()).c_str());
    return 2;
  }
  std::fputs(result->Summary().c_str(), stdout);
  if (!config.out_dir.empty()) {
    std::printf("outputs in %s/:", config.out_dir.c_str());
    for (const std::string& f : result->files) std::printf(" %s", f.c_str());
    std::printf("\n");
  }
  return result->ok() ? 0 : 1;
}
