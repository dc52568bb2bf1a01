#include "scenarios/runner/scenario_loader.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace rtcsim::scenarios {
namespace {

namespace pb = google::protobuf;
using scenario::Scenario;

constexpr int kMaxErrors = 30;
constexpr int kMaxPeers = 2000;
constexpr int kMaxGroup = 1000;

// One step of a path into the message: a field name and, for repeated
// fields, an index.
struct Step {
  const char* field;
  int index = -1;
};
using Path = std::vector<Step>;

Path Join(const Path& a, std::initializer_list<Step> more) {
  Path p = a;
  p.insert(p.end(), more.begin(), more.end());
  return p;
}

// Turns a path into "file:line:col" using the parser's location tree, or
// into "file: topology.link[2].to" when there is no tree.
class Locator {
 public:
  Locator(std::string file, const pb::TextFormat::ParseInfoTree* tree)
      : file_(std::move(file)), tree_(tree) {}

  std::string At(const Path& path) const {
    if (tree_ == nullptr) {
      std::vector<std::string> parts;
      for (const Step& s : path) {
        parts.push_back(s.index >= 0 ? absl::StrCat(s.field, "[", s.index, "]") : s.field);
      }
      return absl::StrCat(file_, ": ", absl::StrJoin(parts, "."));
    }
    int line = -1, col = -1;
    Locate(path, &line, &col);
    if (line < 0) return file_;
    return absl::StrCat(file_, ":", line + 1, ":", col + 1);
  }

  int Line(const Path& path) const {
    if (tree_ == nullptr) return 0;
    int line = -1, col = -1;
    Locate(path, &line, &col);
    return line + 1;
  }

 private:
  // The deepest element of `path` the file mentions.
  void Locate(const Path& path, int* line, int* col) const {
    const pb::Descriptor* d = Scenario::descriptor();
    const pb::TextFormat::ParseInfoTree* tree = tree_;
    for (const Step& s : path) {
      if (d == nullptr || tree == nullptr) return;
      const pb::FieldDescriptor* f = d->FindFieldByName(s.field);
      if (f == nullptr) return;
      const pb::TextFormat::ParseLocation loc = tree->GetLocation(f, s.index);
      if (loc.line < 0) return;
      *line = loc.line;
      *col = loc.column;
      if (f->type() != pb::FieldDescriptor::TYPE_MESSAGE) return;
      tree = tree->GetTreeForNested(f, s.index);
      d = f->message_type();
    }
  }

