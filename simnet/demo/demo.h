#ifndef RTCSIM_SIMNET_DEMO_DEMO_H_
#define RTCSIM_SIMNET_DEMO_DEMO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "stack/env/time.h"

namespace rtcsim::simnet {

struct DemoOptions {
  uint64_t seed = 1;
  TimeDelta duration = TimeDelta::Seconds(60);
  // Where captures, trace and summary go; empty: keep them in memory only.
  std::string out_dir;
};

struct DemoLinkFigures {
  std::string link;
  std::string direction;  // "up" (towards the internet) or "down"
  uint64_t sent, delivered, lost, dropped, duplicated;
};

struct DemoNatFigures {
  std::string nat;
  std::string behaviour;
  uint64_t mappings_created, mappings_expired, filtered, no_mapping;
};

struct DemoPair {
  std::string from, to;
  uint64_t sent, received;
};

struct DemoResult {
  std::string trace_hash;
  uint64_t trace_events;
  uint64_t events_run;
  TimeDelta virtual_time;
  double wall_seconds;
  std::vector<DemoLinkFigures> links;
  std::vector<DemoNatFigures> nats;
  std::vector<DemoPair> pairs;  // peer-to-peer reachability after rendezvous
  // Capture bytes per file name ("alice.pcapng", ...), for byte comparison.
  std::vector<std::pair<std::string, std::vector<uint8_t>>> captures;

  std::string Summary() const;                         // for people
  std::string Json(const DemoOptions& options) const;  // for scripts
};

// Hosts behind NATs of different RFC 4787 behaviours (one nested behind a
// carrier-grade NAT) register with a rendezvous server over lossy, jittery
// links, learn each other's mapped addresses and try to reach each other
// directly (UDP hole punching). Which pairs get through shows the NATs'
// filtering at work.
absl::StatusOr<DemoResult> RunDemo(const DemoOptions& options);

}  // namespace rtcsim::simnet

#endif  // RTCSIM_SIMNET_DEMO_DEMO_H_
