#include "simnet/nat.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "simnet/network.h"

namespace rtcsim::simnet {

const char* ToString(NatMapping m) {
  switch (m) {
    case NatMapping::kEndpointIndependent:
      return "endpoint-independent";
    case NatMapping::kAddressDependent:
      return "address-dependent";
    case NatMapping::kAddressAndPortDependent:
      return "address-and-port-dependent";
  }
  return "unknown";
}

const char* ToString(NatFiltering f) {
  switch (f) {
    case NatFiltering::kEndpointIndependent:
      return "endpoint-independent";
    case NatFiltering::kAddressDependent:
      return "address-dependent";
    case NatFiltering::kAddressAndPortDependent:
      return "address-and-port-dependent";
  }
  return "unknown";
}

const char* ToString(PortAllocation a) {
  switch (a) {
    case PortAllocation::kPreserve:
      return "preserve";
    case PortAllocation::kSequential:
      return "sequential";
    case PortAllocation::kRandom:
      return "random";
  }
  return "unknown";
}

absl::Status ValidateNatConfig(const NatConfig& c) {
  if (c.public_addresses.empty()) {
    return absl::InvalidArgumentError("a NAT needs at least one public address");
  }
  bool v4 = false, v6 = false;
  for (const IpAddress& a : c.public_addresses) {
    if (a.family() == IpFamily::kNone || a.IsUnspecified() || a.IsMulticast()) {
      return absl::InvalidArgumentError(
          absl::StrCat("NAT public address ", a.ToString(), " is not a unicast address"));
    }
    bool& seen = a.is_v4() ? v4 : v6;
    if (seen)
      return absl::InvalidArgumentError("a NAT takes at most one public address per family");
    seen = true;
  }
  if (c.mapping_lifetime <= TimeDelta::Zero()) {
    return absl::InvalidArgumentError(
        absl::StrCat("NAT mapping_lifetime must be positive, got ", c.mapping_lifetime.ToString()));
  }
  if (c.port_min == 0 || c.port_min > c.port_max) {
    return absl::InvalidArgumentError(
        absl::StrCat("NAT port range [", c.port_min, ", ", c.port_max, "] is empty or includes 0"));
  }
  return absl::OkStatus();
}

Nat::Nat(Network* net, std::string name, NatConfig config)
    : Node(net, std::move(name), NodeKind::kNat, config.public_addresses),
      config_(std::move(config)),
      port_rng_(net->CreateRandom(absl::StrCat("nat/", this->name(), "/ports"))),
      next_port_(config_.port_min) {}

void Nat::CollectReachable(std::vector<IpAddress>* out) const {
  out->insert(out->end(), addresses_.begin(), addresses_.end());
  std::vector<IpAddress> below;
  CollectBelow(&below);
  // Inside addresses are hidden, except for families this NAT does not
  // translate, which it routes as they are.
  for (const IpAddress& a : below) {
    if (PublicAddressFor(a.family()) == nullptr) out->push_back(a);
  }
}

const IpAddress* Nat::PublicAddressFor(IpFamily family) const {
  for (const IpAddress& a : addresses_) {
    if (a.family() == family) return &a;
  }
  return nullptr;
}

Nat::Key Nat::KeyFor(const SocketAddress& internal, const SocketAddress& remote) const {
  switch (config_.mapping) {
    case NatMapping::kEndpointIndependent:
      return Key{internal, SocketAddress()};
    case NatMapping::kAddressDependent:
      return Key{internal, SocketAddress(remote.ip(), 0)};
    case NatMapping::kAddressAndPortDependent:
      return Key{internal, remote};
  }
  return Key{internal, remote};
}

size_t Nat::active_mappings() const {
  const Timestamp now = net_->now();
  return std::count_if(by_external_.begin(), by_external_.end(),
                       [now](const auto& kv) { return kv.second.expires > now; });
}

void Nat::DropAllMappings() {
  net_->trace().Note(net_->now(), trace_id_,
                     absl::StrCat("nat ", name(), " dropped ", by_external_.size(), " mappings"));
  by_external_.clear();
  by_key_.clear();
}

void Nat::Expire(const SocketAddress& external) {
  auto it = by_external_.find(external);
  ++stats_.mappings_expired;
  net_->trace().Record(net_->now(), TraceKind::kNatMappingExpired, trace_id_, 0,
                       it->second.key.internal, external, 0);
  by_key_.erase(it->second.key);
  by_external_.erase(it);
}

Nat::Mapping* Nat::FindByExternal(const SocketAddress& external) {
  auto it = by_external_.find(external);
  if (it == by_external_.end()) return nullptr;
  if (it->second.expires <= net_->now()) {
    Expire(external);
    return nullptr;
  }
  return &it->second;
}

bool Nat::PortInUse(const SocketAddress& external) { return FindByExternal(external) != nullptr; }

uint16_t Nat::AllocatePort(const SocketAddress& internal, const IpAddress& public_ip) {
  const uint32_t lo = config_.port_min, hi = config_.port_max;
  if (config_.port_allocation == PortAllocation::kPreserve && internal.port() >= lo &&
      internal.port() <= hi && !PortInUse(SocketAddress(public_ip, internal.port()))) {
    return internal.port();
  }
  if (config_.port_allocation == PortAllocation::kRandom) {
    for (int tries = 0; tries < 64; ++tries) {
      uint16_t port = static_cast<uint16_t>(port_rng_.UniformRange(lo, hi));
      if (!PortInUse(SocketAddress(public_ip, port))) return port;
    }
  }
  // Sequential, and the fallback of the other two.
  for (uint32_t n = 0; n <= hi - lo; ++n) {
    uint16_t port = static_cast<uint16_t>(next_port_);
    next_port_ = next_port_ >= hi ? lo : next_port_ + 1;
    if (!PortInUse(SocketAddress(public_ip, port))) return port;
  }
  return 0;
}

Nat::Mapping* Nat::MapOutbound(const SocketAddress& internal, const SocketAddress& remote,
                               const IpAddress& public_ip) {
  const Key key = KeyFor(internal, remote);
  const Timestamp now = net_->now();
  Mapping* m = nullptr;
  auto it = by_key_.find(key);
  if (it != by_key_.end()) m = FindByExternal(it->second);
  if (m == nullptr) {
    uint16_t port = AllocatePort(internal, public_ip);
    if (port == 0) return nullptr;
    SocketAddress external(public_ip, port);
    m = &by_external_[external];
    *m = Mapping{key, external, now, {}};
    by_key_[key] = external;
    ++stats_.mappings_created;
    net_->trace().Record(now, TraceKind::kNatMappingCreated, trace_id_, 0, internal, external, 0);
  }
  m->expires = now + config_.mapping_lifetime;  // REQ-6: outbound refreshes
  if (std::find(m->contacted.begin(), m->contacted.end(), remote) == m->contacted.end()) {
    m->contacted.push_back(remote);
  }
  return m;
}

// Filtering permissions live as long as their mapping (a simplification of
// RFC 4787 §5, which lets them time out separately).
bool Nat::Admits(const Mapping& m, const SocketAddress& remote) const {
  switch (config_.filtering) {
    case NatFiltering::kEndpointIndependent:
      return true;
    case NatFiltering::kAddressDependent:
      return std::any_of(m.contacted.begin(), m.contacted.end(),
                         [&](const SocketAddress& c) { return c.ip() == remote.ip(); });
    case NatFiltering::kAddressAndPortDependent:
      return std::find(m.contacted.begin(), m.contacted.end(), remote) != m.contacted.end();
  }
  return false;
}

void Nat::Receive(int iface, PacketRef ref) {
  Packet& p = net_->packets()[ref];
  if (p.ttl <= 1) {
    Drop(ref, TraceKind::kTtlExpired);
    return;
  }
  --p.ttl;
  if (iface == uplink_ && PublicAddressFor(p.dst.family()) != nullptr) {
    Inbound(iface, ref, /*hairpin=*/false);
  } else if (iface == uplink_) {
    Forward(iface, ref);  // an untranslated family
  } else {
    Outbound(iface, ref);
  }
}

void Nat::Inbound(int iface, PacketRef ref, bool hairpin) {
  Packet& p = net_->packets()[ref];
  Mapping* m = FindByExternal(p.dst);
  if (m == nullptr) {
    ++stats_.no_mapping;
    Drop(ref, TraceKind::kNatNoMapping);
    return;
  }
  if (!Admits(*m, p.src)) {
    ++stats_.filtered;
    Drop(ref, TraceKind::kNatFiltered);
    return;
  }
  if (config_.inbound_refresh) m->expires = net_->now() + config_.mapping_lifetime;
  p.dst = m->key.internal;
  if (hairpin) {
    ++stats_.hairpinned;
  } else {
    ++stats_.translated_in;
  }
  int out = Lookup(p.dst.ip());
  if (out < 0 || out == uplink_) {
    Drop(ref, TraceKind::kNoRoute);
    return;
  }
  Transmit(out, ref);
}

void Nat::Outbound(int iface, PacketRef ref) {
  Packet& p = net_->packets()[ref];
  // Inside-to-inside traffic is routed without translation.
  int route = Lookup(p.dst.ip());
  if (route >= 0 && route != uplink_) {
    if (route == iface) {
      Drop(ref, TraceKind::kNoRoute);
    } else {
      Transmit(route, ref);
    }
    return;
  }
  const IpAddress* pub = PublicAddressFor(p.src.family());
  if (pub == nullptr) {
    Forward(iface, ref);
    return;
  }
  const bool hairpin = HasAddress(p.dst.ip());
  if (hairpin && !config_.hairpinning) {
    ++stats_.hairpin_drops;
    Drop(ref, TraceKind::kNatHairpinDrop);
    return;
  }
  Mapping* m = MapOutbound(p.src, p.dst, *pub);
  if (m == nullptr) {
    ++stats_.port_exhausted;
    Drop(ref, TraceKind::kNatNoMapping, 1);
    return;
  }
  p.src = m->external;
  if (hairpin) {
    // RFC 4787 REQ-9: the hairpinned packet carries the sender's external
    // address, and is filtered like any inbound packet.
    Inbound(iface, ref, /*hairpin=*/true);
    return;
  }
  ++stats_.translated_out;
  if (uplink_ < 0) {
    Drop(ref, TraceKind::kNoRoute);
    return;
  }
  Transmit(uplink_, ref);
}

}  // namespace rtcsim::simnet
