#include "conformance/ice/ice_pair.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "simnet/firewall.h"
#include "simnet/host.h"
#include "simnet/nat.h"
#include "stack/env/status_macros.h"
#include "stack/stun/stun_server.h"
#include "stack/turn/turn_server.h"

namespace rtcsim::conformance {
namespace {

using simnet::NatFiltering;
using simnet::NatMapping;

constexpr uint16_t kServerPort = 3478;
constexpr absl::string_view kTurnUser = "alice";
constexpr absl::string_view kTurnPassword = "wonderland";

const char* Short(NatMapping m) {
  switch (m) {
    case NatMapping::kEndpointIndependent:
      return "EIM";
    case NatMapping::kAddressDependent:
      return "ADM";
    case NatMapping::kAddressAndPortDependent:
      return "APDM";
  }
  return "?";
}
const char* Short(NatFiltering f) {
  switch (f) {
    case NatFiltering::kEndpointIndependent:
      return "EIF";
    case NatFiltering::kAddressDependent:
      return "ADF";
    case NatFiltering::kAddressAndPortDependent:
      return "APDF";
  }
  return "?";
}

}  // namespace

std::string Edge::Name() const {
  switch (kind) {
    case Kind::kOpen:
      return "open";
    case Kind::kUdpBlocked:
      return "udp-blocked";
    case Kind::kNat:
      return absl::StrCat(Short(mapping), "/", Short(filtering));
  }
  return "?";
}

std::vector<Edge> Edge::All() {
  std::vector<Edge> all = {Edge{Kind::kOpen}};
  for (NatMapping m : {NatMapping::kEndpointIndependent, NatMapping::kAddressDependent,
                       NatMapping::kAddressAndPortDependent}) {
    for (NatFiltering f : {NatFiltering::kEndpointIndependent, NatFiltering::kAddressDependent,
                           NatFiltering::kAddressAndPortDependent}) {
      all.push_back(Edge{Kind::kNat, m, f});
    }
  }
  all.push_back(Edge{Kind::kUdpBlocked});
  return all;
}

absl::StatusOr<Edge> Edge::Parse(absl::string_view name) {
  for (const Edge& e : All()) {
    if (e.Name() == name) return e;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown edge \"", name, "\""));
}

std::string ToString(Servers s) {
  switch (s) {
    case Servers::kNone:
      return "none";
    case Servers::kStun:
      return "stun";
    case Servers::kStunTurn:
      return "stun+turn";
  }
  return "?";
}

absl::StatusOr<Servers> ParseServers(absl::string_view name) {
  for (Servers s : {Servers::kNone, Servers::kStun, Servers::kStunTurn}) {
    if (ToString(s) == name) return s;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown server set \"", name, "\""));
}

std::string ToString(AddressClass c) {
  switch (c) {
    case AddressClass::kHost:
      return "host";
    case AddressClass::kNatMapping:
      return "srflx";
    case AddressClass::kRelay:
      return "relay";
    case AddressClass::kUnknown:
      return "?";
  }
  return "?";
}

struct IcePair::Servers {
  std::unique_ptr<stun::StunBindingServer> stun;
  std::unique_ptr<turn::TurnServer> turn;
};

IcePair::IcePair(const IcePairOptions& options) : options_(options), net_(options.seed) {}
IcePair::~IcePair() = default;

absl::StatusOr<std::unique_ptr<IcePair>> IcePair::Create(const IcePairOptions& options) {
  std::unique_ptr<IcePair> pair(new IcePair(options));
  RETURN_IF_ERROR(pair->Build());
  return pair;
}

std::vector<IpAddress> IcePair::HostAddresses(int a, int b, int c, int d) const {
  std::vector<IpAddress> out;
  for (int k = 0; k < options_.addresses_per_host; ++k) {
    out.push_back(IpAddress::V4(static_cast<uint8_t>(a), static_cast<uint8_t>(b),
                                static_cast<uint8_t>(c), static_cast<uint8_t>(d + 10 * k)));
  }
  return out;
}

