#ifndef RTCSIM_SIMNET_NAT_PROBE_H_
#define RTCSIM_SIMNET_NAT_PROBE_H_

#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "simnet/nat.h"
#include "simnet/network.h"
#include "stack/env/env.h"

namespace rtcsim::simnet {

// NAT behaviour discovery in the manner of RFC 5780 §4, over a minimal
// request/response protocol of its own (STUN arrives with the ICE work). The
// server listens on two addresses × two ports and answers with the source it
// saw, from the address and port the request asks for, optionally later.
class ProbeServer {
 public:
  static absl::StatusOr<std::unique_ptr<ProbeServer>> Create(Env& env, IpAddress primary,
                                                             IpAddress alternate,
                                                             uint16_t port1 = 3478,
                                                             uint16_t port2 = 3479);
  SocketAddress primary() const { return sockets_[0]->local_address(); }

 private:
  ProbeServer(Env& env) : env_(env) {}
  void OnRequest(int socket, const SocketAddress& from, absl::Span<const uint8_t> data);

  Env& env_;
  // [primary:p1, primary:p2, alternate:p1, alternate:p2]
  std::unique_ptr<UdpSocket> sockets_[4];
};

struct ProbeRequest {
  bool change_ip = false;
  bool change_port = false;
  TimeDelta reply_after = TimeDelta::Zero();
  // Which server socket to send to: 0..3 as in ProbeServer.
  int target = 0;
};

struct NatClassification {
  NatMapping mapping;
  NatFiltering filtering;
  bool port_preserved;  // the first mapping kept the local port
  std::string ToString() const;
};

// The client side. Each Query sends one request and runs the network until a
// reply arrives or `timeout` passes.
class ProbeClient {
 public:
  ProbeClient(Network& net, Host& host, SocketAddress server_primary,
              SocketAddress server_alternate);

  // The mapped address the server saw, or nullopt if no reply came back.
  absl::StatusOr<std::optional<SocketAddress>> Query(UdpSocket& socket, const ProbeRequest& req,
                                                     TimeDelta timeout = TimeDelta::Seconds(2));
  absl::StatusOr<std::unique_ptr<UdpSocket>> NewSocket();

  // RFC 5780 §4.3 (mapping) and §4.4 (filtering), each on fresh sockets.
  absl::StatusOr<NatClassification> Classify();
  // RFC 5780 §4.5: a packet from a second socket to the first one's mapped
  // address arrives.
  absl::StatusOr<bool> Hairpins();
  // RFC 5780 §4.6: whether a mapping left idle for `idle` still admits a
  // reply.
  absl::StatusOr<bool> MappingSurvives(TimeDelta idle);

 private:
  SocketAddress Target(int index) const;

  Network& net_;
  Host& host_;
  SocketAddress primary_, alternate_;
  uint64_t next_txn_ = 1;
};

}  // namespace rtcsim::simnet

#endif  // RTCSIM_SIMNET_NAT_PROBE_H_
