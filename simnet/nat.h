#ifndef RTCSIM_SIMNET_NAT_H_
#define RTCSIM_SIMNET_NAT_H_

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "simnet/node.h"
#include "stack/env/random.h"
#include "stack/env/time.h"

namespace rtcsim::simnet {

// RFC 4787 §4.1: what a mapping's reuse depends on.
enum class NatMapping { kEndpointIndependent, kAddressDependent, kAddressAndPortDependent };
// RFC 4787 §5: which inbound packets a mapping admits.
enum class NatFiltering { kEndpointIndependent, kAddressDependent, kAddressAndPortDependent };
// RFC 4787 §4.2.1: how the external port is chosen.
enum class PortAllocation { kPreserve, kSequential, kRandom };

const char* ToString(NatMapping m);
const char* ToString(NatFiltering f);
const char* ToString(PortAllocation a);

struct NatConfig {
  // External addresses, at most one per family. Families without one pass
  // through untranslated (e.g. IPv6 behind an IPv4 NAT).
  std::vector<IpAddress> public_addresses;
  NatMapping mapping = NatMapping::kEndpointIndependent;
  NatFiltering filtering = NatFiltering::kEndpointIndependent;
  PortAllocation port_allocation = PortAllocation::kPreserve;
  bool hairpinning = false;  // RFC 4787 §6, REQ-9
  // RFC 4787 REQ-5: at least 2 minutes, 5 recommended. Outbound packets always
  // refresh (REQ-6); inbound ones only if `inbound_refresh`.
  TimeDelta mapping_lifetime = TimeDelta::Seconds(300);
  bool inbound_refresh = false;
  uint16_t port_min = 1024;
  uint16_t port_max = 65535;
};

absl::Status ValidateNatConfig(const NatConfig& c);

struct NatStats {
  uint64_t mappings_created = 0;
  uint64_t mappings_expired = 0;
  uint64_t translated_out = 0;
  uint64_t translated_in = 0;
  uint64_t filtered = 0;    // inbound refused by filtering
  uint64_t no_mapping = 0;  // inbound to an unmapped or expired port
  uint64_t hairpinned = 0;
  uint64_t hairpin_drops = 0;
  uint64_t port_exhausted = 0;
};

// A NAT with one outside interface (its uplink) and any number of inside
// interfaces. Expiry is evaluated when a mapping is looked up, so it costs no
// timers and follows virtual time exactly.
class Nat : public Node {
 public:
  Nat(Network* net, std::string name, NatConfig config);

  const NatConfig& config() const { return config_; }
  const NatStats& stats() const { return stats_; }
  // Mappings not yet expired at the current time.
  size_t active_mappings() const;
  // Forgets every mapping at once, as a NAT reboot does.
  void DropAllMappings();

  void Receive(int iface, PacketRef p) override;
  void CollectReachable(std::vector<IpAddress>* out) const override;

 private:
  struct Key {
    SocketAddress internal;
    SocketAddress remote;  // reduced to what the mapping behaviour keys on
    bool operator==(const Key&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.internal, k.remote);
    }
  };
  struct Mapping {
    Key key;
    SocketAddress external;
    Timestamp expires;
    std::vector<SocketAddress> contacted;  // remotes the inside has sent to
  };

  const IpAddress* PublicAddressFor(IpFamily family) const;
  Key KeyFor(const SocketAddress& internal, const SocketAddress& remote) const;
  // Finds or creates the mapping for an outbound packet; null if no port.
  Mapping* MapOutbound(const SocketAddress& internal, const SocketAddress& remote,
                       const IpAddress& public_ip);
  // The live mapping on `external`, expiring it if its time has passed.
  Mapping* FindByExternal(const SocketAddress& external);
  bool Admits(const Mapping& m, const SocketAddress& remote) const;
  bool PortInUse(const SocketAddress& external);
  uint16_t AllocatePort(const SocketAddress& internal, const IpAddress& public_ip);
  void Expire(const SocketAddress& external);
  void Inbound(int iface, PacketRef p, bool hairpin);
  void Outbound(int iface, PacketRef p);

  NatConfig config_;
  NatStats stats_;
  Random port_rng_;
  uint32_t next_port_;
  // Both maps are only looked up, never iterated, so hash order cannot leak.
  absl::flat_hash_map<SocketAddress, Mapping> by_external_;
  absl::flat_hash_map<Key, SocketAddress> by_key_;
};

}  // namespace rtcsim::simnet

#endif  // RTCSIM_SIMNET_NAT_H_