absl::Status IcePair::Build() {
  if (options_.addresses_per_host < 1 || options_.addresses_per_host > 8) {
    return absl::InvalidArgumentError("addresses_per_host must be in 1..8");
  }
  simnet::LinkParams core;
  core.delay = options_.access_delay;
  simnet::LinkParams lan;  // host to its NAT or firewall: no delay of its own

  ASSIGN_OR_RETURN(simnet::Router * internet, net_.AddRouter("internet"));
  const IpAddress server_ip = IpAddress::V4(198, 51, 100, 1);
  server_address_ = SocketAddress(server_ip, kServerPort);
  ASSIGN_OR_RETURN(simnet::Host * server, net_.AddHost("server", {server_ip}));
  RETURN_IF_ERROR(net_.Connect(server, internet, core).status());

  servers_ = std::make_unique<Servers>();
  if (options_.servers == conformance::Servers::kStun) {
    ASSIGN_OR_RETURN(servers_->stun,
                     stun::StunBindingServer::Create(server->env(), server_address_));
    ice::IceServer s;
    s.type = ice::IceServer::Type::kStun;
    s.address = server_address_;
    options_.agent_config.servers.push_back(s);
  } else if (options_.servers == conformance::Servers::kStunTurn) {
    // One server for both, as coturn is usually deployed: it answers Binding
    // requests on the TURN port and relays from its own address.
    turn::TurnServerConfig config;
    config.listen = server_address_;
    config.relay_addresses = {server_ip};
    config.realm = "rtcsim.test";
    config.users[std::string(kTurnUser)] = std::string(kTurnPassword);
    ASSIGN_OR_RETURN(servers_->turn, turn::TurnServer::Create(server->env(), config));
    ice::IceServer stun;
    stun.type = ice::IceServer::Type::kStun;
    stun.address = server_address_;
    ice::IceServer relay = stun;
    relay.type = ice::IceServer::Type::kTurn;
    relay.username = std::string(kTurnUser);
    relay.password = std::string(kTurnPassword);
    options_.agent_config.servers.push_back(stun);
    options_.agent_config.servers.push_back(relay);
  }

  for (int i = 0; i < 2; ++i) {
    const Edge& edge = options_.edges[i];
    const std::string side = i == 0 ? "a" : "b";
    simnet::LinkParams access = core;
    access.loss = options_.access_loss[i];
    simnet::Host* host = nullptr;
    if (edge.kind == Edge::Kind::kNat) {
      simnet::NatConfig nat;
      const IpAddress public_ip = IpAddress::V4(203, 0, 113, static_cast<uint8_t>(10 + i));
      nat.public_addresses = {public_ip};
      nat.mapping = edge.mapping;
      nat.filtering = edge.filtering;
      nat_publics_.push_back(public_ip);
      ASSIGN_OR_RETURN(simnet::Nat * n, net_.AddNat("nat-" + side, nat));
      ASSIGN_OR_RETURN(access_links_[i], net_.Connect(n, internet, access));
      ASSIGN_OR_RETURN(host, net_.AddHost("host-" + side, HostAddresses(10, 0, 1 + i, 2)));
      RETURN_IF_ERROR(net_.Connect(host, n, lan).status());
    } else {
      ASSIGN_OR_RETURN(host, net_.AddHost("host-" + side, HostAddresses(192, 0, 2, 10 + i)));
      if (edge.kind == Edge::Kind::kUdpBlocked) {
        simnet::FirewallConfig fw;
        fw.block_udp = true;
        ASSIGN_OR_RETURN(simnet::Firewall * f, net_.AddFirewall("fw-" + side, fw));
        ASSIGN_OR_RETURN(access_links_[i], net_.Connect(f, internet, access));
        RETURN_IF_ERROR(net_.Connect(host, f, lan).status());
      } else {
        ASSIGN_OR_RETURN(access_links_[i], net_.Connect(host, internet, access));
      }
    }
    hosts_[i] = host;
    if (options_.capture) captures_[i] = net_.CaptureHost(host);
  }

  for (int i = 0; i < 2; ++i) {
    ice::IceAgentConfig config = options_.agent_config;
    if (options_.addresses_per_host > 1) config.local_addresses = hosts_[i]->addresses();
    config.role = i == 0 ? ice::IceRole::kControlling : ice::IceRole::kControlled;
    ice::IceAgent::Callbacks cb;
    cb.on_candidate = [this, i](const ice::Candidate& c) {
      Signal(i, [c](ice::IceAgent& remote) { remote.AddRemoteCandidate(c).IgnoreError(); });
    };
    cb.on_gathering_complete = [this, i] {
      Signal(i, [](ice::IceAgent& remote) { remote.AddRemoteEndOfCandidates(); });
    };
    cb.on_state = [this, i](ice::IceConnectionState s) { OnState(i, s); };
    cb.on_data = [this, i](absl::Span<const uint8_t> data) {
      received_[i].emplace_back(data.begin(), data.end());
    };
    agents_[i] = std::make_unique<ice::IceAgent>(hosts_[i]->env(), config, std::move(cb));
  }
  return absl::OkStatus();
}

