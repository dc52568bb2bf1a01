#include "simnet/firewall.h"

#include <algorithm>

#include "simnet/network.h"

namespace rtcsim::simnet {

bool Firewall::PortAllowed(uint16_t port) const {
  return config_.allowed_udp_ports.empty() ||
         std::find(config_.allowed_udp_ports.begin(), config_.allowed_udp_ports.end(), port) !=
             config_.allowed_udp_ports.end();
}

void Firewall::Receive(int iface, PacketRef ref) {
  Packet& p = net_->packets()[ref];
  const Timestamp now = net_->now();
  bool allowed = !config_.block_udp;
  if (allowed && iface != uplink_) {
    allowed = PortAllowed(p.dst.port());
    if (allowed) flows_[Flow{p.src, p.dst}] = now;
  } else if (allowed) {
    allowed = PortAllowed(p.src.port());
    if (allowed && !config_.allow_unsolicited_inbound) {
      auto it = flows_.find(Flow{p.dst, p.src});
      allowed = it != flows_.end() && now - it->second < config_.flow_timeout;
    }
  }
  if (!allowed) {
    ++stats_.blocked;
    Drop(ref, TraceKind::kFirewallDrop);
    return;
  }
  ++stats_.passed;
  Forward(iface, ref);
}

}  // namespace rtcsim::simnet
