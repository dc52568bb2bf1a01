#ifndef RTCSIM_SIMNET_NODE_H_
#define RTCSIM_SIMNET_NODE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "simnet/packet.h"
#include "simnet/trace.h"
#include "stack/env/socket_address.h"

namespace rtcsim::simnet {

class Link;
class Network;

enum class NodeKind { kHost, kRouter, kNat, kFirewall };
const char* ToString(NodeKind kind);

// Anything packets pass through: hosts, routers, NATs, firewalls. Topologies
// are trees: each node has at most one uplink (its default route) and learns
// host routes to everything reachable below each of its other interfaces.
class Node {
 public:
  Node(Network* net, std::string name, NodeKind kind, std::vector<IpAddress> addresses);
  virtual ~Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const std::string& name() const { return name_; }
  NodeKind kind() const { return kind_; }
  uint32_t trace_id() const { return trace_id_; }
  // The node's own addresses (a NAT's are its public addresses).
  const std::vector<IpAddress>& addresses() const { return addresses_; }
  bool HasAddress(const IpAddress& ip) const;
  Node* parent() const;

  // A packet arrived on interface `iface`; the node now owns it.
  virtual void Receive(int iface, PacketRef p) = 0;

  // Adds to `out` the addresses the rest of the network reaches through this
  // node: its own, and for routers and firewalls everything below them.
  virtual void CollectReachable(std::vector<IpAddress>* out) const;

 protected:
  friend class Network;
  struct Interface {
    Link* link = nullptr;
    int side = 0;  // which end of the link this node is
  };

  // Sends by the routing table; drops (and counts) when there is no route or
  // the route points back where the packet came from.
  void Forward(int in_iface, PacketRef p);
  void Transmit(int iface, PacketRef p);
  void Drop(PacketRef p, TraceKind why, int64_t detail = 0);
  // The interface for `dst`, or -1.
  int Lookup(const IpAddress& dst) const;
  void CollectBelow(std::vector<IpAddress>* out) const;

  Network* const net_;
  const std::string name_;
  const NodeKind kind_;
  const uint32_t trace_id_;
  std::vector<IpAddress> addresses_;
  std::vector<Interface> ifaces_;
  int uplink_ = -1;
  // Lookup only (never iterated), so hash order cannot leak into a run.
  absl::flat_hash_map<IpAddress, int> host_routes_;
  uint64_t drops_ = 0;
};

// Forwards packets by destination, decrementing the TTL.
class Router : public Node {
 public:
  Router(Network* net, std::string name, std::vector<IpAddress> addresses)
      : Node(net, std::move(name), NodeKind::kRouter, std::move(addresses)) {}
  void Receive(int iface, PacketRef p) override;
};

}  // namespace rtcsim::simnet

#endif  // RTCSIM_SIMNET_NODE_H_