  std::string file_;
  const pb::TextFormat::ParseInfoTree* tree_;
};

class ErrorCollector : public pb::io::ErrorCollector {
 public:
  explicit ErrorCollector(std::string file) : file_(std::move(file)) {}
  void AddError(int line, pb::io::ColumnNumber column, const std::string& message) override {
    errors_.push_back(absl::StrCat(file_, ":", line + 1, ":", column + 1, ": ", message));
  }
  void AddWarning(int line, pb::io::ColumnNumber column, const std::string& message) override {
    AddError(line, column, message);
  }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::string file_;
  std::vector<std::string> errors_;
};

bool ValidName(absl::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

TimeDelta Ms(double ms) { return TimeDelta::Micros(std::llround(ms * 1000)); }

scenario::LinkParams Profile(double delay_ms, double jitter_ms, double loss_percent,
                             double bandwidth_kbps, uint32_t queue_packets) {
  scenario::LinkParams p;
  p.set_delay_ms(delay_ms);
  p.set_jitter_ms(jitter_ms);
  p.set_reorder(false);
  p.set_loss_percent(loss_percent);
  p.set_duplicate_percent(0);
  p.set_bandwidth_kbps(bandwidth_kbps);
  p.set_queue_bytes(0);
  p.set_queue_packets(queue_packets);
  p.set_mtu(1500);
  return p;
}

class Builder {
 public:
  Builder(const Scenario& s, std::string file, const pb::TextFormat::ParseInfoTree* tree)
      : s_(s), file_(file), loc_(std::move(file), tree) {}

  absl::StatusOr<Model> Build() {
    model_.source = s_;
    model_.file = file_;
    model_.name = s_.name().empty() ? file_ : s_.name();
    model_.description = s_.description();
    model_.seed = s_.seed() == 0 ? 1 : s_.seed();
    if (s_.duration_s() < 0 || s_.duration_s() > 86400) {
      Error({{"duration_s"}},
            absl::StrCat("duration_s must be in (0, 86400], got ", s_.duration_s()));
    }
    if (s_.duration_s() > 0) model_.duration = Ms(s_.duration_s() * 1000);
    model_.run_full_duration = s_.run_full_duration();
    model_.allow_errors = s_.allow_errors();

    Profiles();
    Topology();
    Peers();
    Signaling();
    Calls();
    Events();
    Expectations();
    if (!errors_.empty()) {
      return absl::InvalidArgumentError(absl::StrJoin(errors_, "\n"));
    }
    return std::move(model_);
  }

 private:
  void Error(const Path& path, absl::string_view message) {
    if (errors_.size() < kMaxErrors) errors_.push_back(absl::StrCat(loc_.At(path), ": ", message));
  }

  // --- names

  // Registers a node or server name, or (in their own name space) a peer
  // name: a peer may share its host's name.
  bool Claim(const std::string& name, const Path& path, absl::string_view what) {
    auto& names = what == "peer" ? peer_names_ : names_;
    if (!ValidName(name)) {
      Error(path, absl::StrCat(what, " name \"", name,
                               "\" must be 1-64 letters, digits, '-', '_' or '.'"));
      return false;
    }
    auto [it, inserted] = names.emplace(name, loc_.At(path));
    if (!inserted) {
      Error(path, absl::StrCat("duplicate name \"", name, "\" (first used at ", it->second, ")"));
      return false;
    }
    return true;
  }

  // --- profiles and link parameters

  void Profiles() {
    for (const auto& [name, params] : BuiltinProfiles()) profiles_[name] = params;
    for (int i = 0; i < s_.profile_size(); ++i) {
      const scenario::Profile& p = s_.profile(i);
      const Path path = {{"profile", i}};
      if (!ValidName(p.name())) {
        Error(path, absl::StrCat("profile name \"", p.name(), "\" is not a valid name"));
        continue;
      }
      if (profiles_.contains(p.name())) {
        Error(path, absl::StrCat("duplicate profile \"", p.name(), "\"",
                                 BuiltinProfiles().contains(p.name()) ? " (a built-in one)" : ""));
        continue;
      }
      // A profile may start from an earlier one.
      auto resolved = Resolve(p.params(), Join(path, {{"params"}}));
      if (resolved.has_value()) profiles_[p.name()] = *resolved;
    }
  }

  // The profile's fields, then the ones set here; checks ranges.
  std::optional<scenario::LinkParams> Resolve(const scenario::LinkParams& p, const Path& path) {
    scenario::LinkParams out;
    if (!p.profile().empty()) {
      auto it = profiles_.find(p.profile());
      if (it == profiles_.end()) {
        std::vector<std::string> known;
        for (const auto& [name, unused] : profiles_) known.push_back(name);
        Error(Join(path, {{"profile"}}),
              absl::StrCat("unknown profile \"", p.profile(),
                           "\" (known: ", absl::StrJoin(known, ", "), ")"));
        return std::nullopt;
      }
      out = it->second;
    }
    scenario::LinkParams own = p;
    own.clear_profile();
    out.MergeFrom(own);
    if (p.has_burst_loss()) out.clear_loss_percent();
    if (p.has_loss_percent()) out.clear_burst_loss();
    bool ok = true;
    auto check = [&](bool good, const char* field, absl::string_view message) {
      if (!good) {
        Error(Join(path, {{field}}), message);
        ok = false;
      }
    };
    check(!p.has_delay_ms() || (p.delay_ms() >= 0 && p.delay_ms() <= 60000), "delay_ms",
          absl::StrCat("delay_ms must be in [0, 60000], got ", p.delay_ms()));
    check(!p.has_jitter_ms() || (p.jitter_ms() >= 0 && p.jitter_ms() <= 60000), "jitter_ms",
          absl::StrCat("jitter_ms must be in [0, 60000], got ", p.jitter_ms()));
    check(!p.has_loss_percent() || (p.loss_percent() >= 0 && p.loss_percent() <= 100),
          "loss_percent", absl::StrCat("loss_percent must be in [0, 100], got ", p.loss_percent()));
    check(
        !p.has_duplicate_percent() || (p.duplicate_percent() >= 0 && p.duplicate_percent() <= 100),
        "duplicate_percent",
        absl::StrCat("duplicate_percent must be in [0, 100], got ", p.duplicate_percent()));
    check(!p.has_bandwidth_kbps() || p.bandwidth_kbps() >= 0, "bandwidth_kbps",
          absl::StrCat("bandwidth_kbps must not be negative, got ", p.bandwidth_kbps()));
    check(!p.has_mtu() || (p.mtu() >= 576 && p.mtu() <= 65535), "mtu",
          absl::StrCat("mtu must be in [576, 65535], got ", p.mtu()));
    if (p.has_burst_loss()) {
      const scenario::GilbertElliott& g = p.burst_loss();
      for (double v : {g.p_good_to_bad_percent(), g.p_bad_to_good_percent(),
                       g.loss_in_bad_percent(), g.loss_in_good_percent()}) {
        if (v < 0 || v > 100) {
          check(false, "burst_loss",
                absl::StrCat("burst_loss percentages must be in [0, 100], got ", v));
          break;
        }
      }
      check(g.p_bad_to_good_percent() > 0, "burst_loss",
            "burst_loss.p_bad_to_good_percent must be above 0 (or the link stays bad forever)");
    }
    if (!ok) return std::nullopt;
    return out;
  }

  std::optional<simnet::LinkParams> LinkParamsFrom(const scenario::LinkParams& p,
                                                   const Path& path) {
    auto resolved = Resolve(p, path);
    if (!resolved.has_value()) return std::nullopt;
    return ApplyLinkParams(simnet::LinkParams{}, *resolved);
  }

  // --- topology

  std::optional<IpAddress> Address(const std::string& text, const Path& path) {
    auto ip = IpAddress::Parse(text);
    if (!ip.ok()) {
      Error(path, absl::StrCat("bad address \"", text, "\": ", ip.status().message()));
      return std::nullopt;
    }
    if (ip->IsUnspecified()) {
      Error(path, absl::StrCat("address ", text, " is unspecified"));
      return std::nullopt;
    }
    auto [it, inserted] = addresses_.emplace(ip->ToString(), loc_.At(path));
    if (!inserted) {
      Error(path, absl::StrCat("address ", text, " is already used (at ", it->second, ")"));
      return std::nullopt;
    }
    return *ip;
  }

  void AddNode(NodeModel node, const Path& path) {
    node_paths_[node.name] = path;
    node_index_[node.name] = pending_.size();
    pending_.push_back(std::move(node));
  }

  void Topology() {
    const scenario::Topology& t = s_.topology();
    names_.emplace("internet", "(built in)");
    NodeModel internet;
    internet.name = "internet";
    internet.kind = NodeModel::Kind::kRouter;
    AddNode(internet, {});

    for (int i = 0; i < t.router_size(); ++i) {
      const Path path = {{"topology"}, {"router", i}};
      const scenario::Router& r = t.router(i);
      if (!Claim(r.name(), Join(path, {{"name"}}), "router")) continue;
      NodeModel n;
      n.name = r.name();
      n.kind = NodeModel::Kind::kRouter;
      for (int k = 0; k < r.address_size(); ++k) {
        if (auto ip = Address(r.address(k), Join(path, {{"address", k}}))) {
          n.addresses.push_back(*ip);
        }
      }
      AddNode(std::move(n), path);
    }
    for (int i = 0; i < t.nat_size(); ++i) {
      const Path path = {{"topology"}, {"nat", i}};
      const scenario::Nat& x = t.nat(i);
      if (!Claim(x.name(), Join(path, {{"name"}}), "NAT")) continue;
      NodeModel n;
      n.name = x.name();
      n.kind = NodeModel::Kind::kNat;
      if (x.public_address().empty()) {
        Error(path, absl::StrCat("NAT \"", x.name(), "\" needs a public_address"));
      } else if (auto ip = Address(x.public_address(), Join(path, {{"public_address"}}))) {
        n.nat.public_addresses = {*ip};
      }
      n.nat.mapping = Mapping(x.mapping());
      n.nat.filtering = Filtering(x.filtering());
      n.nat.port_allocation =
          x.port_allocation() == scenario::SEQUENTIAL ? simnet::PortAllocation::kSequential
          : x.port_allocation() == scenario::RANDOM   ? simnet::PortAllocation::kRandom
                                                      : simnet::PortAllocation::kPreserve;
      n.nat.hairpinning = x.hairpinning();
      if (x.mapping_lifetime_s() != 0) n.nat.mapping_lifetime = Ms(x.mapping_lifetime_s() * 1000);
      n.nat.inbound_refresh = x.inbound_refresh();
      if (x.port_min() != 0) n.nat.port_min = static_cast<uint16_t>(std::min(x.port_min(), 65535u));
      if (x.port_max() != 0) n.nat.port_max = static_cast<uint16_t>(std::min(x.port_max(), 65535u));
      if (x.port_min() > 65535 || x.port_max() > 65535) {
        Error(path, "port_min and port_max must be at most 65535");
      }
      if (x.mapping_lifetime_s() < 0) {
        Error(Join(path, {{"mapping_lifetime_s"}}), "mapping_lifetime_s must not be negative");
      } else if (absl::Status st = simnet::ValidateNatConfig(n.nat);
                 !st.ok() && !n.nat.public_addresses.empty()) {
        Error(path, absl::StrCat("NAT \"", x.name(), "\": ", st.message()));
      }
      AddNode(std::move(n), path);
    }
    for (int i = 0; i < t.firewall_size(); ++i) {
      const Path path = {{"topology"}, {"firewall", i}};
      const scenario::Firewall& x = t.firewall(i);
      if (!Claim(x.name(), Join(path, {{"name"}}), "firewall")) continue;
      NodeModel n;
      n.name = x.name();
      n.kind = NodeModel::Kind::kFirewall;
      n.firewall.block_udp = x.block_udp();
      for (uint32_t port : x.allowed_udp_port()) {
        if (port == 0 || port > 65535) {
          Error(Join(path, {{"allowed_udp_port"}}),
                absl::StrCat("allowed_udp_port must be in [1, 65535], got ", port));
        }
        n.firewall.allowed_udp_ports.push_back(static_cast<uint16_t>(port));
      }
      n.firewall.allow_unsolicited_inbound = x.allow_unsolicited_inbound();
      if (x.flow_timeout_s() < 0) {
        Error(Join(path, {{"flow_timeout_s"}}), "flow_timeout_s must not be negative");
      } else if (x.flow_timeout_s() > 0) {
        n.firewall.flow_timeout = Ms(x.flow_timeout_s() * 1000);
      }
      AddNode(std::move(n), path);
    }
    for (int i = 0; i < t.host_size(); ++i) {
      const Path path = {{"topology"}, {"host", i}};
      const scenario::Host& h = t.host(i);
      if (!Claim(h.name(), Join(path, {{"name"}}), "host")) continue;
      if (h.address_size() == 0) {
        Error(path, absl::StrCat("host \"", h.name(), "\" needs an address"));
        continue;
      }
      if (h.count() > kMaxGroup) {
        Error(Join(path, {{"count"}}), absl::StrCat("count must be at most ", kMaxGroup));
        continue;
      }
      std::vector<IpAddress> first;
      for (int k = 0; k < h.address_size(); ++k) {
        auto ip = IpAddress::Parse(h.address(k));
        if (!ip.ok() || ip->IsUnspecified()) {
          Error(Join(path, {{"address", k}}), absl::StrCat("bad address \"", h.address(k), "\""));
          continue;
        }
        first.push_back(*ip);
      }
      if (first.size() != static_cast<size_t>(h.address_size())) continue;
      if (h.count() <= 1) {
        NodeModel n;
        n.name = h.name();
        n.kind = NodeModel::Kind::kHost;
        for (int k = 0; k < h.address_size(); ++k) {
          if (auto ip = Address(h.address(k), Join(path, {{"address", k}}))) {
            n.addresses.push_back(*ip);
          }
        }
        AddNode(std::move(n), path);
        continue;
      }
      // A group: consecutive IPv4 addresses from the first one.
      if (first.size() != 1 || first[0].family() != IpFamily::kV4) {
        Error(path, "a host group (count > 1) takes exactly one IPv4 start address");
        continue;
      }
      std::vector<std::string>& members = groups_[h.name()];
      for (uint32_t k = 0; k < h.count(); ++k) {
        NodeModel n;
        n.name = absl::StrCat(h.name(), k);
        n.kind = NodeModel::Kind::kHost;
        if (!Claim(n.name, Join(path, {{"name"}}), "host")) break;
        const IpAddress ip = IpAddress::V4(first[0].v4_host_order() + k);
        if (auto claimed = Address(ip.ToString(), Join(path, {{"address", 0}}))) {
          n.addresses.push_back(*claimed);
        }
        members.push_back(n.name);
        AddNode(std::move(n), path);
      }
    }
    for (int i = 0; i < t.stun_server_size(); ++i) {
      const Path path = {{"topology"}, {"stun_server", i}};
      const scenario::StunServer& x = t.stun_server(i);
      Server(x.name(), x.address(), x.port(), x.parent(), x.link(), path, false, {}, {});
    }
    for (int i = 0; i < t.turn_server_size(); ++i) {
      const Path path = {{"topology"}, {"turn_server", i}};
      const scenario::TurnServer& x = t.turn_server(i);
      std::map<std::string, std::string> users;
      for (int k = 0; k < x.user_size(); ++k) {
        if (x.user(k).username().empty()) {
          Error(Join(path, {{"user", k}}), "a TURN user needs a username");
        }
        users[x.user(k).username()] = x.user(k).password();
      }
      if (users.empty()) {
        Error(path, absl::StrCat("TURN server \"", x.name(), "\" needs at least one user"));
      }
      Server(x.name(), x.address(), x.port(), x.parent(), x.link(), path, true,
             x.realm().empty() ? "rtcsim" : x.realm(), std::move(users));
    }
    Links();
    Order();
  }

  void Server(const std::string& name, const std::string& address, uint32_t port,
              const std::string& parent, const scenario::LinkParams& link, const Path& path,
              bool turn, std::string realm, std::map<std::string, std::string> users) {
    const char* what = turn ? "TURN server" : "STUN server";
    if (!Claim(name, Join(path, {{"name"}}), what)) return;
    NodeModel n;
    n.name = name;
    n.kind = turn ? NodeModel::Kind::kTurnServer : NodeModel::Kind::kStunServer;
    if (address.empty()) {
      Error(path, absl::StrCat(what, " \"", name, "\" needs an address"));
    } else if (auto ip = Address(address, Join(path, {{"address"}}))) {
      n.addresses.push_back(*ip);
    }
    if (port > 65535) Error(Join(path, {{"port"}}), "port must be at most 65535");
    if (port != 0) n.port = static_cast<uint16_t>(port);
    n.realm = std::move(realm);
    n.users = std::move(users);
    // A server brings its own link up to its parent.
    LinkModel l;
    l.from = name;
    l.to = parent.empty() ? "internet" : parent;
    l.name = absl::StrCat(name, "-", l.to);
    if (auto params = LinkParamsFrom(link, Join(path, {{"link"}}))) l.up = l.down = *params;
    server_links_.push_back({std::move(l), Join(path, {{"parent"}})});
    AddNode(std::move(n), path);
  }

  void Links() {
    const scenario::Topology& t = s_.topology();
    std::set<std::string> link_names;
    auto add = [&](LinkModel l, const Path& path) {
      if (!link_names.insert(l.name).second) {
        Error(path, absl::StrCat("duplicate link name \"", l.name, "\""));
        return;
      }
      auto [it, inserted] = uplink_.emplace(l.from, l.name);
      if (!inserted) {
        Error(path, absl::StrCat("node \"", l.from, "\" already has a link up (\"", it->second,
                                 "\"); topologies are trees: one link up per node"));
        return;
      }
      link_paths_[l.name] = path;
      model_.links.push_back(std::move(l));
    };
    for (auto& [l, path] : server_links_) {
      if (!node_index_.contains(l.to)) {
        Error(path, absl::StrCat("server \"", l.from, "\": unknown parent \"", l.to, "\""));
        continue;
      }
      add(l, path);
    }
    for (int i = 0; i < t.link_size(); ++i) {
      const Path path = {{"topology"}, {"link", i}};
      const scenario::Link& x = t.link(i);
      if (x.from().empty() || x.to().empty()) {
        Error(path, absl::StrCat("link \"", x.name(),
                                 "\" goes nowhere: it needs both `from` "
                                 "(the lower node) and `to` (its parent)"));
        continue;
      }
      std::vector<std::string> froms;
      if (auto g = groups_.find(x.from()); g != groups_.end()) {
        froms = g->second;
      } else if (node_index_.contains(x.from())) {
        froms = {x.from()};
      }
      // A node whose link is in error has been reported once already.
      attempted_.insert(froms.begin(), froms.end());
      if (froms.empty()) {
        Error(Join(path, {{"from"}}),
              absl::StrCat("link \"", x.name(), "\": unknown node \"", x.from(), "\"", Known()));
        continue;
      }
      if (!node_index_.contains(x.to())) {
        Error(Join(path, {{"to"}}),
              absl::StrCat("link \"", x.name(), "\": unknown node \"", x.to(), "\"", Known()));
        continue;
      }
      const NodeModel& to = pending_[node_index_[x.to()]];
      if (to.kind == NodeModel::Kind::kHost || to.kind == NodeModel::Kind::kStunServer ||
          to.kind == NodeModel::Kind::kTurnServer) {
        Error(Join(path, {{"to"}}),
              absl::StrCat("link \"", x.name(), "\": \"", x.to(),
                           "\" is an end host and cannot be a parent (use a router, NAT or "
                           "firewall)"));
        continue;
      }
      if (x.from() == "internet") {
        Error(Join(path, {{"from"}}), "\"internet\" is the root and has no link up");
        continue;
      }
      auto both = LinkParamsFrom(x.params(), Join(path, {{"params"}}));
      if (!both.has_value()) continue;
      std::optional<simnet::LinkParams> up = *both, down = *both;
      if (x.has_upstream()) {
        auto r = Resolve(x.upstream(), Join(path, {{"upstream"}}));
        up = r.has_value() ? std::optional(ApplyLinkParams(*both, *r)) : std::nullopt;
      }
      if (x.has_downstream()) {
        auto r = Resolve(x.downstream(), Join(path, {{"downstream"}}));
        down = r.has_value() ? std::optional(ApplyLinkParams(*both, *r)) : std::nullopt;
      }
      if (!up.has_value() || !down.has_value()) continue;
      for (const std::string& from : froms) {
        if (from == x.to()) {
          Error(path, absl::StrCat("link \"", x.name(), "\" connects \"", from, "\" to itself"));
          continue;
        }
        LinkModel l;
        l.from = from;
        l.to = x.to();
        l.name = x.name().empty()   ? absl::StrCat(from, "-", x.to())
                 : froms.size() > 1 ? absl::StrCat(x.name(), "-", from)
                                    : x.name();
        if (!ValidName(l.name)) {
          Error(Join(path, {{"name"}}), absl::StrCat("link name \"", l.name, "\" is not valid"));
          continue;
        }
        l.up = *up;
        l.down = *down;
        if (froms.size() > 1 && !x.name().empty()) link_groups_[x.name()].push_back(l.name);
        add(std::move(l), path);
      }
    }
  }

  std::string Known() const {
    std::vector<std::string> names;
    for (const NodeModel& n : pending_) names.push_back(n.name);
    for (const auto& [g, unused] : groups_) names.push_back(g);
    if (names.size() > 12) return "";
    return absl::StrCat(" (nodes: ", absl::StrJoin(names, ", "), ")");
  }

  // Parents before children; every node but the root reaches it.
  void Order() {
    absl::flat_hash_map<std::string, std::string> parent;
    for (const LinkModel& l : model_.links) parent[l.from] = l.to;
    for (NodeModel& n : pending_) {
      if (n.name == "internet") continue;
      auto it = parent.find(n.name);
      if (it == parent.end()) {
        if (attempted_.contains(n.name)) continue;
        Error(node_paths_[n.name],
              absl::StrCat(n.kind == NodeModel::Kind::kHost ? "host" : "node", " \"", n.name,
                           "\" has no link: add a link { from: \"", n.name,
                           "\" to: \"<its parent>\" }"));
        continue;
      }
      n.parent = it->second;
    }
    // Depth-first from the root, children in file order.
    absl::flat_hash_map<std::string, std::vector<size_t>> children;
    for (size_t i = 0; i < pending_.size(); ++i) {
      if (!pending_[i].parent.empty()) children[pending_[i].parent].push_back(i);
    }
    std::vector<bool> placed(pending_.size(), false);
    std::function<void(size_t)> visit = [&](size_t i) {
      placed[i] = true;
      model_.nodes.push_back(pending_[i]);
      for (size_t c : children[pending_[i].name]) {
        if (!placed[c]) visit(c);
      }
    };
    visit(0);
    const bool earlier_errors = !errors_.empty();
    for (size_t i = 0; i < pending_.size(); ++i) {
      if (!placed[i] && !pending_[i].parent.empty() && !earlier_errors) {
        Error(node_paths_[pending_[i].name],
              absl::StrCat("node \"", pending_[i].name,
                           "\" does not reach \"internet\" (its links form a loop)"));
      }
    }
    // Every declared node, placed or not, so that a topology error does not
    // also make every peer on it "unknown".
    for (const NodeModel& n : pending_) kinds_[n.name] = n.kind;
  }

  static simnet::NatMapping Mapping(scenario::NatBehavior b) {
    switch (b) {
      case scenario::ADDRESS_DEPENDENT:
        return simnet::NatMapping::kAddressDependent;
      case scenario::ADDRESS_AND_PORT_DEPENDENT:
        return simnet::NatMapping::kAddressAndPortDependent;
      default:
        return simnet::NatMapping::kEndpointIndependent;
    }
  }
  static simnet::NatFiltering Filtering(scenario::NatBehavior b) {
    switch (b) {
      case scenario::ADDRESS_DEPENDENT:
        return simnet::NatFiltering::kAddressDependent;
      case scenario::ADDRESS_AND_PORT_DEPENDENT:
        return simnet::NatFiltering::kAddressAndPortDependent;
      default:
        return simnet::NatFiltering::kEndpointIndependent;
    }
  }

  // --- peers

  void Peers() {
    for (int i = 0; i < s_.peer_size(); ++i) {
      const Path path = {{"peer", i}};
      const scenario::Peer& p = s_.peer(i);
      if (p.audio_size() > 0 || p.video_size() > 0) {
        Error(Join(path, {{p.audio_size() > 0 ? "audio" : "video", 0}}),
              absl::StrCat("peer \"", p.name(),
                           "\": audio and video tracks are not simulated yet (media lands in a "
                           "later issue); remove them"));
      }
      PeerModel base;
      base.group = p.name();
      base.policy = p.ice_transport_policy() == scenario::RELAY ? ice::IceTransportPolicy::kRelay
                                                                : ice::IceTransportPolicy::kAll;
      base.restart_ice_on_failure = p.restart_ice_on_failure();
      for (int k = 0; k < p.ice_server_size(); ++k) {
        const scenario::IceServerRef& ref = p.ice_server(k);
        const Path rp = Join(path, {{"ice_server", k}});
        auto it = std::find_if(pending_.begin(), pending_.end(),
                               [&](const NodeModel& n) { return n.name == ref.server(); });
        if (it == pending_.end() || (it->kind != NodeModel::Kind::kStunServer &&
                                     it->kind != NodeModel::Kind::kTurnServer)) {
          Error(Join(rp, {{"server"}}),
                absl::StrCat("peer \"", p.name(), "\": unknown STUN/TURN server \"", ref.server(),
                             "\""));
          continue;
        }
        ice::IceServer server;
        server.address =
            SocketAddress(it->addresses.empty() ? IpAddress() : it->addresses[0], it->port);
        if (it->kind == NodeModel::Kind::kTurnServer) {
          server.type = ice::IceServer::Type::kTurn;
          server.username = ref.username();
          server.password = ref.password();
          if (ref.username().empty()) {
            Error(rp, absl::StrCat("peer \"", p.name(), "\": TURN server \"", ref.server(),
                                   "\" needs a username and password"));
          }
        } else {
          server.type = ice::IceServer::Type::kStun;
        }
        base.ice_servers.push_back(server);
      }
      if (base.policy == ice::IceTransportPolicy::kRelay &&
          std::none_of(
              base.ice_servers.begin(), base.ice_servers.end(),
              [](const ice::IceServer& s) { return s.type == ice::IceServer::Type::kTurn; })) {
        Error(Join(path, {{"ice_transport_policy"}}),
              absl::StrCat("peer \"", p.name(), "\": relay policy without a TURN server"));
      }
      std::set<std::string> labels;
      std::set<uint32_t> ids;
      for (int k = 0; k < p.data_channel_size(); ++k) {
        const Path cp = Join(path, {{"data_channel", k}});
        const scenario::DataChannel& d = p.data_channel(k);
        ChannelModel c;
        c.label = d.label();
        if (d.label().empty() || d.label().size() > 64) {
          Error(Join(cp, {{"label"}}), "a data channel needs a label of 1-64 bytes");
        } else if (!labels.insert(d.label()).second) {
          Error(
              Join(cp, {{"label"}}),
              absl::StrCat("peer \"", p.name(), "\": duplicate channel label \"", d.label(), "\""));
        }
        c.init.ordered = !d.has_ordered() || d.ordered();
        if (d.has_max_retransmits() && d.has_max_packet_life_time_ms()) {
          Error(cp,
                "max_retransmits and max_packet_life_time_ms exclude each other (RFC 8831 §6.6)");
        }
        if (d.has_max_retransmits()) {
          if (d.max_retransmits() > 65535) {
            Error(Join(cp, {{"max_retransmits"}}), "max_retransmits must be at most 65535");
          }
          c.init.max_retransmits = static_cast<uint16_t>(std::min(d.max_retransmits(), 65535u));
        }
        if (d.has_max_packet_life_time_ms()) {
          if (d.max_packet_life_time_ms() < 0 || d.max_packet_life_time_ms() > 65535) {
            Error(Join(cp, {{"max_packet_life_time_ms"}}),
                  "max_packet_life_time_ms must be in [0, 65535]");
          }
          c.init.max_packet_life_time = Ms(std::clamp(d.max_packet_life_time_ms(), 0.0, 65535.0));
        }
        if (d.has_negotiated_id()) {
          if (d.negotiated_id() > 65534) {
            Error(Join(cp, {{"negotiated_id"}}), "negotiated_id must be in [0, 65534]");
          } else if (!ids.insert(d.negotiated_id()).second) {
            Error(Join(cp, {{"negotiated_id"}}),
                  absl::StrCat("negotiated_id ", d.negotiated_id(), " is used twice"));
          }
          c.negotiated_id = static_cast<uint16_t>(std::min(d.negotiated_id(), 65534u));
        }
        const scenario::Traffic& tr = d.traffic();
        c.count = tr.count();
        if (tr.size_bytes() != 0) c.min_size = tr.size_bytes();
        c.max_size = tr.max_size_bytes() != 0 ? tr.max_size_bytes() : c.min_size;
        if (c.min_size < 16 || c.max_size < c.min_size || c.max_size > 256 * 1024) {
          Error(Join(cp, {{"traffic"}}),
                absl::StrCat("message sizes must satisfy 16 <= size_bytes <= max_size_bytes <= "
                             "262144, got ",
                             c.min_size, " and ", c.max_size));
        }
        if (tr.count() > 10'000'000) {
          Error(Join(cp, {{"traffic"}, {"count"}}), "count must be at most 10000000");
        }
        if (tr.rate_per_s() < 0 || tr.start_ms() < 0) {
          Error(Join(cp, {{"traffic"}}), "rate_per_s and start_ms must not be negative");
        }
        c.rate_per_s = tr.rate_per_s();
        c.start = Ms(std::max(0.0, tr.start_ms()));
        c.both_directions = tr.both_directions();
        base.channels.push_back(std::move(c));
      }
      // Expand the group.
      if (!p.host().empty() && !groups_.contains(p.host()) && !kinds_.contains(p.host())) {
        Error(Join(path, {{"host"}}),
              absl::StrCat("peer \"", p.name(), "\": unknown host \"", p.host(), "\""));
        continue;
      }
      if (p.host().empty()) {
        Error(path, absl::StrCat("peer \"", p.name(), "\" needs a host"));
        continue;
      }
      const uint32_t count = std::max<uint32_t>(1, p.count());
      std::vector<std::string> hosts;
      if (auto g = groups_.find(p.host()); g != groups_.end()) {
        if (count != g->second.size()) {
          Error(Join(path, {{"count"}}), absl::StrCat("peer group \"", p.name(), "\" has count ",
                                                      count, " but host group \"", p.host(),
                                                      "\" has ", g->second.size(), " hosts"));
          continue;
        }
        hosts = g->second;
      } else {
        if (kinds_[p.host()] != NodeModel::Kind::kHost) {
          Error(Join(path, {{"host"}}),
                absl::StrCat("peer \"", p.name(), "\": \"", p.host(), "\" is not a host"));
          continue;
        }
        if (count != 1) {
          Error(Join(path, {{"count"}}), "a peer group needs a host group of the same count");
          continue;
        }
        hosts = {p.host()};
      }
      if (count == 1) {
        if (!Claim(p.name(), Join(path, {{"name"}}), "peer")) continue;
        peer_groups_[p.name()] = {static_cast<int>(model_.peers.size())};
        PeerModel m = base;
        m.name = p.name();
        m.host = hosts[0];
        model_.peers.push_back(std::move(m));
        continue;
      }
      if (!ValidName(p.name()) || !peer_names_.emplace(p.name(), loc_.At(path)).second) {
        Error(Join(path, {{"name"}}),
              absl::StrCat("bad or duplicate peer name \"", p.name(), "\""));
        continue;
      }
      std::vector<int>& members = peer_groups_[p.name()];
      for (uint32_t k = 0; k < count; ++k) {
        PeerModel m = base;
        m.name = absl::StrCat(p.name(), k);
        if (!Claim(m.name, Join(path, {{"name"}}), "peer")) break;
        m.host = hosts[k];
        members.push_back(static_cast<int>(model_.peers.size()));
        model_.peers.push_back(std::move(m));
      }
      if (model_.peers.size() > kMaxPeers) {
        Error(path, absl::StrCat("more than ", kMaxPeers, " peers"));
        return;
      }
    }
  }

  void Signaling() {
    const scenario::Signaling& s = s_.signaling();
    const Path path = {{"signaling"}};
    if (s.has_delay_ms()) {
      if (s.delay_ms() < 0) Error(Join(path, {{"delay_ms"}}), "delay_ms must not be negative");
      model_.signaling.delay = Ms(std::max(0.0, s.delay_ms()));
    }
    if (s.jitter_ms() < 0) Error(Join(path, {{"jitter_ms"}}), "jitter_ms must not be negative");
    model_.signaling.jitter = Ms(std::max(0.0, s.jitter_ms()));
    if (s.loss_percent() < 0 || s.loss_percent() >= 100) {
      Error(Join(path, {{"loss_percent"}}), "loss_percent must be in [0, 100)");
    }
    model_.signaling.loss = std::clamp(s.loss_percent(), 0.0, 99.0) / 100;
    if (s.has_retransmit_ms()) {
      if (s.retransmit_ms() <= 0) {
        Error(Join(path, {{"retransmit_ms"}}), "retransmit_ms must be above 0");
      } else {
        model_.signaling.retransmit = Ms(s.retransmit_ms());
      }
    }
    model_.signaling.trickle = !s.has_trickle() || s.trickle();
  }

  // Peer or group name → peer indices.
  std::optional<std::vector<int>> PeersNamed(const std::string& name, const Path& path,
                                             absl::string_view what) {
    auto it = peer_groups_.find(name);
    if (it == peer_groups_.end()) {
      Error(path, absl::StrCat(what, ": unknown peer \"", name, "\""));
      return std::nullopt;
    }
    return it->second;
  }

  void Calls() {
    std::set<std::pair<int, int>> seen;
    auto add = [&](int o, int a, TimeDelta at, const Path& path) {
      if (at > model_.duration) {
        Error(path, absl::StrCat("call ", model_.peers[o].name, "→", model_.peers[a].name,
                                 " starts at ", at.ms(), " ms, after the end of the run (duration ",
                                 model_.duration.ms(), " ms)"));
        return;
      }
      if (o == a) {
        Error(path, absl::StrCat("peer \"", model_.peers[o].name, "\" cannot call itself"));
        return;
      }
      if (!seen.insert({std::min(o, a), std::max(o, a)}).second) {
        Error(path, absl::StrCat("a second call between \"", model_.peers[o].name, "\" and \"",
                                 model_.peers[a].name, "\""));
        return;
      }
      CallModel c;
      c.offerer = o;
      c.answerer = a;
      c.at = at;
      c.name = absl::StrCat(model_.peers[o].name, "→", model_.peers[a].name);
      model_.calls.push_back(std::move(c));
    };
    for (int i = 0; i < s_.call_size(); ++i) {
      const Path path = {{"call", i}};
      const scenario::Call& c = s_.call(i);
      if (c.at_ms() < 0 || c.stagger_ms() < 0) {
        Error(path, "at_ms and stagger_ms must not be negative");
        continue;
      }
      auto offerers = PeersNamed(c.offerer(), Join(path, {{"offerer"}}), "call offerer");
      if (!offerers.has_value()) continue;
      const TimeDelta at = Ms(c.at_ms());
      const TimeDelta stagger = Ms(c.stagger_ms());
      if (c.pattern() == scenario::MESH) {
        if (!c.answerer().empty()) {
          Error(Join(path, {{"answerer"}}), "a MESH call names only the offerer group");
          continue;
        }
        int n = 0;
        for (size_t x = 0; x < offerers->size(); ++x) {
          for (size_t y = x + 1; y < offerers->size(); ++y) {
            add((*offerers)[x], (*offerers)[y], at + stagger * n++, path);
          }
        }
        continue;
      }
      auto answerers = PeersNamed(c.answerer(), Join(path, {{"answerer"}}), "call answerer");
      if (!answerers.has_value()) continue;
      if (offerers->size() == answerers->size()) {
        for (size_t k = 0; k < offerers->size(); ++k) {
          add((*offerers)[k], (*answerers)[k], at + stagger * static_cast<int64_t>(k), path);
        }
      } else if (answerers->size() == 1) {
        for (size_t k = 0; k < offerers->size(); ++k) {
          add((*offerers)[k], (*answerers)[0], at + stagger * static_cast<int64_t>(k), path);
        }
      } else if (offerers->size() == 1) {
        for (size_t k = 0; k < answerers->size(); ++k) {
          add((*offerers)[0], (*answerers)[k], at + stagger * static_cast<int64_t>(k), path);
        }
      } else {
        Error(path, absl::StrCat("call: groups \"", c.offerer(), "\" (", offerers->size(),
                                 ") and \"", c.answerer(), "\" (", answerers->size(),
                                 ") differ in size; pair groups of one size or a group with "
                                 "one peer"));
      }
    }
    if (model_.calls.empty() && errors_.empty()) {
      Error({}, "the scenario has no call: add call { offerer: \"...\" answerer: \"...\" }");
    }
  }

  void Events() {
    for (int i = 0; i < s_.event_size(); ++i) {
      const Path path = {{"event", i}};
      const scenario::Event& e = s_.event(i);
      EventModel m;
      if (e.at_ms() < 0) {
        Error(Join(path, {{"at_ms"}}), absl::StrCat("at_ms must not be negative, got ", e.at_ms()));
        continue;
      }
      m.at = Ms(e.at_ms());
      auto link = [&](const std::string& name, const char* field) -> bool {
        for (const LinkModel& l : model_.links) {
          if (l.name == name) {
            m.targets.push_back(name);
            return true;
          }
        }
        // A link entry over a host group: every member's link.
        if (auto g = link_groups_.find(name); g != link_groups_.end()) m.targets = g->second;
        if (!m.targets.empty()) return true;
        Error(Join(path, {{field}}), absl::StrCat("unknown link \"", name, "\""));
        return false;
      };
      switch (e.action_case()) {
        case scenario::Event::kLinkChange: {
          m.kind = EventModel::Kind::kLinkChange;
          if (!link(e.link_change().link(), "link_change")) continue;
          auto r = Resolve(e.link_change().params(), Join(path, {{"link_change"}, {"params"}}));
          if (!r.has_value()) continue;
          m.change = *r;
          m.text = absl::StrCat("link ", e.link_change().link(), " changed");
          break;
        }
        case scenario::Event::kLinkDown:
        case scenario::Event::kLinkUp: {
          const bool down = e.action_case() == scenario::Event::kLinkDown;
          m.kind = down ? EventModel::Kind::kLinkDown : EventModel::Kind::kLinkUp;
          const std::string& name = down ? e.link_down() : e.link_up();
          if (!link(name, down ? "link_down" : "link_up")) continue;
          m.text = absl::StrCat("link ", name, down ? " down" : " up");
          break;
        }
        case scenario::Event::kHostAddress: {
          m.kind = EventModel::Kind::kHostAddress;
          const std::string& host = e.host_address().host();
          auto it = kinds_.find(host);
          if (it == kinds_.end() || it->second != NodeModel::Kind::kHost) {
            Error(Join(path, {{"host_address"}, {"host"}}),
                  absl::StrCat("unknown host \"", host, "\""));
            continue;
          }
          auto ip =
              Address(e.host_address().address(), Join(path, {{"host_address"}, {"address"}}));
          if (!ip.has_value()) continue;
          m.targets = {host};
          m.address = *ip;
          m.text = absl::StrCat("host ", host, " moves to ", ip->ToString());
          break;
        }
        case scenario::Event::kNatReboot: {
          m.kind = EventModel::Kind::kNatReboot;
          auto it = kinds_.find(e.nat_reboot());
          if (it == kinds_.end() || it->second != NodeModel::Kind::kNat) {
            Error(Join(path, {{"nat_reboot"}}),
                  absl::StrCat("unknown NAT \"", e.nat_reboot(), "\""));
            continue;
          }
          m.targets = {e.nat_reboot()};
          m.text = absl::StrCat("NAT ", e.nat_reboot(), " reboots");
          break;
        }
        case scenario::Event::kRestartIce:
        case scenario::Event::kClosePeer: {
          const bool restart = e.action_case() == scenario::Event::kRestartIce;
          m.kind = restart ? EventModel::Kind::kRestartIce : EventModel::Kind::kClosePeer;
          const std::string& name = restart ? e.restart_ice() : e.close_peer();
          auto peers = PeersNamed(name, Join(path, {{restart ? "restart_ice" : "close_peer"}}),
                                  restart ? "restart_ice" : "close_peer");
          if (!peers.has_value()) continue;
          for (int p : *peers) m.targets.push_back(model_.peers[p].name);
          m.text = absl::StrCat(restart ? "restartIce() on " : "close() on ", name);
          break;
        }
        case scenario::Event::ACTION_NOT_SET:
          Error(path,
                "an event needs an action (link_change, link_down, link_up, host_address, "
                "nat_reboot, restart_ice or close_peer)");
          continue;
      }
      if (m.at > model_.duration) {
        Error(Join(path, {{"at_ms"}}),
              absl::StrCat("event at ", e.at_ms(), " ms is after the end of the run (duration ",
                           model_.duration.ms(), " ms)"));
        continue;
      }
      model_.events.push_back(std::move(m));
    }
    std::stable_sort(model_.events.begin(), model_.events.end(),
                     [](const EventModel& a, const EventModel& b) { return a.at < b.at; });
  }

  void Expectations() {
    for (int i = 0; i < s_.expect_size(); ++i) {
      const Path path = {{"expect", i}};
      const scenario::Expectation& e = s_.expect(i);
      ExpectationModel m;
      m.index = i;
      m.line = loc_.Line(path);
      m.spec = e;
      if (e.peer().empty()) {
        for (size_t p = 0; p < model_.peers.size(); ++p) m.peers.push_back(static_cast<int>(p));
      } else {
        auto peers = PeersNamed(e.peer(), Join(path, {{"peer"}}), "expectation");
        if (!peers.has_value()) continue;
        m.peers = *peers;
      }
      const std::string who = e.peer().empty() ? "every peer" : e.peer();
      switch (e.check_case()) {
        case scenario::Expectation::kConnectedWithinMs:
          m.text = absl::StrCat(who, ": connected within ", e.connected_within_ms(), " ms");
          break;
        case scenario::Expectation::kReconnectedWithinMs:
          m.text = absl::StrCat(who, ": connected again within ", e.reconnected_within_ms(),
                                " ms of the last timeline event");
          if (model_.events.empty()) {
            Error(path, "reconnected_within_ms needs a timeline event to measure from");
          }
          break;
        case scenario::Expectation::kSelectedCandidates:
          m.text = absl::StrCat(who, ": selected pair types");
          break;
        case scenario::Expectation::kStateSequence: {
          static const std::set<std::string> kStates = {"new",          "connecting", "connected",
                                                        "disconnected", "failed",     "closed"};
          for (int k = 0; k < e.state_sequence().state_size(); ++k) {
            if (!kStates.contains(e.state_sequence().state(k))) {
              Error(Join(path, {{"state_sequence"}, {"state", k}}),
                    absl::StrCat("unknown connectionState \"", e.state_sequence().state(k),
                                 "\" (new, connecting, connected, disconnected, failed, closed)"));
            }
          }
          m.text = absl::StrCat(who, ": states ", absl::StrJoin(e.state_sequence().state(), " → "),
                                e.state_sequence().exact() ? " (exactly)" : "");
          break;
        }
        case scenario::Expectation::kMessages:
          m.text = absl::StrCat(who, ": messages",
                                e.messages().label().empty()
                                    ? ""
                                    : absl::StrCat(" on \"", e.messages().label(), "\""));
          break;
        case scenario::Expectation::kLatency:
          if (e.latency().percentile() <= 0 || e.latency().percentile() > 100) {
            Error(Join(path, {{"latency"}, {"percentile"}}), "percentile must be in (0, 100]");
          }
          m.text = absl::StrCat(
              who, ": p", e.latency().percentile(), " latency",
              e.latency().label().empty() ? "" : absl::StrCat(" on \"", e.latency().label(), "\""),
              " at most ", e.latency().max_ms(), " ms");
          break;
        case scenario::Expectation::kMustFail:
          m.text = absl::StrCat(who, ": must fail",
                                e.must_fail().has_within_ms()
                                    ? absl::StrCat(" within ", e.must_fail().within_ms(), " ms")
                                    : "");
          break;
        case scenario::Expectation::kNoErrors:
          m.text = "no unexpected errors";
          break;
        case scenario::Expectation::CHECK_NOT_SET:
          Error(path,
                "an expectation needs a check (connected_within_ms, selected_candidates, "
                "state_sequence, messages, latency, must_fail, no_errors, "
                "reconnected_within_ms)");
          continue;
      }
      model_.expectations.push_back(std::move(m));
    }
  }

  const Scenario& s_;
  std::string file_;
  Locator loc_;
  Model model_;
  std::vector<std::string> errors_;
  std::map<std::string, scenario::LinkParams> profiles_;
  absl::flat_hash_map<std::string, std::string> names_;  // → where first used
  absl::flat_hash_map<std::string, std::string> peer_names_;
  absl::flat_hash_map<std::string, std::string> addresses_;  // → where first used
  std::vector<NodeModel> pending_;
  absl::flat_hash_map<std::string, size_t> node_index_;
  absl::flat_hash_map<std::string, Path> node_paths_;
  absl::flat_hash_map<std::string, Path> link_paths_;
  absl::flat_hash_map<std::string, std::string> uplink_;
  absl::flat_hash_map<std::string, NodeModel::Kind> kinds_;
  std::map<std::string, std::vector<std::string>> groups_;       // host groups
  std::map<std::string, std::vector<std::string>> link_groups_;  // named group links
  absl::flat_hash_map<std::string, std::vector<int>> peer_groups_;
  std::vector<std::pair<LinkModel, Path>> server_links_;
  std::set<std::string> attempted_;  // nodes with a link entry, valid or not
};

}  // namespace

const std::map<std::string, scenario::LinkParams>& BuiltinProfiles() {
  static const auto* profiles = [] {
    auto* m = new std::map<std::string, scenario::LinkParams>;
    (*m)["perfect"] = Profile(0, 0, 0, 0, 0);
    (*m)["fiber"] = Profile(2, 0.5, 0, 1'000'000, 1000);
    (*m)["dsl"] = Profile(15, 2, 0.1, 8'000, 200);
    (*m)["lte"] = Profile(40, 10, 0.2, 10'000, 300);
    // The example: 750 kbit/s, 250 ms, 1.5 % loss.
    (*m)["3g"] = Profile(250, 20, 1.5, 750, 100);
    // Wi-Fi with interference: bursts of loss (mean burst 4 packets, about
    // 3 % of packets lost) and jitter that reorders.
    scenario::LinkParams wifi = Profile(5, 15, 0, 20'000, 300);
    wifi.clear_loss_percent();
    wifi.set_reorder(true);
    wifi.mutable_burst_loss()->set_p_good_to_bad_percent(0.8);
    wifi.mutable_burst_loss()->set_p_bad_to_good_percent(25);
    wifi.mutable_burst_loss()->set_loss_in_bad_percent(100);
    (*m)["lossy-wifi"] = wifi;
    // Geostationary: about 300 ms each way.
    (*m)["satellite"] = Profile(300, 10, 0.5, 10'000, 500);
    return m;
  }();
  return *profiles;
}

simnet::LinkParams ApplyLinkParams(const simnet::LinkParams& base, const scenario::LinkParams& p) {
  simnet::LinkParams out = base;
  if (p.has_delay_ms()) out.delay = Ms(p.delay_ms());
  if (p.has_jitter_ms()) out.jitter = Ms(p.jitter_ms());
  if (p.has_reorder()) out.allow_reordering = p.reorder();
  if (p.has_loss_percent()) {
    out.loss = p.loss_percent() > 0 ? simnet::LossModel::Bernoulli(p.loss_percent() / 100)
                                    : simnet::LossModel::None();
  }
  if (p.has_burst_loss()) {
    const scenario::GilbertElliott& g = p.burst_loss();
    out.loss = simnet::LossModel::GilbertElliott(
        g.p_good_to_bad_percent() / 100, g.p_bad_to_good_percent() / 100,
        g.has_loss_in_bad_percent() ? g.loss_in_bad_percent() / 100 : 1.0,
        g.loss_in_good_percent() / 100);
  }
  if (p.has_duplicate_percent()) out.duplicate = p.duplicate_percent() / 100;
  if (p.has_bandwidth_kbps()) out.bandwidth_bps = std::llround(p.bandwidth_kbps() * 1000);
  if (p.has_queue_bytes()) out.queue_bytes = p.queue_bytes();
  if (p.has_queue_packets()) out.queue_packets = p.queue_packets();
  if (p.has_mtu()) out.mtu = static_cast<int>(p.mtu());
  return out;
}

absl::StatusOr<Model> BuildModel(const Scenario& scenario, absl::string_view file) {
  return Builder(scenario, std::string(file), nullptr).Build();
}

absl::Status ParseTextProto(absl::string_view text, absl::string_view file, pb::Message* message,
                            pb::TextFormat::ParseInfoTree* tree) {
  pb::TextFormat::Parser parser;
  ErrorCollector errors{std::string(file)};
  parser.RecordErrorsTo(&errors);
  if (tree != nullptr) parser.WriteLocationsTo(tree);
  if (parser.ParseFromString(std::string(text), message)) return absl::OkStatus();
  if (errors.errors().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": not a valid ", message->GetDescriptor()->name()));
  }
  return absl::InvalidArgumentError(absl::StrJoin(errors.errors(), "\n"));
}

absl::StatusOr<Model> ParseScenarioText(absl::string_view text, absl::string_view file) {
  Scenario scenario;
  pb::TextFormat::ParseInfoTree tree;
  if (absl::Status st = ParseTextProto(text, file, &scenario, &tree); !st.ok()) return st;
  return Builder(scenario, std::string(file), &tree).Build();
}

absl::StatusOr<Model> LoadScenarioFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open the scenario file"));
  std::stringstream text;
  text << in.rdbuf();
  return ParseScenarioText(text.str(), path);
}

}  // namespace rtcsim::scenarios
