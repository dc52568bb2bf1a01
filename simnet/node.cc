#include "simnet/node.h"

#include "simnet/link.h"
#include "simnet/network.h"

namespace rtcsim::simnet {

const char* ToString(NodeKind kind) {
  switch (kind) {
    case NodeKind::kHost:
      return "host";
    case NodeKind::kRouter:
      return "router";
    case NodeKind::kNat:
      return "nat";
    case NodeKind::kFirewall:
      return "firewall";
  }
  return "unknown";
}

Node::Node(Network* net, std::string name, NodeKind kind, std::vector<IpAddress> addresses)
    : net_(net),
      name_(std::move(name)),
      kind_(kind),
      trace_id_(net->trace().RegisterNode(name_)),
      addresses_(std::move(addresses)) {}

bool Node::HasAddress(const IpAddress& ip) const {
  for (const IpAddress& a : addresses_) {
    if (a == ip) return true;
  }
  return false;
}

Node* Node::parent() const {
  if (uplink_ < 0) return nullptr;
  const Interface& up = ifaces_[uplink_];
  return up.link->end(1 - up.side);
}

void Node::CollectReachable(std::vector<IpAddress>* out) const {
  out->insert(out->end(), addresses_.begin(), addresses_.end());
  CollectBelow(out);
}

void Node::CollectBelow(std::vector<IpAddress>* out) const {
  for (size_t i = 0; i < ifaces_.size(); ++i) {
    if (static_cast<int>(i) == uplink_) continue;
    ifaces_[i].link->end(1 - ifaces_[i].side)->CollectReachable(out);
  }
}

int Node::Lookup(const IpAddress& dst) const {
  auto it = host_routes_.find(dst);
  if (it != host_routes_.end()) return it->second;
  return uplink_;
}

void Node::Transmit(int iface, PacketRef p) {
  const Interface& i = ifaces_[iface];
  i.link->Transmit(i.side, p);
}

void Node::Drop(PacketRef ref, TraceKind why, int64_t detail) {
  ++drops_;
  Packet& p = net_->packets()[ref];
  net_->trace().Record(net_->now(), why, trace_id_, p.id, p.src, p.dst, p.wire_size(), detail);
  net_->packets().Free(ref);
}

void Node::Forward(int in_iface, PacketRef ref) {
  int out = Lookup(net_->packets()[ref].dst.ip());
  if (out < 0 || out == in_iface) {
    Drop(ref, TraceKind::kNoRoute);
    return;
  }
  Transmit(out, ref);
}

void Router::Receive(int iface, PacketRef ref) {
  Packet& p = net_->packets()[ref];
  if (HasAddress(p.dst.ip())) {
    Drop(ref, TraceKind::kNoSocket);  // routers run no UDP services
    return;
  }
  if (p.ttl <= 1) {
    Drop(ref, TraceKind::kTtlExpired);
    return;
  }
  --p.ttl;
  Forward(iface, ref);
}

}  // namespace rtcsim::simnet
