#include "simnet/demo/demo.h"

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "simnet/capture/pcapng_writer.h"
#include "simnet/network.h"
#include "stack/env/status_macros.h"

namespace rtcsim::simnet {
namespace {

IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }

constexpr uint16_t kServerPort = 7000;
constexpr uint16_t kPeerPort = 40000;  // clients ask for it; NATs may change it

// Wire format, all text so the capture reads easily in Wireshark:
//   client → server  "REG <name>"
//   server → client  "PEERS <name>=<addr> ..." (everyone's mapped address)
//   client → client  "MEDIA <from> <seq> <padding>"
class Client {
 public:
  Client(Network& net, Host& host, std::string name, SocketAddress server)
      : net_(net), name_(std::move(name)), server_(server), rng_(host.env().CreateRandom("demo")) {
    auto s = host.env().BindUdp(SocketAddress(host.addresses()[0], kPeerPort));
    socket_ = std::move(s).value();  // the port is free: one socket per host
    socket_->SetReceiveCallback(
        [this](const SocketAddress& from, absl::Span<const uint8_t> d) { OnPacket(from, d); });
  }

  void Start() {
    // Spread the start so clients do not tick in lockstep.
    net_.loop().ScheduleAfter(TimeDelta::Micros(rng_.Uniform(50000)), [this] { Register(); });
    net_.loop().ScheduleAfter(TimeDelta::Micros(rng_.Uniform(20000)), [this] { SendMedia(); });
  }

  const std::string& name() const { return name_; }
  uint64_t sent_to(const std::string& peer) const {
    auto it = sent_.find(peer);
    return it == sent_.end() ? 0 : it->second;
  }
  uint64_t received_from(const std::string& peer) const {
    auto it = received_.find(peer);
    return it == received_.end() ? 0 : it->second;
  }

 private:
  void Send(const SocketAddress& to, const std::string& text) {
    socket_
        ->SendTo(to, absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()),
                                               text.size()))
        .IgnoreError();  // every destination here is valid; loss is the point
  }

  void Register() {
    Send(server_, absl::StrCat("REG ", name_));
    net_.loop().ScheduleAfter(TimeDelta::Millis(500), [this] { Register(); });
  }

  void SendMedia() {
    for (const auto& [peer, addr] : peers_) {
      std::string msg = absl::StrCat("MEDIA ", name_, " ", ++seq_, " ");
      msg.resize(160 + rng_.Uniform(80), '.');  // audio-sized packets
      Send(addr, msg);
      ++sent_[peer];
    }
    net_.loop().ScheduleAfter(TimeDelta::Millis(20), [this] { SendMedia(); });
  }

  void OnPacket(const SocketAddress&, absl::Span<const uint8_t> d) {
    absl::string_view text(reinterpret_cast<const char*>(d.data()), d.size());
    std::vector<absl::string_view> words = absl::StrSplit(text, ' ', absl::SkipEmpty());
    if (words.empty()) return;
    if (words[0] == "PEERS") {
      for (size_t i = 1; i < words.size(); ++i) {
        std::pair<std::string, std::string> kv = absl::StrSplit(words[i], '=');
        if (kv.first == name_) continue;
        auto addr = SocketAddress::Parse(kv.second);
        if (addr.ok()) peers_[kv.first] = *addr;
      }
    } else if (words[0] == "MEDIA" && words.size() >= 2) {
      ++received_[std::string(words[1])];
    }
  }

  Network& net_;
  std::string name_;
  SocketAddress server_;
  Random rng_;
  std::unique_ptr<UdpSocket> socket_;
  // Ordered maps: iteration order drives what is sent, so it must not depend
  // on hashing.
  std::map<std::string, SocketAddress> peers_;
  std::map<std::string, uint64_t> sent_, received_;
  uint64_t seq_ = 0;
};

// Remembers the address each client registers from and tells everyone.
class Rendezvous {
 public:
  explicit Rendezvous(Host& host) {
    socket_ = *host.env().BindUdp(SocketAddress(host.addresses()[0], kServerPort));
    socket_->SetReceiveCallback(
        [this](const SocketAddress& from, absl::Span<const uint8_t> d) { OnPacket(from, d); });
  }

