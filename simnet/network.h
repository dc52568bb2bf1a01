#ifndef RTCSIM_SIMNET_NETWORK_H_
#define RTCSIM_SIMNET_NETWORK_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "simnet/event_loop.h"
#include "simnet/firewall.h"
#include "simnet/host.h"
#include "simnet/link.h"
#include "simnet/nat.h"
#include "simnet/node.h"
#include "simnet/packet.h"
#include "simnet/trace.h"

namespace rtcsim::simnet {

class PcapngWriter;

// A simulated network: the event loop, the nodes and links between them, the
// run's seed and its trace. Single-threaded; the same seed and the same calls
// give the same trace hash and the same capture bytes.
class Network {
 public:
  explicit Network(uint64_t seed);
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  uint64_t seed() const { return seed_; }
  EventLoop& loop() { return loop_; }
  Timestamp now() const { return loop_.now(); }
  Trace& trace() { return trace_; }
  PacketPool& packets() { return packets_; }
  // A stream derived from the seed and `name` alone.
  Random CreateRandom(absl::string_view name) const { return Random::Derive(seed_, name); }
  uint64_t NextPacketId() { return ++last_packet_id_; }

  // Names are unique across nodes: letters, digits, '-', '_', '.'.
  absl::StatusOr<Host*> AddHost(absl::string_view name, std::vector<IpAddress> addresses);
  absl::StatusOr<Router*> AddRouter(absl::string_view name, std::vector<IpAddress> addresses = {});
  absl::StatusOr<Nat*> AddNat(absl::string_view name, NatConfig config);
  absl::StatusOr<Firewall*> AddFirewall(absl::string_view name, FirewallConfig config);

  // Replaces `host`'s addresses at the current time, as when a device moves
  // to another network (e.g. Wi-Fi to another access point) and gets a new
  // address. Validated like AddHost: non-empty, unicast, no duplicates, and
  // no address of another node. Routes are rebuilt, so the old addresses
  // become unreachable at once; sockets bound to an address the host no
  // longer has fail to send (FailedPrecondition "host h no longer has
  // address a") and receive nothing; an unspecified bind now picks the new
  // first address. Recorded as TraceKind::kAddressChanged.
  absl::Status SetHostAddresses(Host* host, std::vector<IpAddress> addresses);

  // Links `downstream` to `upstream`, which becomes its default route; the
  // upstream side (and everything above) learns routes to what is below.
  absl::StatusOr<Link*> Connect(Node* downstream, Node* upstream, const LinkParams& params);

  Node* FindNode(absl::string_view name) const;
  const std::vector<std::unique_ptr<Node>>& nodes() const { return nodes_; }
  const std::vector<std::unique_ptr<Link>>& links() const { return links_; }

  // Captures. Each writer belongs to the network; bytes are available any time.
  PcapngWriter* CaptureHost(Host* host);
  PcapngWriter* CaptureLink(Link* link);

  void RunFor(TimeDelta d) { loop_.RunFor(d); }
  void RunUntil(Timestamp t) { loop_.RunUntil(t); }

 private:
  absl::Status CheckNewNode(absl::string_view name, const std::vector<IpAddress>& addresses);
  template <typename T>
  T* AddNode(std::unique_ptr<T> node);
  void RebuildRoutes();

  const uint64_t seed_;
  EventLoop loop_;
  Trace trace_;
  PacketPool packets_;
  uint64_t last_packet_id_ = 0;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::unique_ptr<Link>> links_;
  std::vector<std::unique_ptr<PcapngWriter>> captures_;
};

}  // namespace rtcsim::simnet

#endif  // RTCSIM_SIMNET_NETWORK_H_
