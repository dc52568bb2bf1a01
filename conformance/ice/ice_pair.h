// Two ICE agents on simulated hosts, each behind a configurable edge (open,
// one of the nine RFC 4787 NAT types, or a UDP-blocking firewall), with
// optional STUN/TURN servers on the public side and a signalling channel with
// its own delay. Shared by the NAT traversal matrix, the timing and the
// consent tests.
//
// Addresses (documentation ranges, RFC 5737):
//   server (STUN, TURN)   198.51.100.1:3478, relays on 198.51.100.1
//   side i open/blocked   192.0.2.(10+i)
//   side i behind a NAT   10.0.(1+i).2, NAT public 203.0.113.(10+i)
#ifndef RTCSIM_CONFORMANCE_ICE_ICE_PAIR_H_
#define RTCSIM_CONFORMANCE_ICE_ICE_PAIR_H_

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "simnet/capture/pcapng_writer.h"
#include "simnet/network.h"
#include "stack/ice/ice_agent.h"

namespace rtcsim::conformance {

struct Edge {
  enum class Kind { kOpen, kNat, kUdpBlocked };
  Kind kind = Kind::kOpen;
  simnet::NatMapping mapping = simnet::NatMapping::kEndpointIndependent;
  simnet::NatFiltering filtering = simnet::NatFiltering::kEndpointIndependent;

  // "open", "EIM/ADF", ..., "udp-blocked".
  std::string Name() const;
  // open, the nine NAT types (mapping-major), udp-blocked.
  static std::vector<Edge> All();
  static absl::StatusOr<Edge> Parse(absl::string_view name);
};

enum class Servers { kNone, kStun, kStunTurn };
std::string ToString(Servers s);  // "none", "stun", "stun+turn"
absl::StatusOr<Servers> ParseServers(absl::string_view name);

struct IcePairOptions {
  std::array<Edge, 2> edges;
  Servers servers = Servers::kNone;
  uint64_t seed = 1;
  // One-way delay of each side's link to the internet, and of the server's:
  // a direct path has an RTT of 4 × access_delay.
  TimeDelta access_delay = TimeDelta::Millis(5);
  std::array<simnet::LossModel, 2> access_loss;  // per side's access link
  // Addresses per ICE host (more give the check list more pairs); side i's
  // k-th address ends in 10+i+10k.
  int addresses_per_host = 1;
  TimeDelta signalling_delay = TimeDelta::Millis(50);
  bool capture = false;  // pcapng per ICE host
  // Applied to both agents (role is set per side: 0 controls).
  ice::IceAgentConfig agent_config;
};

// Where an address sits in this topology, for describing a selected pair
// independently of how an agent labels it (prflx vs srflx for the same NAT
// mapping depends on timing).
enum class AddressClass { kHost, kNatMapping, kRelay, kUnknown };
std::string ToString(AddressClass c);  // "host", "srflx", "relay", "?"

class IcePair {
 public:
  static absl::StatusOr<std::unique_ptr<IcePair>> Create(const IcePairOptions& options);
  ~IcePair();

  // Starts gathering on both sides; candidates and end-of-candidates cross
  // the signalling channel after signalling_delay.
  absl::Status Start();
  // Runs until each agent is connected/completed or failed, or `limit` of
  // virtual time has passed since the call.
  void RunUntilSettled(TimeDelta limit);
  // Restarts ICE on both sides and re-signals credentials and candidates.
  absl::Status RestartIce();

  simnet::Network& network() { return net_; }
  ice::IceAgent& agent(int side) { return *agents_[side]; }
  simnet::Host& host(int side) { return *hosts_[side]; }
  simnet::Link& access_link(int side) { return *access_links_[side]; }
  // Capture of side i's host (empty unless options.capture).
  const simnet::PcapngWriter* capture(int side) const { return captures_[side]; }
  const SocketAddress& server_address() const { return server_address_; }
  // Application datagrams side i received (through on_data).
  const std::vector<std::vector<uint8_t>>& received(int side) const { return received_[side]; }

  bool Connected() const;  // both connected or completed
  bool AnyFailed() const;
  bool Settled() const;  // each side connected/completed or failed
  // When both sides first were connected (or completed); Infinite if never.
  Timestamp connected_at() const { return connected_at_; }
  // States each agent went through, in order.
  const std::vector<ice::IceConnectionState>& state_history(int side) const {
    return history_[side];
  }
  // Side i's selected pair as "local/remote" address classes, e.g.
  // "srflx/relay"; "-" without a selected pair.
  std::string SelectedPath(int side) const;
  AddressClass Classify(const SocketAddress& address) const;

 private:
  explicit IcePair(const IcePairOptions& options);
  absl::Status Build();
  std::vector<IpAddress> HostAddresses(int a, int b, int c, int d) const;
  void Signal(int from, std::function<void(ice::IceAgent&)> deliver);
  void OnState(int side, ice::IceConnectionState state);

  IcePairOptions options_;
  simnet::Network net_;
  std::array<simnet::Host*, 2> hosts_{};
  std::array<simnet::Link*, 2> access_links_{};
  std::array<simnet::PcapngWriter*, 2> captures_{};
  std::array<std::unique_ptr<ice::IceAgent>, 2> agents_;
  std::array<std::vector<ice::IceConnectionState>, 2> history_;
  std::array<std::vector<std::vector<uint8_t>>, 2> received_;
  std::vector<IpAddress> nat_publics_;
  SocketAddress server_address_;
  struct Servers;
  std::unique_ptr<Servers> servers_;
  Timestamp connected_at_ = Timestamp::Infinite();
};

}  // namespace rtcsim::conformance

#endif  // RTCSIM_CONFORMANCE_ICE_ICE_PAIR_H_