 private:
  void OnPacket(const SocketAddress& from, absl::Span<const uint8_t> d) {
    absl::string_view text(reinterpret_cast<const char*>(d.data()), d.size());
    if (!absl::StartsWith(text, "REG ")) return;
    registered_[std::string(text.substr(4))] = from;
    std::string reply = "PEERS";
    for (const auto& [name, addr] : registered_)
      absl::StrAppend(&reply, " ", name, "=", addr.ToString());
    socket_
        ->SendTo(from, absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(reply.data()),
                                                 reply.size()))
        .IgnoreError();
  }
  std::unique_ptr<UdpSocket> socket_;
  std::map<std::string, SocketAddress> registered_;
};

LinkParams Access(int delay_ms, int jitter_ms, LossModel loss, int64_t bps = 0) {
  LinkParams p;
  p.delay = TimeDelta::Millis(delay_ms);
  p.jitter = TimeDelta::Millis(jitter_ms);
  p.loss = loss;
  p.bandwidth_bps = bps;
  if (bps > 0) p.queue_bytes = bps / 8 / 5;  // 200 ms of queue
  return p;
}

NatConfig MakeNat(const char* public_ip, NatMapping m, NatFiltering f, PortAllocation a,
                  bool hairpin = false) {
  NatConfig c;
  c.public_addresses = {Ip(public_ip)};
  c.mapping = m;
  c.filtering = f;
  c.port_allocation = a;
  c.hairpinning = hairpin;
  return c;
}

}  // namespace

