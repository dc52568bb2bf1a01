#ifndef RTCSIM_SIMNET_HOST_H_
#define RTCSIM_SIMNET_HOST_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "simnet/node.h"
#include "stack/env/env.h"

namespace rtcsim::simnet {

class PcapngWriter;
class SimUdpSocket;

struct HostStats {
  uint64_t sent = 0;
  uint64_t received = 0;
  uint64_t no_socket_drops = 0;  // nothing bound: dropped, no ICMP sent
  uint64_t not_for_us_drops = 0;
};

// An end host with one or more addresses and virtual UDP sockets. Its Env
// (env()) is what a stack running on this host is given.
class Host : public Node {
 public:
  Host(Network* net, std::string name, std::vector<IpAddress> addresses);
  ~Host() override;

  // Binds like an OS would: port 0 picks an ephemeral port (49152–65535,
  // sequentially, so runs repeat); an unspecified address picks the host's
  // first address of that family (the current ones, after
  // Network::SetHostAddresses).
  absl::StatusOr<std::unique_ptr<UdpSocket>> Bind(const SocketAddress& local);

  Env& env() { return *env_; }
  const HostStats& stats() const { return stats_; }
  void Receive(int iface, PacketRef p) override;

  // Records every datagram this host sends or receives.
  void SetCapture(PcapngWriter* writer);

 private:
  friend class SimUdpSocket;
  friend class Network;
  // After Network::SetHostAddresses: marks sockets whose address is gone.
  void OnAddressesChanged();
  absl::Status SendFrom(const SocketAddress& from, const SocketAddress& to,
                        absl::Span<const uint8_t> payload);
  void Unbind(SimUdpSocket* s);
  void DeliverLocally(PacketRef p);

  std::unique_ptr<Env> env_;
  absl::flat_hash_map<SocketAddress, SimUdpSocket*> sockets_;  // lookup only
  uint16_t next_ephemeral_ = 49152;
  uint16_t next_ip_id_ = 1;
  HostStats stats_;
  // The payload handed to a receive callback (swapped out of the packet so
  // both buffers are reused).
  std::vector<uint8_t> scratch_;
  PcapngWriter* capture_ = nullptr;
  int capture_iface_ = -1;
};

}  // namespace rtcsim::simnet

#endif  // RTCSIM_SIMNET_HOST_H_
