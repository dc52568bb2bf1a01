#include "simnet/network.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "simnet/capture/pcapng_writer.h"

namespace rtcsim::simnet {

Network::Network(uint64_t seed) : seed_(seed) {}

// Links and nodes go before the loop: pending events only hold raw pointers.
Network::~Network() {
  links_.clear();
  nodes_.clear();
}

absl::Status Network::CheckNewNode(absl::string_view name,
                                   const std::vector<IpAddress>& addresses) {
  if (name.empty()) return absl::InvalidArgumentError("a node needs a name");
  for (char c : name) {
    if (!(absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.')) {
      return absl::InvalidArgumentError(
          absl::StrCat("node name \"", name, "\" may only use letters, digits, '-', '_' and '.'"));
    }
  }
  if (FindNode(name) != nullptr) {
    return absl::AlreadyExistsError(absl::StrCat("duplicate node name \"", name, "\""));
  }
  for (const IpAddress& a : addresses) {
    if (a.family() == IpFamily::kNone || a.IsUnspecified() || a.IsMulticast()) {
      return absl::InvalidArgumentError(
          absl::StrCat("node ", name, ": ", a.ToString(), " is not a unicast address"));
    }
    for (const auto& n : nodes_) {
      if (n->HasAddress(a)) {
        return absl::AlreadyExistsError(absl::StrCat("node ", name, ": address ", a.ToString(),
                                                     " already belongs to ", n->name()));
      }
    }
  }
  return absl::OkStatus();
}

template <typename T>
T* Network::AddNode(std::unique_ptr<T> node) {
  T* raw = node.get();
  nodes_.push_back(std::move(node));
  return raw;
}

absl::StatusOr<Host*> Network::AddHost(absl::string_view name, std::vector<IpAddress> addresses) {
  absl::Status s = CheckNewNode(name, addresses);
  if (!s.ok()) return s;
  if (addresses.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("host ", name, " needs an address"));
  }
  return AddNode(std::make_unique<Host>(this, std::string(name), std::move(addresses)));
}

absl::Status Network::SetHostAddresses(Host* host, std::vector<IpAddress> addresses) {
  if (host == nullptr) return absl::InvalidArgumentError("SetHostAddresses: no host");
  if (addresses.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("host ", host->name(), " needs an address"));
  }
  for (size_t i = 0; i < addresses.size(); ++i) {
    const IpAddress& a = addresses[i];
    if (a.family() == IpFamily::kNone || a.IsUnspecified() || a.IsMulticast()) {
      return absl::InvalidArgumentError(
          absl::StrCat("node ", host->name(), ": ", a.ToString(), " is not a unicast address"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (addresses[j] == a) {
        return absl::InvalidArgumentError(
            absl::StrCat("node ", host->name(), ": address ", a.ToString(), " is listed twice"));
      }
    }
    for (const auto& n : nodes_) {
      if (n.get() != host && n->HasAddress(a)) {
        return absl::AlreadyExistsError(absl::StrCat(
            "node ", host->name(), ": address ", a.ToString(), " already belongs to ", n->name()));
      }
    }
  }
  const IpAddress old_first = host->addresses_.front();
  host->addresses_ = std::move(addresses);
  host->OnAddressesChanged();
  RebuildRoutes();
  trace_.Record(now(), TraceKind::kAddressChanged, host->trace_id(), 0, SocketAddress(old_first, 0),
                SocketAddress(host->addresses_.front(), 0), 0,
                static_cast<int64_t>(host->addresses_.size()));
  return absl::OkStatus();
}

absl::StatusOr<Router*> Network::AddRouter(absl::string_view name,
                                           std::vector<IpAddress> addresses) {
  absl::Status s = CheckNewNode(name, addresses);
  if (!s.ok()) return s;
  return AddNode(std::make_unique<Router>(this, std::string(name), std::move(addresses)));
}

absl::StatusOr<Nat*> Network::AddNat(absl::string_view name, NatConfig config) {
  absl::Status s = ValidateNatConfig(config);
  if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat("nat ", name, ": ", s.message()));
  s = CheckNewNode(name, config.public_addresses);
  if (!s.ok()) return s;
  return AddNode(std::make_unique<Nat>(this, std::string(name), std::move(config)));
}

absl::StatusOr<Firewall*> Network::AddFirewall(absl::string_view name, FirewallConfig config) {
  absl::Status s = CheckNewNode(name, {});
  if (!s.ok()) return s;
  return AddNode(std::make_unique<Firewall>(this, std::string(name), std::move(config)));
}

absl::StatusOr<Link*> Network::Connect(Node* downstream, Node* upstream, const LinkParams& params) {
  if (downstream == nullptr || upstream == nullptr) {
    return absl::InvalidArgumentError("connect: both ends must exist");
  }
  const std::string name = absl::StrCat(downstream->name(), "-", upstream->name());
  if (downstream == upstream) {
    return absl::InvalidArgumentError(absl::StrCat("link ", name, " connects a node to itself"));
  }
  if (downstream->uplink_ >= 0) {
    return absl::FailedPreconditionError(absl::StrCat("link ", name, ": ", downstream->name(),
                                                      " already has an uplink to ",
                                                      downstream->parent()->name()));
  }
  if (downstream->kind() == NodeKind::kHost && upstream->kind() == NodeKind::kHost) {
    return absl::InvalidArgumentError(
        absl::StrCat("link ", name, ": hosts do not forward; put a router between them"));
  }
  for (Node* n = upstream; n != nullptr; n = n->parent()) {
    if (n == downstream) {
      return absl::InvalidArgumentError(absl::StrCat("link ", name, " would make a loop"));
    }
  }
  absl::Status s = ValidateLinkParams(params);
  if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat("link ", name, ": ", s.message()));

  int down_iface = static_cast<int>(downstream->ifaces_.size());
  int up_iface = static_cast<int>(upstream->ifaces_.size());
  auto link = std::make_unique<Link>(this, name, downstream, down_iface, upstream, up_iface);
  downstream->ifaces_.push_back({link.get(), 0});
  downstream->uplink_ = down_iface;
  upstream->ifaces_.push_back({link.get(), 1});
  link->SetParams(params).IgnoreError();  // validated above
  links_.push_back(std::move(link));
  RebuildRoutes();
  return links_.back().get();
}

void Network::RebuildRoutes() {
  for (const auto& n : nodes_) {
    n->host_routes_.clear();
    for (size_t i = 0; i < n->ifaces_.size(); ++i) {
      if (static_cast<int>(i) == n->uplink_) continue;
      const Node::Interface& iface = n->ifaces_[i];
      std::vector<IpAddress> reachable;
      iface.link->end(1 - iface.side)->CollectReachable(&reachable);
      for (const IpAddress& a : reachable) n->host_routes_[a] = static_cast<int>(i);
    }
  }
}

Node* Network::FindNode(absl::string_view name) const {
  for (const auto& n : nodes_) {
    if (n->name() == name) return n.get();
  }
  return nullptr;
}

PcapngWriter* Network::CaptureHost(Host* host) {
  captures_.push_back(std::make_unique<PcapngWriter>());
  host->SetCapture(captures_.back().get());
  return captures_.back().get();
}

PcapngWriter* Network::CaptureLink(Link* link) {
  captures_.push_back(std::make_unique<PcapngWriter>());
  link->SetCapture(captures_.back().get());
  return captures_.back().get();
}

}  // namespace rtcsim::simnet