absl::StatusOr<DemoResult> RunDemo(const DemoOptions& options) {
  if (options.duration <= TimeDelta::Zero()) {
    return absl::InvalidArgumentError(
        absl::StrCat("duration must be positive, got ", options.duration.ToString()));
  }
  const auto wall_start = std::chrono::steady_clock::now();
  Network net(options.seed);
  net.trace().EnableJson(!options.out_dir.empty());

  ASSIGN_OR_RETURN(Router * internet, net.AddRouter("internet"));
  ASSIGN_OR_RETURN(Host * server, net.AddHost("rendezvous", {Ip("198.51.100.10")}));
  using M = NatMapping;
  using F = NatFiltering;
  ASSIGN_OR_RETURN(
      Nat * home,
      net.AddNat("nat-home", MakeNat("203.0.113.10", M::kEndpointIndependent,
                                     F::kEndpointIndependent, PortAllocation::kPreserve, true)));
  ASSIGN_OR_RETURN(
      Nat * office,
      net.AddNat("nat-office", MakeNat("203.0.113.20", M::kEndpointIndependent,
                                       F::kAddressAndPortDependent, PortAllocation::kSequential)));
  ASSIGN_OR_RETURN(
      Nat * mobile,
      net.AddNat("nat-mobile", MakeNat("203.0.113.30", M::kAddressAndPortDependent,
                                       F::kAddressAndPortDependent, PortAllocation::kRandom)));
  ASSIGN_OR_RETURN(Nat * cgnat,
                   net.AddNat("cgnat", MakeNat("203.0.113.40", M::kEndpointIndependent,
                                               F::kAddressDependent, PortAllocation::kRandom)));
  ASSIGN_OR_RETURN(
      Nat * dave_home,
      net.AddNat("nat-dave", MakeNat("100.64.0.40", M::kEndpointIndependent,
                                     F::kEndpointIndependent, PortAllocation::kPreserve)));
  ASSIGN_OR_RETURN(Host * alice, net.AddHost("alice", {Ip("192.168.1.10")}));
  ASSIGN_OR_RETURN(Host * bob, net.AddHost("bob", {Ip("10.1.0.20")}));
  ASSIGN_OR_RETURN(Host * carol, net.AddHost("carol", {Ip("10.64.0.30")}));
  ASSIGN_OR_RETURN(Host * dave, net.AddHost("dave", {Ip("192.168.0.40")}));

  LinkParams backbone;
  backbone.delay = TimeDelta::Millis(5);
  RETURN_IF_ERROR(net.Connect(server, internet, backbone).status());
  std::vector<std::pair<Nat*, Link*>> uplinks;
  for (Nat* n : {home, office, mobile, cgnat}) {
    ASSIGN_OR_RETURN(Link * l, net.Connect(n, internet, backbone));
    uplinks.push_back({n, l});
  }
  RETURN_IF_ERROR(net.Connect(dave_home, cgnat, Access(8, 2, LossModel::None())).status());
  // Wi-Fi with bursty loss; a clean office line; a 3G-like mobile link
  // (750 kbit/s, jitter, loss); a cable line.
  ASSIGN_OR_RETURN(Link * wifi,
                   net.Connect(alice, home, Access(10, 8, LossModel::GilbertElliott(0.02, 0.3))));
  RETURN_IF_ERROR(net.Connect(bob, office, Access(4, 1, LossModel::Bernoulli(0.005))).status());
  RETURN_IF_ERROR(
      net.Connect(carol, mobile, Access(120, 30, LossModel::Bernoulli(0.015), 750000)).status());
  RETURN_IF_ERROR(net.Connect(dave, dave_home, Access(12, 4, LossModel::Bernoulli(0.01))).status());

  // One capture per host, and one per NAT uplink showing translated traffic.
  std::vector<std::pair<std::string, PcapngWriter*>> captures;
  for (Host* h : {alice, bob, carol, dave, server}) {
    captures.push_back({absl::StrCat(h->name(), ".pcapng"), net.CaptureHost(h)});
  }
  for (auto [nat, link] : uplinks) {
    captures.push_back({absl::StrCat("link-", nat->name(), ".pcapng"), net.CaptureLink(link)});
  }

  Rendezvous rendezvous(*server);
  const SocketAddress server_addr(Ip("198.51.100.10"), kServerPort);
  std::vector<std::unique_ptr<Client>> clients;
  for (auto [host, name] : {std::pair{alice, "alice"}, std::pair{bob, "bob"},
                            std::pair{carol, "carol"}, std::pair{dave, "dave"}}) {
    clients.push_back(std::make_unique<Client>(net, *host, name, server_addr));
    clients.back()->Start();
  }
  // Mid-run faults: Alice's Wi-Fi drops out for 3 s.
  const Timestamp outage = Timestamp::Zero() + options.duration / 2;
  net.loop().Schedule(outage, [wifi] { wifi->SetUp(false); });
  net.loop().Schedule(outage + TimeDelta::Seconds(3), [wifi] { wifi->SetUp(true); });

  net.RunFor(options.duration);

  DemoResult r;
  r.trace_hash = net.trace().HashHex();
  r.trace_events = net.trace().events();
  r.events_run = net.loop().events_run();
  r.virtual_time = net.now() - Timestamp::Zero();
  for (const auto& l : net.links()) {
    for (int side = 0; side < 2; ++side) {
      const LinkStats& s = l->stats(side);
      r.links.push_back({l->name(), side == 0 ? "up" : "down", s.offered, s.delivered, s.lost,
                         s.queue_drops + s.mtu_drops + s.down_drops, s.duplicated});
    }
  }
  for (Nat* n : {home, office, mobile, cgnat, dave_home}) {
    const NatStats& s = n->stats();
    r.nats.push_back(
        {n->name(),
         absl::StrCat(ToString(n->config().mapping), " mapping, ", ToString(n->config().filtering),
                      " filtering, ", ToString(n->config().port_allocation), " ports"),
         s.mappings_created, s.mappings_expired, s.filtered, s.no_mapping});
  }
  for (const auto& from : clients) {
    for (const auto& to : clients) {
      if (from == to) continue;
      r.pairs.push_back(
          {from->name(), to->name(), from->sent_to(to->name()), to->received_from(from->name())});
    }
  }
  for (const auto& [name, writer] : captures) r.captures.push_back({name, writer->bytes()});
  r.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  if (!options.out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.out_dir, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("cannot create output directory ", options.out_dir, ": ", ec.message()));
    }
    for (const auto& [name, writer] : captures) {
      RETURN_IF_ERROR(writer->WriteToFile(absl::StrCat(options.out_dir, "/", name)));
    }
    RETURN_IF_ERROR(net.trace().WriteJson(options.out_dir + "/trace.json"));
    std::FILE* f = std::fopen((options.out_dir + "/summary.json").c_str(), "w");
    if (f == nullptr) {
      return absl::UnavailableError(
          absl::StrCat("cannot write ", options.out_dir, "/summary.json"));
    }
    std::string json = r.Json(options);
    std::fwrite(json.data(), 1, json.size(), f);
    std::fclose(f);
  }
  return r;
}