void IcePair::Signal(int from, std::function<void(ice::IceAgent&)> deliver) {
  const int to = 1 - from;
  hosts_[from]->env().PostDelayedTask(
      options_.signalling_delay,
      [this, to, deliver = std::move(deliver)] { deliver(*agents_[to]); });
}

void IcePair::OnState(int side, ice::IceConnectionState state) {
  history_[side].push_back(state);
  if (connected_at_ == Timestamp::Infinite() && Connected()) connected_at_ = net_.now();
}

absl::Status IcePair::Start() {
  for (int i = 0; i < 2; ++i) {
    const ice::IceCredentials creds = agents_[i]->local_credentials();
    Signal(i, [creds](ice::IceAgent& remote) { remote.SetRemoteCredentials(creds); });
  }
  for (int i = 0; i < 2; ++i) RETURN_IF_ERROR(agents_[i]->GatherCandidates());
  return absl::OkStatus();
}

absl::Status IcePair::RestartIce() {
  for (int i = 0; i < 2; ++i) RETURN_IF_ERROR(agents_[i]->RestartIce());
  for (int i = 0; i < 2; ++i) {
    const ice::IceCredentials creds = agents_[i]->local_credentials();
    Signal(i, [creds](ice::IceAgent& remote) { remote.SetRemoteCredentials(creds); });
  }
  return absl::OkStatus();
}

namespace {
bool IsUp(ice::IceConnectionState s) {
  return s == ice::IceConnectionState::kConnected || s == ice::IceConnectionState::kCompleted;
}
}  // namespace

bool IcePair::Connected() const { return IsUp(agents_[0]->state()) && IsUp(agents_[1]->state()); }

bool IcePair::AnyFailed() const {
  return agents_[0]->state() == ice::IceConnectionState::kFailed ||
         agents_[1]->state() == ice::IceConnectionState::kFailed;
}

bool IcePair::Settled() const {
  for (const auto& agent : agents_) {
    if (!IsUp(agent->state()) && agent->state() != ice::IceConnectionState::kFailed) return false;
  }
  return true;
}

void IcePair::RunUntilSettled(TimeDelta limit) {
  const Timestamp end = net_.now() + limit;
  // Step in small slices so the run stops soon after it settles.
  while (net_.now() < end && !Settled()) {
    const Timestamp next = std::min(end, net_.now() + TimeDelta::Millis(10));
    net_.RunUntil(next);
  }
}

AddressClass IcePair::Classify(const SocketAddress& address) const {
  if (address.ip() == server_address_.ip()) return AddressClass::kRelay;
  for (const IpAddress& ip : nat_publics_) {
    if (address.ip() == ip) return AddressClass::kNatMapping;
  }
  for (const simnet::Host* h : hosts_) {
    for (const IpAddress& ip : h->addresses()) {
      if (address.ip() == ip) return AddressClass::kHost;
    }
  }
  return AddressClass::kUnknown;
}

std::string IcePair::SelectedPath(int side) const {
  auto pair = agents_[side]->selected_pair();
  if (!pair) return "-";
  return absl::StrCat(ToString(Classify(pair->local.address)), "/",
                      ToString(Classify(pair->remote.address)));
}

}  // namespace rtcsim::conformance
