#ifndef RTCSIM_SIMNET_FIREWALL_H_
#define RTCSIM_SIMNET_FIREWALL_H_

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "simnet/node.h"
#include "stack/env/time.h"

namespace rtcsim::simnet {

struct FirewallConfig {
  bool block_udp = false;  // drop every UDP datagram, both ways
  // If non-empty, outbound UDP only to these destination ports (inbound only
  // from them).
  std::vector<uint16_t> allowed_udp_ports;
  // Stateful by default: inbound only as a reply to a flow the inside began.
  bool allow_unsolicited_inbound = false;
  TimeDelta flow_timeout = TimeDelta::Seconds(120);
};

struct FirewallStats {
  uint64_t passed = 0;
  uint64_t blocked = 0;
};

// A transparent filter with one inside side (any non-uplink interface) and
// its uplink outside. It does not translate.
class Firewall : public Node {
 public:
  Firewall(Network* net, std::string name, FirewallConfig config)
      : Node(net, std::move(name), NodeKind::kFirewall, {}), config_(std::move(config)) {}

  void set_config(FirewallConfig config) { config_ = std::move(config); }
  const FirewallStats& stats() const { return stats_; }
  void Receive(int iface, PacketRef p) override;

 private:
  struct Flow {
    SocketAddress inside, outside;
    bool operator==(const Flow&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const Flow& f) {
      return H::combine(std::move(h), f.inside, f.outside);
    }
  };
  bool PortAllowed(uint16_t port) const;

  FirewallConfig config_;
  FirewallStats stats_;
  absl::flat_hash_map<Flow, Timestamp> flows_;  // lookup only: last outbound time
};

}  // namespace rtcsim::simnet

#endif  // RTCSIM_SIMNET_FIREWALL_H_