std::string DemoResult::Summary() const {
  std::string s =
      absl::StrFormat("rtcsim demo: %.1f s of virtual time in %.2f s of wall time (%d events)\n\n",
                      virtual_time.ns() / 1e9, wall_seconds, events_run);
  absl::StrAppend(&s, absl::StrFormat("%-22s %-5s %8s %10s %7s %8s %6s\n", "link", "dir", "sent",
                                      "delivered", "lost", "dropped", "dup"));
  for (const auto& l : links) {
    absl::StrAppend(&s, absl::StrFormat("%-22s %-5s %8d %10d %7d %8d %6d\n", l.link, l.direction,
                                        l.sent, l.delivered, l.lost, l.dropped, l.duplicated));
  }
  absl::StrAppend(&s, "\n",
                  absl::StrFormat("%-11s %-96s %8s %8s %8s %10s\n", "nat", "behaviour", "mappings",
                                  "expired", "filtered", "no-mapping"));
  for (const auto& n : nats) {
    absl::StrAppend(
        &s, absl::StrFormat("%-11s %-96s %8d %8d %8d %10d\n", n.nat, n.behaviour,
                            n.mappings_created, n.mappings_expired, n.filtered, n.no_mapping));
  }
  absl::StrAppend(&s, "\npeer to peer after rendezvous (hole punching):\n");
  for (const auto& p : pairs) {
    absl::StrAppend(&s, absl::StrFormat("  %-6s -> %-6s %6d sent %6d received  %s\n", p.from, p.to,
                                        p.sent, p.received, p.received == 0 ? "BLOCKED" : "ok"));
  }
  absl::StrAppend(&s, "\ntrace hash ", trace_hash, " (", trace_events, " trace events)\n");
  return s;
}

std::string DemoResult::Json(const DemoOptions& options) const {
  std::string j = absl::StrFormat(
      "{\n  \"seed\": %d,\n  \"trace_hash\": \"%s\",\n  \"trace_events\": %d,\n"
      "  \"events_run\": %d,\n  \"virtual_seconds\": %.3f,\n  \"wall_seconds\": %.3f,\n"
      "  \"links\": [",
      options.seed, trace_hash, trace_events, events_run, virtual_time.ns() / 1e9, wall_seconds);
  for (size_t i = 0; i < links.size(); ++i) {
    const auto& l = links[i];
    absl::StrAppend(
        &j, i ? "," : "", "\n    ",
        absl::StrFormat("{\"link\": \"%s\", \"direction\": \"%s\", \"sent\": %d, "
                        "\"delivered\": %d, \"lost\": %d, \"dropped\": %d, "
                        "\"duplicated\": %d}",
                        l.link, l.direction, l.sent, l.delivered, l.lost, l.dropped, l.duplicated));
  }
  absl::StrAppend(&j, "\n  ],\n  \"nats\": [");
  for (size_t i = 0; i < nats.size(); ++i) {
    const auto& n = nats[i];
    absl::StrAppend(&j, i ? "," : "", "\n    ",
                    absl::StrFormat("{\"nat\": \"%s\", \"behaviour\": \"%s\", "
                                    "\"mappings_created\": %d, \"mappings_expired\": %d, "
                                    "\"filtered\": %d, \"no_mapping\": %d}",
                                    n.nat, n.behaviour, n.mappings_created, n.mappings_expired,
                                    n.filtered, n.no_mapping));
  }
  absl::StrAppend(&j, "\n  ],\n  \"pairs\": [");
  for (size_t i = 0; i < pairs.size(); ++i) {
    const auto& p = pairs[i];
    absl::StrAppend(&j, i ? "," : "", "\n    ",
                    absl::StrFormat("{\"from\": \"%s\", \"to\": \"%s\", \"sent\": %d, "
                                    "\"received\": %d}",
                                    p.from, p.to, p.sent, p.received));
  }
  absl::StrAppend(&j, "\n  ]\n}\n");
  return j;
}

}  // namespace rtcsim::simnet
