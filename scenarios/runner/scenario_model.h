// A scenario after loading: names resolved, groups expanded, profiles
// applied, units converted. The runner works from this, never from the
// text; the loader (scenario_loader.h) is the only place that builds one.
#ifndef RTCSIM_SCENARIOS_RUNNER_SCENARIO_MODEL_H_
#define RTCSIM_SCENARIOS_RUNNER_SCENARIO_MODEL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "scenarios/scenario.pb.h"
#include "simnet/firewall.h"
#include "simnet/link.h"
#include "simnet/nat.h"
#include "stack/env/socket_address.h"
#include "stack/env/time.h"
#include "stack/ice/ice_agent.h"
#include "stack/sctp/data_channel.h"

namespace rtcsim::scenarios {

struct NodeModel {
  enum class Kind { kRouter, kNat, kFirewall, kHost, kStunServer, kTurnServer };
  std::string name;
  Kind kind = Kind::kHost;
  std::vector<IpAddress> addresses;
  std::string parent;  // empty only for "internet"
  simnet::NatConfig nat;
  simnet::FirewallConfig firewall;
  uint16_t port = 3478;  // STUN and TURN servers
  std::string realm;
  std::map<std::string, std::string> users;  // TURN
};

struct LinkModel {
  std::string name;
  std::string from, to;     // downstream node, its parent
  simnet::LinkParams up;    // sent by `from`
  simnet::LinkParams down;  // sent towards `from`
};

struct ChannelModel {
  std::string label;
  sctp::DataChannelInit init;
  std::optional<uint16_t> negotiated_id;
  uint32_t count = 0;
  uint32_t min_size = 256;
  uint32_t max_size = 256;
  double rate_per_s = 0;  // 0: as fast as bufferedAmount allows
  TimeDelta start = TimeDelta::Zero();
  bool both_directions = false;
  bool reliable() const {
    return !init.max_retransmits.has_value() && !init.max_packet_life_time.has_value();
  }
};

struct PeerModel {
  std::string name;
  std::string group;  // the Peer entry it came from (== name if single)
  std::string host;
  std::vector<ice::IceServer> ice_servers;
  ice::IceTransportPolicy policy = ice::IceTransportPolicy::kAll;
  std::vector<ChannelModel> channels;
  bool restart_ice_on_failure = false;
};

struct CallModel {
  std::string name;  // "pa0→pb0"
  int offerer = 0;   // index into Model::peers
  int answerer = 0;
  TimeDelta at = TimeDelta::Zero();
};

struct EventModel {
  enum class Kind {
    kLinkChange,
    kLinkDown,
    kLinkUp,
    kHostAddress,
    kNatReboot,
    kRestartIce,
    kClosePeer
  };
  TimeDelta at = TimeDelta::Zero();
  Kind kind = Kind::kLinkChange;
  std::vector<std::string> targets;  // links, hosts, NATs or peers (groups expanded)
  scenario::LinkParams change;       // kLinkChange: profile resolved, overrides
  IpAddress address;                 // kHostAddress
  std::string text;                  // "link nat-a-internet down"
};

struct ExpectationModel {
  int index = 0;           // in the file (expect[index])
  int line = 0;            // 1-based, 0 if unknown
  std::string text;        // "pa0: connected within 2000 ms"
  std::vector<int> peers;  // indices into Model::peers
  scenario::Expectation spec;
};

struct SignalingModel {
  TimeDelta delay = TimeDelta::Millis(50);
  TimeDelta jitter = TimeDelta::Zero();
  double loss = 0;  // probability
  TimeDelta retransmit = TimeDelta::Seconds(1);
  bool trickle = true;
};

struct Model {
  scenario::Scenario source;  // as written (for captures and shrinking)
  std::string file;
  std::string name;
  std::string description;
  uint64_t seed = 1;
  TimeDelta duration = TimeDelta::Seconds(30);
  bool run_full_duration = false;
  bool allow_errors = false;
  std::vector<NodeModel> nodes;  // parents before children; nodes[0] is "internet"
  std::vector<LinkModel> links;
  std::vector<PeerModel> peers;
  std::vector<CallModel> calls;
  std::vector<EventModel> events;  // sorted by time, stable
  std::vector<ExpectationModel> expectations;
  SignalingModel signaling;
};

// The built-in profiles by name, as LinkParams with every field set.
const std::map<std::string, scenario::LinkParams>& BuiltinProfiles();

// `base` with every field `overrides` sets replaced (loss: a set loss or
// burst loss replaces the loss model). Profiles must already be resolved
// into `overrides` by the caller (the loader does this).
simnet::LinkParams ApplyLinkParams(const simnet::LinkParams& base,
                                   const scenario::LinkParams& overrides);

}  // namespace rtcsim::scenarios

#endif  // RTCSIM_SCENARIOS_RUNNER_SCENARIO_MODEL_H_
