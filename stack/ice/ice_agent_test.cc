// ICE agent tests on simnet: two agents on two hosts, a signalling channel
// with its own delay (candidates travel as RFC 8839 lines), STUN and TURN
// servers on the "internet". Virtual time only.
//
//   internet ── stun (198.51.100.1:3478)   StunBindingServer
//      ├──────── turn (198.51.100.2:3478)  TurnServer
//      ├──────── stranger (198.51.100.66)  sends hostile packets
//      ├── alice-side: alice (10.0.0.1), or nat-a (203.0.113.1) ── alice (192.168.1.10)
//      └── bob-side:   bob (10.0.0.2),   or nat-b (203.0.113.2) ── bob (192.168.2.10)
#include "stack/ice/ice_agent.h"

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "simnet/network.h"
#include "stack/ice/candidate.h"
#include "stack/stun/stun_message.h"
#include "stack/stun/stun_server.h"
#include "stack/turn/turn_server.h"

namespace rtcsim::ice {

// Readable gtest output for the enums.
void PrintTo(IceConnectionState s, std::ostream* os) { *os << ToString(s); }
void PrintTo(CandidatePairState s, std::ostream* os) { *os << ToString(s); }
void PrintTo(CandidateType t, std::ostream* os) { *os << ToString(t); }
void PrintTo(IceRole r, std::ostream* os) { *os << ToString(r); }

namespace {

IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }
SocketAddress Addr(const char* s) { return *SocketAddress::Parse(s); }
std::vector<uint8_t> Bytes(absl::string_view s) { return std::vector<uint8_t>(s.begin(), s.end()); }

simnet::LinkParams Delay(int ms) {
  simnet::LinkParams p;
  p.delay = TimeDelta::Millis(ms);
  return p;
}

const SocketAddress kStun = Addr("198.51.100.1:3478");
const SocketAddress kTurn = Addr("198.51.100.2:3478");

// The agent's default retransmission of connectivity checks and of Binding
// requests to STUN servers (IceAgentConfig::check_retransmit and
// gather_retransmit) is RFC 8489 §6.2.1 with its defaults: RTO 500 ms (RFC
// 8445 §14.3: MAX(500 ms, Ta·N); Ta·N stays below 500 ms in these tests),
// doubled after each send, Rc = 7 sends (at 0, 0.5, 1.5, 3.5, 7.5, 15.5 and
// 31.5 s), and failure Rm = 16 RTOs after the last: an unanswered
// transaction fails 39.5 s after its first send.
constexpr TimeDelta kTransactionTimeout = TimeDelta::Millis(39500);
constexpr int kTransmissions = 7;  // Rc
// How late after that the outcome may show: pacing (Ta), signalling, RTTs.
constexpr TimeDelta kTimingSlack = TimeDelta::Millis(1500);

struct World {
  enum class Path { kDirect, kNat };
  struct Options {
    Path path = Path::kDirect;
    simnet::NatMapping mapping = simnet::NatMapping::kEndpointIndependent;
    simnet::NatFiltering filtering = simnet::NatFiltering::kAddressAndPortDependent;
    int access_delay_ms = 5;  // each access link; RTT = 4x this
    uint64_t seed = 1;
    bool dual_stack = false;  // direct path only: IPv6 addresses too
    // Bob's NAT, if different from alice's.
    std::optional<simnet::NatMapping> b_mapping;
    std::optional<simnet::NatFiltering> b_filtering;
  };

  explicit World(Options o) : net(o.seed) {
    internet = *net.AddRouter("internet");
    stun_host = *net.AddHost("stun", {Ip("198.51.100.1")});
    turn_host = *net.AddHost("turn", {Ip("198.51.100.2")});
    stranger = *net.AddHost("stranger", {Ip("198.51.100.66")});
    EXPECT_TRUE(net.Connect(stun_host, internet, Delay(5)).ok());
    EXPECT_TRUE(net.Connect(turn_host, internet, Delay(5)).ok());
    EXPECT_TRUE(net.Connect(stranger, internet, Delay(5)).ok());
    if (o.path == Path::kDirect) {
      std::vector<IpAddress> a = {Ip("10.0.0.1")}, b = {Ip("10.0.0.2")};
      if (o.dual_stack) {
        a.push_back(Ip("2001:db8:a::1"));
        b.push_back(Ip("2001:db8:b::1"));
      }
      alice = *net.AddHost("alice", a);
      bob = *net.AddHost("bob", b);
      alice_link = *net.Connect(alice, internet, Delay(o.access_delay_ms));
      bob_link = *net.Connect(bob, internet, Delay(o.access_delay_ms));
    } else {
      simnet::NatConfig na;
      na.public_addresses = {Ip("203.0.113.1")};
      na.mapping = o.mapping;
      na.filtering = o.filtering;
      simnet::NatConfig nb = na;
      nb.public_addresses = {Ip("203.0.113.2")};
      if (o.b_mapping) nb.mapping = *o.b_mapping;
      if (o.b_filtering) nb.filtering = *o.b_filtering;
      nat_a = *net.AddNat("nat-a", na);
      nat_b = *net.AddNat("nat-b", nb);
      alice = *net.AddHost("alice", {Ip("192.168.1.10")});
      bob = *net.AddHost("bob", {Ip("192.168.2.10")});
      EXPECT_TRUE(net.Connect(nat_a, internet, Delay(o.access_delay_ms - 1)).ok());
      EXPECT_TRUE(net.Connect(nat_b, internet, Delay(o.access_delay_ms - 1)).ok());
      alice_link = *net.Connect(alice, nat_a, Delay(1));
      bob_link = *net.Connect(bob, nat_b, Delay(1));
    }
    stun_server = *stun::StunBindingServer::Create(stun_host->env(), kStun);
    turn::TurnServerConfig tc;
    tc.listen = kTurn;
    tc.users = {{"alice", "alice-pw"}, {"bob", "bob-pw"}};
    turn_server = *turn::TurnServer::Create(turn_host->env(), std::move(tc));
  }

  void Run(TimeDelta d) { net.RunFor(d); }
  void RunUntil(Timestamp t) { net.RunUntil(t); }
  // Runs in 1 ms steps until `done` returns true (checked after each step)
  // or `limit` passes; returns whether it did. All delays in these tests are
  // whole milliseconds, so the time at which `done` first sees a change is
  // exactly when it happened.
  bool RunUntil(const std::function<bool()>& done, TimeDelta limit) {
    const Timestamp end = net.now() + limit;
    while (net.now() < end) {
      Run(TimeDelta::Millis(1));
      if (done()) return true;
    }
    return false;
  }

  simnet::Network net;
  simnet::Router* internet;
  simnet::Host* stun_host;
  simnet::Host* turn_host;
  simnet::Host* stranger;
  simnet::Host* alice;
  simnet::Host* bob;
  simnet::Nat* nat_a = nullptr;
  simnet::Nat* nat_b = nullptr;
  simnet::Link* alice_link;
  simnet::Link* bob_link;
  std::unique_ptr<stun::StunBindingServer> stun_server;
  std::unique_ptr<turn::TurnServer> turn_server;
};

IceServer StunServer() {
  IceServer s;
  s.type = IceServer::Type::kStun;
  s.address = kStun;
  return s;
}

IceServer TurnServer(const std::string& user) {
  IceServer s;
  s.type = IceServer::Type::kTurn;
  s.address = kTurn;
  s.username = user;
  s.password = user + "-pw";
  return s;
}

// One side of a call: an agent, what it reported, and a signalling channel
// to the other side that delivers after `signalling_delay` (candidates as
// RFC 8839 lines, parsed on arrival).
struct Side {
  std::string name;
  simnet::Host* host = nullptr;
  std::unique_ptr<IceAgent> agent;
  Side* peer = nullptr;
  TimeDelta signalling_delay = TimeDelta::Millis(10);
  bool signal = true;  // forward candidates and end-of-candidates
  // Candidates for which this returns true are held back until
  // ReleaseHeld().
  std::function<bool(const Candidate&)> hold;
  std::vector<Candidate> held;

  std::vector<std::pair<IceConnectionState, Timestamp>> states;
  std::vector<Candidate> candidates;
  std::vector<std::string> received;
  std::optional<CandidatePairInfo> selected;
  bool gathering_complete = false;
  std::optional<Timestamp> gathering_complete_at;
  int selected_changes = 0;

  void Create(IceAgentConfig config) {
    IceAgent::Callbacks cb;
    cb.on_candidate = [this](const Candidate& c) {
      candidates.push_back(c);
      if (!signal) return;
      if (hold && hold(c)) {
        held.push_back(c);
        return;
      }
      SendCandidate(c);
    };
    cb.on_gathering_complete = [this] {
      gathering_complete = true;
      gathering_complete_at = host->env().Now();
      if (signal && !hold) Deliver([](Side* to) { to->agent->AddRemoteEndOfCandidates(); });
    };
    cb.on_state = [this](IceConnectionState s) { states.emplace_back(s, host->env().Now()); };
    cb.on_selected_pair = [this](const CandidatePairInfo& p) {
      selected = p;
      ++selected_changes;
    };
    cb.on_data = [this](absl::Span<const uint8_t> d) { received.emplace_back(d.begin(), d.end()); };
    agent = std::make_unique<IceAgent>(host->env(), std::move(config), std::move(cb));
  }

  void SendCandidate(const Candidate& c) {
    std::string line = SerializeCandidate(c);
    Deliver([line](Side* to) {
      auto parsed = ParseCandidate(line);
      ASSERT_TRUE(parsed.ok()) << parsed.status();
      to->agent->AddRemoteCandidate(*parsed).IgnoreError();
    });
  }
  void ReleaseHeld() {
    for (const Candidate& c : held) SendCandidate(c);
    held.clear();
  }

  void Deliver(std::function<void(Side*)> fn) {
    Side* to = peer;
    host->env().PostDelayedTask(signalling_delay, [to, fn = std::move(fn)] { fn(to); });
  }

  void SendCredentials() {
    IceCredentials creds = agent->local_credentials();
    Deliver([creds](Side* to) { to->agent->SetRemoteCredentials(creds); });
  }

  // When the state first became `s`, if it did.
  std::optional<Timestamp> FirstTime(IceConnectionState s) const {
    for (const auto& [state, t] : states) {
      if (state == s) return t;
    }
    return std::nullopt;
  }
  bool Reached(IceConnectionState s) const { return FirstTime(s).has_value(); }

  // For failure messages: the state history and the check list.
  std::string Dump() const {
    std::string out = name + " states:";
    for (const auto& [state, t] : states) {
      out += " " + ToString(state) + "@" + (t - Timestamp::Zero()).ToString();
    }
    out += "\n";
    for (const CandidatePairInfo& p : agent->pairs()) {
      out += "  " + ToString(p.local.type) + " " + p.local.address.ToString() + " -> " +
             ToString(p.remote.type) + " " + p.remote.address.ToString() + " " + ToString(p.state) +
             (p.nominated ? " nominated" : "") + "\n";
    }
    return out;
  }
};

struct Call {
  Call(World& w, IceAgentConfig a, IceAgentConfig b) : world(w) {
    alice.name = "alice";
    bob.name = "bob";
    alice.host = w.alice;
    bob.host = w.bob;
    alice.peer = &bob;
    bob.peer = &alice;
    if (a.role == b.role && a.role == IceRole::kControlling && b.tie_breaker == 0) {
      // Leave roles as given; the test asked for a conflict.
    }
    alice.Create(std::move(a));
    bob.Create(std::move(b));
  }

  void Start() {
    ASSERT_TRUE(alice.agent->GatherCandidates().ok());
    ASSERT_TRUE(bob.agent->GatherCandidates().ok());
    alice.SendCredentials();
    bob.SendCredentials();
  }

  // Runs until both are connected or completed, or `limit` passes.
  bool RunUntilConnected(TimeDelta limit) {
    const Timestamp end = world.net.now() + limit;
    while (world.net.now() < end) {
      world.Run(TimeDelta::Millis(1));
      if (Connected(alice) && Connected(bob)) return true;
    }
    return false;
  }
  static bool Connected(const Side& s) {
    return s.agent->state() == IceConnectionState::kConnected ||
           s.agent->state() == IceConnectionState::kCompleted;
  }

  World& world;
  Side alice;
  Side bob;
};

IceAgentConfig Config(IceRole role) {
  IceAgentConfig c;
  c.role = role;
  return c;
}

// Notes when an agent last started a check (a first transmission, not a
// retransmission): nothing can time out before that check has.
struct LastCheck {
  explicit LastCheck(const IceAgent& a) : agent(a) {}
  // Call after every step of the simulation.
  void Update(Timestamp now) {
    if (agent.stats().checks_sent == seen) return;
    seen = agent.stats().checks_sent;
    at = now;
  }
  const IceAgent& agent;
  uint64_t seen = 0;
  std::optional<Timestamp> at;
};

TEST(IceAgentTest, ToStrings) {
  EXPECT_EQ(ToString(IceRole::kControlling), "controlling");
  EXPECT_EQ(ToString(IceConnectionState::kDisconnected), "disconnected");
  EXPECT_EQ(ToString(IceGatheringState::kComplete), "complete");
  EXPECT_EQ(ToString(CandidatePairState::kInProgress), "in-progress");
}

TEST(IceAgentTest, HostToHostConnectsWithinFewRtts) {
  World w({});  // 20 ms RTT
  Call call(w, Config(IceRole::kControlling), Config(IceRole::kControlled));
  const Timestamp start = w.net.now();
  call.Start();
  ASSERT_TRUE(call.RunUntilConnected(TimeDelta::Seconds(5)));
  const TimeDelta took = w.net.now() - start;
  // Signalling 10 ms + check RTT 20 ms + nomination RTT 20 ms, roughly.
  EXPECT_LT(took, TimeDelta::Millis(200)) << took.ToString();

  ASSERT_TRUE(call.alice.selected.has_value());
  ASSERT_TRUE(call.bob.selected.has_value());
  EXPECT_EQ(call.alice.selected->local.type, CandidateType::kHost);
  EXPECT_EQ(call.alice.selected->remote.address, call.bob.agent->local_candidates()[0].address);
  EXPECT_TRUE(call.alice.selected->nominated);
  EXPECT_TRUE(call.bob.selected->nominated);
  EXPECT_EQ(call.alice.agent->role(), IceRole::kControlling);
  EXPECT_EQ(call.bob.agent->role(), IceRole::kControlled);

  // Both gathered one host candidate with the RFC 8445 §5.1.2 priority.
  ASSERT_EQ(call.alice.candidates.size(), 1u);
  EXPECT_EQ(call.alice.candidates[0].type, CandidateType::kHost);
  EXPECT_EQ(call.alice.candidates[0].priority >> 24, 126u);

  // Data both ways.
  ASSERT_TRUE(call.alice.agent->Send(Bytes("hello bob")).ok());
  ASSERT_TRUE(call.bob.agent->Send(Bytes("hello alice")).ok());
  w.Run(TimeDelta::Millis(50));
  ASSERT_EQ(call.bob.received.size(), 1u);
  EXPECT_EQ(call.bob.received[0], "hello bob");
  ASSERT_EQ(call.alice.received.size(), 1u);
  EXPECT_EQ(call.alice.received[0], "hello alice");

  // End-of-candidates came through: completed on both sides.
  w.Run(TimeDelta::Millis(100));
  EXPECT_EQ(call.alice.agent->state(), IceConnectionState::kCompleted);
  EXPECT_EQ(call.bob.agent->state(), IceConnectionState::kCompleted);
  EXPECT_TRUE(call.alice.Reached(IceConnectionState::kChecking));
  EXPECT_EQ(call.alice.agent->stats().selected_pair_changes, 1u);
  EXPECT_EQ(call.alice.agent->stats().role_conflicts, 0u);
  EXPECT_EQ(call.alice.agent->stats().unknown_source, 0u);
}

TEST(IceAgentTest, SrflxThroughTwoEndpointIndependentNats) {
  World::Options o;
  o.path = World::Path::kNat;
  World w(o);
  IceAgentConfig a = Config(IceRole::kControlling);
  IceAgentConfig b = Config(IceRole::kControlled);
  a.servers = {StunServer()};
  b.servers = {StunServer()};
  Call call(w, a, b);
  const Timestamp start = w.net.now();
  call.Start();
  ASSERT_TRUE(call.RunUntilConnected(TimeDelta::Seconds(10)));
  // Each side has a host and a server-reflexive candidate.
  ASSERT_EQ(call.alice.candidates.size(), 2u);
  EXPECT_EQ(call.alice.candidates[1].type, CandidateType::kServerReflexive);
  EXPECT_EQ(call.alice.candidates[1].address.ip(), Ip("203.0.113.1"));
  EXPECT_EQ(call.alice.candidates[1].related, call.alice.candidates[0].address);
  // The pair that works is between the NAT addresses: local as the peer saw
  // it (server-reflexive), remote the peer's server-reflexive candidate.
  ASSERT_TRUE(call.alice.selected.has_value());
  EXPECT_EQ(call.alice.selected->local.type, CandidateType::kServerReflexive);
  EXPECT_EQ(call.alice.selected->remote.type, CandidateType::kServerReflexive);
  EXPECT_EQ(call.alice.selected->remote.address.ip(), Ip("203.0.113.2"));
  ASSERT_TRUE(call.alice.agent->Send(Bytes("through the nats")).ok());
  w.Run(TimeDelta::Millis(100));
  ASSERT_EQ(call.bob.received.size(), 1u);
  EXPECT_EQ(call.bob.received[0], "through the nats");
  // Connected, not yet completed: the host pair to the peer's private
  // address has a higher priority and is still being checked. Nothing
  // answers it, so it fails when its check times out (RFC 8489 §6.2.1:
  // 39.5 s after the first send); then both sides complete.
  EXPECT_EQ(call.alice.agent->state(), IceConnectionState::kConnected) << call.alice.Dump();
  EXPECT_EQ(call.bob.agent->state(), IceConnectionState::kConnected) << call.bob.Dump();
  w.RunUntil(start + kTransactionTimeout + TimeDelta::Seconds(5));
  EXPECT_EQ(call.alice.agent->state(), IceConnectionState::kCompleted) << call.alice.Dump();
  EXPECT_EQ(call.bob.agent->state(), IceConnectionState::kCompleted) << call.bob.Dump();
  EXPECT_EQ(call.alice.agent->pairs()[0].state, CandidatePairState::kFailed) << call.alice.Dump();
  EXPECT_EQ(call.alice.selected_changes, 1);
}

TEST(IceAgentTest, RoleConflictBothControllingResolves) {
  World w({});
  IceAgentConfig a = Config(IceRole::kControlling);
  IceAgentConfig b = Config(IceRole::kControlling);
  a.tie_breaker = 100;
  b.tie_breaker = 200;  // bob wins: alice becomes controlled
  Call call(w, a, b);
  call.Start();
  ASSERT_TRUE(call.RunUntilConnected(TimeDelta::Seconds(5)));
  EXPECT_EQ(call.alice.agent->role(), IceRole::kControlled);
  EXPECT_EQ(call.bob.agent->role(), IceRole::kControlling);
  EXPECT_GT(call.alice.agent->stats().role_conflicts + call.bob.agent->stats().role_conflicts, 0u);
  ASSERT_TRUE(call.alice.agent->Send(Bytes("x")).ok());
  w.Run(TimeDelta::Millis(50));
  EXPECT_EQ(call.bob.received.size(), 1u);
}

TEST(IceAgentTest, RoleConflictBothControlledResolves) {
  World w({});
  IceAgentConfig a = Config(IceRole::kControlled);
  IceAgentConfig b = Config(IceRole::kControlled);
  a.tie_breaker = 100;
  b.tie_breaker = 200;  // bob's is larger: bob becomes controlling
  Call call(w, a, b);
  call.Start();
  ASSERT_TRUE(call.RunUntilConnected(TimeDelta::Seconds(5)));
  EXPECT_EQ(call.alice.agent->role(), IceRole::kControlled);
  EXPECT_EQ(call.bob.agent->role(), IceRole::kControlling);
}

// A raw socket on the stranger host, to play a hostile or broken peer.
struct Stranger {
  explicit Stranger(World& w) {
    socket = *w.stranger->Bind(SocketAddress(Ip("198.51.100.66"), 9999));
    socket->SetReceiveCallback([this](const SocketAddress&, absl::Span<const uint8_t> d) {
      received.emplace_back(d.begin(), d.end());
    });
  }
  std::unique_ptr<UdpSocket> socket;
  std::vector<std::vector<uint8_t>> received;
};

std::vector<uint8_t> Check(const std::string& username, const std::string& pwd, Random& rng,
                           bool with_priority = true) {
  stun::StunMessageBuilder b(stun::StunMethod::kBinding, stun::StunClass::kRequest,
                             stun::NewTransactionId(rng));
  b.AddString(stun::attr::kUsername, username);
  if (with_priority) b.AddUint32(stun::attr::kPriority, 12345);
  b.AddUint64(stun::attr::kIceControlled, 7);
  b.AddMessageIntegrity(stun::ShortTermKey(pwd));
  b.AddFingerprint();
  return std::move(b).Finish();
}

int ErrorCodeOf(const std::vector<uint8_t>& bytes) {
  auto m = stun::StunMessageView::Parse(bytes);
  if (!m.ok() || m->message_class() != stun::StunClass::kErrorResponse) return 0;
  auto e = m->GetErrorCode();
  return e.ok() ? e->code : 0;
}

TEST(IceAgentTest, HostilePacketsAreCountedAndDropped) {
  World w({});
  Call call(w, Config(IceRole::kControlling), Config(IceRole::kControlled));
  call.Start();
  ASSERT_TRUE(call.RunUntilConnected(TimeDelta::Seconds(5)));
  IceAgent& bob = *call.bob.agent;
  const SocketAddress target = bob.local_candidates()[0].address;
  const size_t pairs_before = bob.pairs().size();
  Stranger s(w);
  Random rng(42);
  const std::string user = bob.local_credentials().ufrag + ":evil";

  // Bad MESSAGE-INTEGRITY: 401, counted, no peer-reflexive candidate.
  ASSERT_TRUE(s.socket->SendTo(target, Check(user, "wrong-password-wrong-pw", rng)).ok());
  // Unknown ufrag: 401 too.
  ASSERT_TRUE(
      s.socket->SendTo(target, Check("nobody:evil", bob.local_credentials().pwd, rng)).ok());
  // Right credentials but no PRIORITY: 400.
  ASSERT_TRUE(s.socket->SendTo(target, Check(user, bob.local_credentials().pwd, rng, false)).ok());
  // A response to nothing we sent.
  stun::StunMessageBuilder resp(stun::StunMethod::kBinding, stun::StunClass::kSuccessResponse,
                                stun::NewTransactionId(rng));
  resp.AddXorAddress(stun::attr::kXorMappedAddress, target);
  resp.AddFingerprint();
  ASSERT_TRUE(s.socket->SendTo(target, resp.bytes()).ok());
  // Application data from an address no pair validated.
  ASSERT_TRUE(s.socket->SendTo(target, Bytes("injected")).ok());
  // Garbage that claims to be STUN.
  ASSERT_TRUE(s.socket->SendTo(target, std::vector<uint8_t>{0, 1, 0, 0, 1, 2}).ok());
  w.Run(TimeDelta::Millis(100));

  const IceAgentStats& st = bob.stats();
  EXPECT_EQ(st.integrity_failures, 2u);
  EXPECT_EQ(st.unknown_transaction, 1u);
  EXPECT_EQ(st.unknown_source, 1u);
  EXPECT_GE(st.malformed_packets, 2u);
  EXPECT_TRUE(call.bob.received.empty());
  EXPECT_EQ(bob.pairs().size(), pairs_before);
  ASSERT_EQ(s.received.size(), 3u);
  EXPECT_EQ(ErrorCodeOf(s.received[0]), 401);
  EXPECT_EQ(ErrorCodeOf(s.received[1]), 401);
  EXPECT_EQ(ErrorCodeOf(s.received[2]), 400);
  EXPECT_EQ(bob.state(), IceConnectionState::kCompleted);
}

TEST(IceAgentTest, ValidCheckFromNewAddressMakesPeerReflexiveCandidate) {
  World w({});
  Call call(w, Config(IceRole::kControlling), Config(IceRole::kControlled));
  call.Start();
  ASSERT_TRUE(call.RunUntilConnected(TimeDelta::Seconds(5)));
  IceAgent& bob = *call.bob.agent;
  Stranger s(w);
  Random rng(7);
  const std::string user =
      bob.local_credentials().ufrag + ":" + call.alice.agent->local_credentials().ufrag;
  ASSERT_TRUE(
      s.socket
          ->SendTo(bob.local_candidates()[0].address, Check(user, bob.local_credentials().pwd, rng))
          .ok());
  w.Run(TimeDelta::Millis(100));
  ASSERT_GE(s.received.size(), 1u);
  auto m = stun::StunMessageView::Parse(s.received[0]);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->message_class(), stun::StunClass::kSuccessResponse);
  EXPECT_EQ(*m->GetXorAddress(stun::attr::kXorMappedAddress), s.socket->local_address());
  // A triggered check came back to the new peer-reflexive candidate.
  EXPECT_GE(s.received.size(), 2u);
  bool found = false;
  for (const CandidatePairInfo& p : bob.pairs()) {
    if (p.remote.address == s.socket->local_address()) {
      found = true;
      EXPECT_EQ(p.remote.type, CandidateType::kPeerReflexive);
      EXPECT_EQ(p.remote.priority, 12345u);
    }
  }
  EXPECT_TRUE(found);
  EXPECT_GE(bob.stats().triggered_checks, 1u);
}

TEST(IceAgentTest, ConsentLostAfterLinkDownThenFailed) {
  World w({});
  Call call(w, Config(IceRole::kControlling), Config(IceRole::kControlled));
  call.Start();
  ASSERT_TRUE(call.RunUntilConnected(TimeDelta::Seconds(5)));
  w.Run(TimeDelta::Seconds(20));  // consent keeps it up
  EXPECT_EQ(call.alice.agent->state(), IceConnectionState::kCompleted);
  EXPECT_GE(call.alice.agent->stats().consent_checks_sent, 3u);
  EXPECT_FALSE(call.alice.Reached(IceConnectionState::kDisconnected));

  const Timestamp down = w.net.now();
  w.alice_link->SetUp(false);
  w.Run(TimeDelta::Seconds(40));
  auto disconnected = call.alice.FirstTime(IceConnectionState::kDisconnected);
  auto failed = call.alice.FirstTime(IceConnectionState::kFailed);
  ASSERT_TRUE(disconnected.has_value());
  ASSERT_TRUE(failed.has_value());
  EXPECT_LT(*disconnected - down, TimeDelta::Seconds(12)) << (*disconnected - down).ToString();
  // RFC 7675: 30 s after the last response, which came at most ~6 s before
  // the link went down.
  EXPECT_GT(*failed - down, TimeDelta::Seconds(23)) << (*failed - down).ToString();
  EXPECT_LE(*failed - down, TimeDelta::Seconds(30));
  EXPECT_EQ(call.alice.agent->stats().consent_expired, 1u);
  EXPECT_EQ(call.bob.agent->stats().consent_expired, 1u);
  auto st = call.alice.agent->Send(Bytes("anyone?"));
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("consent"), std::string::npos) << st;
}

TEST(IceAgentTest, DisconnectedRecoversWhenLinkComesBack) {
  World w({});
  Call call(w, Config(IceRole::kControlling), Config(IceRole::kControlled));
  call.Start();
  ASSERT_TRUE(call.RunUntilConnected(TimeDelta::Seconds(5)));
  w.alice_link->SetUp(false);
  w.Run(TimeDelta::Seconds(14));
  EXPECT_EQ(call.alice.agent->state(), IceConnectionState::kDisconnected);
  w.alice_link->SetUp(true);
  w.Run(TimeDelta::Seconds(8));
  EXPECT_EQ(call.alice.agent->state(), IceConnectionState::kCompleted);
  EXPECT_EQ(call.alice.agent->stats().consent_expired, 0u);
}

// Restarts both agents as an offer/answer would: alice restarts, her new
// credentials reach bob, who restarts too and answers with his.
void RestartBoth(Call& call) {
  ASSERT_TRUE(call.alice.agent->RestartIce().ok());
  call.alice.SendCredentials();
  ASSERT_TRUE(call.bob.agent->RestartIce().ok());
  call.bob.SendCredentials();
}

TEST(IceAgentTest, RestartWhileConnectedKeepsDataFlowingAndSelectsANewPair) {
  World w({});
  Call call(w, Config(IceRole::kControlling), Config(IceRole::kControlled));
  call.Start();
  ASSERT_TRUE(call.RunUntilConnected(TimeDelta::Seconds(5)));
  w.Run(TimeDelta::Seconds(1));
  const IceCredentials old_creds = call.alice.agent->local_credentials();
  call.alice.states.clear();
  RestartBoth(call);
  EXPECT_NE(call.alice.agent->local_credentials().ufrag, old_creds.ufrag);
  EXPECT_NE(call.alice.agent->local_credentials().pwd, old_creds.pwd);
  // Data still flows on the old pair during the restart.
  ASSERT_TRUE(call.alice.agent->Send(Bytes("during restart")).ok());
  w.Run(TimeDelta::Seconds(2));
  ASSERT_FALSE(call.bob.received.empty());
  EXPECT_EQ(call.bob.received[0], "during restart");
  EXPECT_TRUE(call.alice.Reached(IceConnectionState::kChecking));
  EXPECT_EQ(call.alice.agent->state(), IceConnectionState::kCompleted);
  EXPECT_EQ(call.alice.agent->stats().ice_restarts, 1u);
  EXPECT_EQ(call.alice.agent->stats().selected_pair_changes, 2u);
  EXPECT_EQ(call.bob.agent->stats().selected_pair_changes, 2u);
  // New candidates carry the new ufrag and generation.
  bool saw_generation_1 = false;
  for (const auto& [k, v] : call.alice.candidates.back().extensions) {
    if (k == "generation" && v == "1") saw_generation_1 = true;
  }
  EXPECT_TRUE(saw_generation_1);
  w.Run(TimeDelta::Seconds(40));  // consent on the new pair holds
  EXPECT_EQ(call.alice.agent->state(), IceConnectionState::kCompleted);
}

TEST(IceAgentTest, RestartRecoversAfterConsentLoss) {
  World w({});
  Call call(w, Config(IceRole::kControlling), Config(IceRole::kControlled));
  call.Start();
  ASSERT_TRUE(call.RunUntilConnected(TimeDelta::Seconds(5)));
  w.alice_link->SetUp(false);
  w.Run(TimeDelta::Seconds(40));
  ASSERT_EQ(call.alice.agent->state(), IceConnectionState::kFailed);
  w.alice_link->SetUp(true);
  call.alice.states.clear();
  RestartBoth(call);
  ASSERT_TRUE(call.RunUntilConnected(TimeDelta::Seconds(5)));
  EXPECT_TRUE(call.alice.Reached(IceConnectionState::kChecking));
  ASSERT_TRUE(call.alice.agent->Send(Bytes("back")).ok());
  w.Run(TimeDelta::Millis(100));
  ASSERT_FALSE(call.bob.received.empty());
  EXPECT_EQ(call.bob.received.back(), "back");
}

TEST(IceAgentTest, TrickleWithEndOfCandidates) {
  World::Options o;
  o.path = World::Path::kNat;
  World w(o);
  IceAgentConfig a = Config(IceRole::kControlling);
  IceAgentConfig b = Config(IceRole::kControlled);
  a.servers = {StunServer()};
  b.servers = {StunServer()};
  Call call(w, a, b);
  const TimeDelta signalling = TimeDelta::Millis(150);
  call.alice.signalling_delay = signalling;
  call.bob.signalling_delay = signalling;
  const Timestamp start = w.net.now();
  call.Start();
  ASSERT_TRUE(call.RunUntilConnected(TimeDelta::Seconds(10)));
  // Both gathered and both sent end-of-candidates, yet only connected: the
  // host-to-host pair across the two private networks outranks the
  // selected one and is still in progress.
  w.Run(TimeDelta::Seconds(1));
  EXPECT_TRUE(call.alice.gathering_complete);
  EXPECT_TRUE(call.bob.gathering_complete);
  EXPECT_EQ(call.alice.agent->gathering_state(), IceGatheringState::kComplete);
  EXPECT_EQ(call.alice.agent->state(), IceConnectionState::kConnected) << call.alice.Dump();
  EXPECT_EQ(call.bob.agent->state(), IceConnectionState::kConnected) << call.bob.Dump();
  // Completed once the pairs that could beat the selected one are done:
  // that host pair's check, first sent once the credentials and candidates
  // arrived (150 ms), fails 39.5 s later (RFC 8489 §6.2.1; RTO 500 ms, RFC
  // 8445 §14.3).
  w.RunUntil(start + kTransactionTimeout + kTimingSlack);
  for (const Side* side : {&call.alice, &call.bob}) {
    EXPECT_EQ(side->agent->state(), IceConnectionState::kCompleted) << side->Dump();
    const std::optional<Timestamp> completed = side->FirstTime(IceConnectionState::kCompleted);
    ASSERT_TRUE(completed.has_value()) << side->Dump();
    EXPECT_GE(*completed - start, signalling + kTransactionTimeout)
        << side->name << " completed at " << (*completed - start).ToString();
  }
  // RFC 8838 §14: candidates after end-of-candidates are ignored.
  Candidate late = call.alice.candidates[0];
  late.address = Addr("192.0.2.9:1234");
  late.extensions.clear();
  auto st = call.bob.agent->AddRemoteCandidate(late);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_EQ(call.bob.agent->stats().remote_candidates_rejected, 1u);
}

TEST(IceAgentTest, RejectsUnusableRemoteCandidates) {
  World w({});
  Call call(w, Config(IceRole::kControlling), Config(IceRole::kControlled));
  IceAgent& a = *call.alice.agent;
  auto tcp = ParseCandidate("candidate:1 1 tcp 1518280447 10.0.0.2 9 typ host tcptype active");
  ASSERT_TRUE(tcp.ok());
  EXPECT_EQ(a.AddRemoteCandidate(*tcp).code(), absl::StatusCode::kInvalidArgument);
  auto rtcp = ParseCandidate("candidate:1 2 udp 2130706430 10.0.0.2 9 typ host");
  EXPECT_EQ(a.AddRemoteCandidate(*rtcp).code(), absl::StatusCode::kInvalidArgument);
  auto zero = ParseCandidate("candidate:1 1 udp 2130706431 0.0.0.0 9 typ host");
  EXPECT_EQ(a.AddRemoteCandidate(*zero).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(a.stats().remote_candidates_rejected, 3u);
  EXPECT_EQ(a.Send(Bytes("x")).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(IceAgentTest, ThirtyPercentLossStillConnects) {
  World w({});
  // 30% loss each way between the agents (on alice's access link, both
  // directions): half the round trips fail.
  simnet::LinkParams lossy = Delay(5);
  lossy.loss = simnet::LossModel::Bernoulli(0.3);
  ASSERT_TRUE(w.alice_link->SetParams(lossy).ok());
  Call call(w, Config(IceRole::kControlling), Config(IceRole::kControlled));
  call.Start();
  ASSERT_TRUE(call.RunUntilConnected(TimeDelta::Seconds(20)))
      << call.alice.Dump() << call.bob.Dump();
  EXPECT_GT(call.alice.agent->stats().check_retransmissions +
                call.bob.agent->stats().check_retransmissions,
            0u);
  // Data gets through (each datagram with probability 0.7).
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(call.alice.agent->Send(Bytes("lossy")).ok());
  w.Run(TimeDelta::Millis(100));
  EXPECT_GT(call.bob.received.size(), 5u);
  EXPECT_LT(call.bob.received.size(), 20u);
}

TEST(IceAgentTest, FailsWhenNothingWorksAfterEndOfCandidates) {
  World w({});
  w.bob_link->SetUp(false);
  Call call(w, Config(IceRole::kControlling), Config(IceRole::kControlled));
  // Signalling does not use the network, so candidates still arrive.
  call.Start();
  const IceAgent& alice = *call.alice.agent;
  LastCheck last_check(alice);
  ASSERT_TRUE(w.RunUntil(
      [&] {
        last_check.Update(w.net.now());
        return alice.state() == IceConnectionState::kFailed;
      },
      kTransactionTimeout + TimeDelta::Seconds(10)))
      << call.alice.Dump();
  ASSERT_TRUE(last_check.at.has_value());
  auto failed = call.alice.FirstTime(IceConnectionState::kFailed);
  ASSERT_TRUE(failed.has_value());
  EXPECT_FALSE(call.alice.Reached(IceConnectionState::kConnected));
  // The peer sent end-of-candidates, so failed as soon as the last pair
  // failed (RFC 8838 §8): when the last check timed out, 39.5 s after its
  // first send (RFC 8489 §6.2.1 defaults; RTO 500 ms, RFC 8445 §14.3), not
  // before.
  const TimeDelta after_last_check = *failed - *last_check.at;
  EXPECT_GE(after_last_check, kTransactionTimeout) << after_last_check.ToString();
  EXPECT_LE(after_last_check, kTransactionTimeout + kTimingSlack) << after_last_check.ToString();
  // Each check went out Rc = 7 times.
  EXPECT_GE(alice.stats().checks_sent, 1u);
  EXPECT_EQ(alice.stats().check_retransmissions, (kTransmissions - 1) * alice.stats().checks_sent);
  ASSERT_FALSE(alice.pairs().empty());
  for (const CandidatePairInfo& p : alice.pairs()) {
    EXPECT_EQ(p.state, CandidatePairState::kFailed);
  }
  // Bob, whose link is down, fails the same way.
  w.Run(kTimingSlack);
  EXPECT_EQ(call.bob.agent->state(), IceConnectionState::kFailed) << call.bob.Dump();
}

TEST(IceAgentTest, FailsAfterCheckingTimeoutWithoutEndOfCandidates) {
  World w({});
  w.bob_link->SetUp(false);
  Call call(w, Config(IceRole::kControlling), Config(IceRole::kControlled));
  call.Start();
  // Only bob's candidate, never his end-of-candidates.
  call.bob.signal = false;
  Candidate c;
  c.foundation = "1";
  c.priority = 2130706431;
  c.address = Addr("10.0.0.2:49152");
  ASSERT_TRUE(call.alice.agent->AddRemoteCandidate(c).ok());
  const IceAgent& alice = *call.alice.agent;
  // The pair fails when its check times out, 39.5 s after the first send
  // (RFC 8489 §6.2.1 defaults; RTO 500 ms, RFC 8445 §14.3).
  LastCheck last_check(alice);
  auto all_failed = [&] {
    std::vector<CandidatePairInfo> pairs = alice.pairs();
    for (const CandidatePairInfo& p : pairs) {
      if (p.state != CandidatePairState::kFailed) return false;
    }
    return !pairs.empty();
  };
  ASSERT_TRUE(w.RunUntil(
      [&] {
        last_check.Update(w.net.now());
        return all_failed();
      },
      kTransactionTimeout + TimeDelta::Seconds(10)))
      << call.alice.Dump();
  const Timestamp pairs_failed = w.net.now();
  ASSERT_TRUE(last_check.at.has_value());
  const TimeDelta after_last_check = pairs_failed - *last_check.at;
  EXPECT_GE(after_last_check, kTransactionTimeout) << after_last_check.ToString();
  EXPECT_LE(after_last_check, kTransactionTimeout + kTimingSlack) << after_last_check.ToString();
  // Without end-of-candidates more could still come: checking until
  // `checking_timeout` of nothing to check and nothing valid, then failed.
  EXPECT_EQ(alice.state(), IceConnectionState::kChecking);
  const TimeDelta checking_timeout = IceAgentConfig().checking_timeout;
  w.RunUntil(pairs_failed + checking_timeout - TimeDelta::Millis(1));
  EXPECT_EQ(alice.state(), IceConnectionState::kChecking);
  w.Run(TimeDelta::Seconds(1));
  EXPECT_EQ(alice.state(), IceConnectionState::kFailed);
  auto failed = call.alice.FirstTime(IceConnectionState::kFailed);
  ASSERT_TRUE(failed.has_value());
  EXPECT_GE(*failed - pairs_failed, checking_timeout) << (*failed - pairs_failed).ToString();
  EXPECT_LE(*failed - pairs_failed, checking_timeout + TimeDelta::Millis(100))
      << (*failed - pairs_failed).ToString();
}

TEST(IceAgentTest, RelayOnlyPolicyUsesTurn) {
  World w({});
  IceAgentConfig a = Config(IceRole::kControlling);
  a.servers = {TurnServer("alice")};
  a.policy = IceTransportPolicy::kRelay;
  Call call(w, a, Config(IceRole::kControlled));
  call.Start();
  ASSERT_TRUE(call.RunUntilConnected(TimeDelta::Seconds(10)));
  for (const Candidate& c : call.alice.candidates) {
    EXPECT_EQ(c.type, CandidateType::kRelayed);
  }
  ASSERT_EQ(call.alice.candidates.size(), 1u);
  EXPECT_EQ(call.alice.candidates[0].address.ip(), Ip("198.51.100.2"));
  ASSERT_TRUE(call.alice.selected.has_value());
  EXPECT_EQ(call.alice.selected->local.type, CandidateType::kRelayed);
  ASSERT_TRUE(call.alice.agent->Send(Bytes("via turn")).ok());
  ASSERT_TRUE(call.bob.agent->Send(Bytes("back via turn")).ok());
  w.Run(TimeDelta::Millis(200));
  ASSERT_EQ(call.bob.received.size(), 1u);
  EXPECT_EQ(call.bob.received[0], "via turn");
  ASSERT_EQ(call.alice.received.size(), 1u);
  EXPECT_EQ(call.alice.received[0], "back via turn");
  // The selected relayed pair got a channel: data now travels as ChannelData.
  EXPECT_GE(w.turn_server->stats().channels_bound, 1u);
  const uint64_t channel_data = w.turn_server->stats().channel_data_from_client;
  ASSERT_TRUE(call.alice.agent->Send(Bytes("via channel")).ok());
  w.Run(TimeDelta::Millis(200));
  EXPECT_EQ(w.turn_server->stats().channel_data_from_client, channel_data + 1);
  EXPECT_EQ(call.bob.received.back(), "via channel");
  w.Run(TimeDelta::Seconds(60));  // consent through the relay
  EXPECT_TRUE(Call::Connected(call.alice));
  EXPECT_TRUE(Call::Connected(call.bob));
}

TEST(IceAgentTest, SymmetricNatsNeedTheRelay) {
  World::Options o;
  o.path = World::Path::kNat;
  o.mapping = simnet::NatMapping::kAddressAndPortDependent;
  World w(o);
  IceAgentConfig a = Config(IceRole::kControlling);
  IceAgentConfig b = Config(IceRole::kControlled);
  a.servers = {StunServer(), TurnServer("alice")};
  b.servers = {StunServer()};
  Call call(w, a, b);
  const Timestamp start = w.net.now();
  call.Start();
  ASSERT_TRUE(call.RunUntilConnected(TimeDelta::Seconds(20)));
  ASSERT_TRUE(call.alice.selected.has_value());
  EXPECT_EQ(call.alice.selected->local.type, CandidateType::kRelayed);
  ASSERT_TRUE(call.bob.agent->Send(Bytes("hi")).ok());
  w.Run(TimeDelta::Millis(200));
  ASSERT_EQ(call.alice.received.size(), 1u);
  // Connected through the relay; completed only once the pairs that
  // outrank the relayed one are done. Nothing answers those, so each fails
  // when its check times out, 39.5 s after its first send (RFC 8489
  // §6.2.1).
  EXPECT_EQ(call.alice.agent->state(), IceConnectionState::kConnected) << call.alice.Dump();
  w.RunUntil(start + kTransactionTimeout + TimeDelta::Seconds(5));
  EXPECT_EQ(call.alice.agent->state(), IceConnectionState::kCompleted) << call.alice.Dump();
  EXPECT_EQ(call.bob.agent->state(), IceConnectionState::kCompleted) << call.bob.Dump();
  ASSERT_TRUE(call.alice.selected.has_value());
  EXPECT_EQ(call.alice.selected->local.type, CandidateType::kRelayed);
}

TEST(IceAgentTest, SameSeedSameRun) {
  auto run = [](uint64_t seed) {
    World::Options o;
    o.path = World::Path::kNat;
    o.seed = seed;
    World w(o);
    IceAgentConfig a = Config(IceRole::kControlling);
    IceAgentConfig b = Config(IceRole::kControlled);
    a.servers = {StunServer()};
    b.servers = {StunServer()};
    Call call(w, a, b);
    call.Start();
    w.Run(TimeDelta::Seconds(12));
    return std::make_pair(w.net.trace().hash(), call.alice.agent->local_credentials().ufrag);
  };
  EXPECT_EQ(run(5), run(5));
  EXPECT_NE(run(5).second, run(6).second);
}

TEST(IceAgentTest, SwitchesToABetterPairThatAppearsLater) {
  // Both behind port-restricted NATs. Bob first learns only alice's relayed
  // candidate, so the relayed pair is the first that works; alice's
  // server-reflexive candidate reaches bob 3 s later, opens the direct path,
  // and the controlling agent renominates (ice_agent.cc "Nomination").
  World::Options o;
  o.path = World::Path::kNat;
  World w(o);
  IceAgentConfig a = Config(IceRole::kControlling);
  IceAgentConfig b = Config(IceRole::kControlled);
  a.servers = {StunServer(), TurnServer("alice")};
  b.servers = {StunServer()};
  Call call(w, a, b);
  call.alice.hold = [](const Candidate& c) { return c.type != CandidateType::kRelayed; };
  call.Start();
  ASSERT_TRUE(call.RunUntilConnected(TimeDelta::Seconds(10)))
      << call.alice.Dump() << call.bob.Dump();
  ASSERT_TRUE(call.alice.selected.has_value());
  EXPECT_EQ(call.alice.selected->local.type, CandidateType::kRelayed);
  EXPECT_EQ(call.alice.selected_changes, 1);
  EXPECT_EQ(call.bob.selected_changes, 1);
  w.Run(TimeDelta::Seconds(3));
  call.alice.ReleaseHeld();
  call.alice.Deliver([](Side* to) { to->agent->AddRemoteEndOfCandidates(); });
  w.Run(TimeDelta::Seconds(3));
  ASSERT_EQ(call.alice.selected_changes, 2) << call.alice.Dump();
  EXPECT_EQ(call.alice.selected->local.type, CandidateType::kServerReflexive);
  EXPECT_EQ(call.alice.selected->remote.address.ip(), Ip("203.0.113.2"));
  ASSERT_EQ(call.bob.selected_changes, 2) << call.bob.Dump();
  EXPECT_EQ(call.bob.selected->remote.address.ip(), Ip("203.0.113.1"));
  EXPECT_EQ(call.alice.agent->stats().selected_pair_changes, 2u);
  // Data now goes direct: the TURN server relays nothing more.
  const uint64_t relayed = w.turn_server->stats().bytes_to_peers;
  ASSERT_TRUE(call.alice.agent->Send(Bytes("direct")).ok());
  w.Run(TimeDelta::Millis(100));
  ASSERT_FALSE(call.bob.received.empty());
  EXPECT_EQ(call.bob.received.back(), "direct");
  EXPECT_EQ(w.turn_server->stats().bytes_to_peers, relayed);
}

TEST(IceAgentTest, DualStackPrefersIpv6AndPairsPerFamily) {
  World::Options o;
  o.dual_stack = true;
  World w(o);
  IceAgentConfig a = Config(IceRole::kControlling);
  IceAgentConfig b = Config(IceRole::kControlled);
  a.local_addresses = {Ip("10.0.0.1"), Ip("2001:db8:a::1")};
  b.local_addresses = {Ip("10.0.0.2"), Ip("2001:db8:b::1")};
  Call call(w, a, b);
  call.Start();
  ASSERT_TRUE(call.RunUntilConnected(TimeDelta::Seconds(5)));
  ASSERT_EQ(call.alice.candidates.size(), 2u);
  const Candidate& v4 = call.alice.candidates[0];
  const Candidate& v6 = call.alice.candidates[1];
  EXPECT_TRUE(v6.address.ip().is_v6());
  EXPECT_GT(v6.priority, v4.priority);      // RFC 8421: IPv6 preferred
  EXPECT_NE(v6.foundation, v4.foundation);  // different bases
  w.Run(TimeDelta::Millis(500));
  // Two pairs, one per family (RFC 8445 §6.1.2.2), v6 first.
  auto pairs = call.alice.agent->pairs();
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_TRUE(pairs[0].local.address.ip().is_v6());
  EXPECT_TRUE(pairs[0].remote.address.ip().is_v6());
  EXPECT_TRUE(pairs[1].remote.address.ip().is_v4());
  ASSERT_TRUE(call.alice.selected.has_value());
  EXPECT_TRUE(call.alice.selected->remote.address.ip().is_v6());
  EXPECT_EQ(call.alice.agent->state(), IceConnectionState::kCompleted);
}

TEST(IceAgentTest, ChecksArrivingBeforeRemoteCredentialsAreAnsweredAndQueued) {
  World w({});
  Call call(w, Config(IceRole::kControlling), Config(IceRole::kControlled));
  ASSERT_TRUE(call.alice.agent->GatherCandidates().ok());
  ASSERT_TRUE(call.bob.agent->GatherCandidates().ok());
  call.alice.SendCredentials();  // bob can check at once
  w.Run(TimeDelta::Millis(500));
  // Alice answered bob's checks and learnt him as peer-reflexive, but
  // cannot check back without his password.
  EXPECT_GT(call.alice.agent->stats().checks_received, 0u);
  EXPECT_EQ(call.alice.agent->stats().checks_sent, 0u);
  EXPECT_EQ(call.alice.agent->state(), IceConnectionState::kChecking);
  call.bob.SendCredentials();
  ASSERT_TRUE(call.RunUntilConnected(TimeDelta::Seconds(2)));
  EXPECT_GT(call.alice.agent->stats().triggered_checks, 0u);
}

TEST(IceAgentTest, KeepalivesWhenIdleAndCloseStopsEverything) {
  World w({});
  // Consent checks (and the responses to the peer's) count as traffic on
  // the pair; space them out so keepalives show.
  IceAgentConfig a = Config(IceRole::kControlling);
  a.consent_interval = TimeDelta::Seconds(40);
  a.consent_timeout = TimeDelta::Seconds(120);
  a.disconnected_timeout = TimeDelta::Seconds(60);
  IceAgentConfig b = a;
  b.role = IceRole::kControlled;
  Call call(w, a, b);
  call.Start();
  ASSERT_TRUE(call.RunUntilConnected(TimeDelta::Seconds(5)));
  w.Run(TimeDelta::Seconds(31));
  EXPECT_EQ(call.alice.agent->stats().keepalives_sent, 2u);
  EXPECT_EQ(call.alice.agent->stats().consent_checks_sent, 0u);

  call.alice.agent->Close();
  EXPECT_EQ(call.alice.agent->state(), IceConnectionState::kClosed);
  EXPECT_EQ(call.alice.states.back().first, IceConnectionState::kClosed);
  EXPECT_EQ(call.alice.agent->Send(Bytes("x")).code(), absl::StatusCode::kFailedPrecondition);
  const uint64_t sent = w.alice->stats().sent;
  w.Run(TimeDelta::Seconds(60));
  EXPECT_EQ(w.alice->stats().sent, sent);
}

TEST(IceAgentTest, AgentsSharingAHostNeedDistinctNames) {
  World w({});
  IceAgentConfig one, two;
  one.name = "ice-1";
  two.name = "ice-2";
  IceAgent a(w.alice->env(), one, {});
  IceAgent b(w.alice->env(), two, {});
  EXPECT_NE(a.local_credentials().ufrag, b.local_credentials().ufrag);
  EXPECT_GE(a.local_credentials().ufrag.size(), 4u);
  EXPECT_GE(a.local_credentials().pwd.size(), 22u);
  ASSERT_TRUE(a.GatherCandidates().ok());
  ASSERT_TRUE(b.GatherCandidates().ok());
  EXPECT_EQ(a.GatherCandidates().code(), absl::StatusCode::kFailedPrecondition);
  w.Run(TimeDelta::Millis(10));
  EXPECT_EQ(a.gathering_state(), IceGatheringState::kComplete);
  EXPECT_NE(a.local_candidates()[0].address, b.local_candidates()[0].address);
}

TEST(IceAgentTest, GatheringFailsClearlyWithoutAnAddress) {
  World w({});
  IceAgentConfig c;
  c.local_addresses = {Ip("10.9.9.9")};
  IceAgent a(w.alice->env(), c, {});
  absl::Status st = a.GatherCandidates();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("10.9.9.9"), std::string::npos) << st;
}

TEST(IceAgentTest, UnreachableStunServerOnlyDelaysGatheringComplete) {
  World w({});
  IceAgentConfig a = Config(IceRole::kControlling);
  IceServer dead;
  dead.address = Addr("198.51.100.99:3478");
  a.servers = {dead};
  Call call(w, a, Config(IceRole::kControlled));
  const Timestamp start = w.net.now();
  call.Start();
  ASSERT_TRUE(call.RunUntilConnected(TimeDelta::Seconds(2)));
  EXPECT_EQ(call.alice.agent->gathering_state(), IceGatheringState::kGathering);
  EXPECT_EQ(call.alice.agent->state(), IceConnectionState::kConnected);
  // The Binding request goes out when gathering starts and is retransmitted
  // per RFC 8489 §6.2.1 (RTO MAX(500 ms, Ta·1 server) = 500 ms, RFC 8445
  // §14.3) until it times out 39.5 s later: only then is gathering
  // complete. The connection works all along.
  ASSERT_TRUE(w.RunUntil([&] { return call.alice.gathering_complete; },
                         kTransactionTimeout + TimeDelta::Seconds(10)));
  ASSERT_TRUE(call.alice.gathering_complete_at.has_value());
  const TimeDelta took = *call.alice.gathering_complete_at - start;
  EXPECT_GE(took, kTransactionTimeout) << took.ToString();
  EXPECT_LE(took, kTransactionTimeout + kTimingSlack) << took.ToString();
  EXPECT_EQ(call.alice.agent->gathering_state(), IceGatheringState::kComplete);
  // The peer's end-of-candidates came long ago: completed right away.
  EXPECT_EQ(call.alice.agent->state(), IceConnectionState::kCompleted);
  auto completed = call.alice.FirstTime(IceConnectionState::kCompleted);
  ASSERT_TRUE(completed.has_value());
  EXPECT_EQ(*completed, *call.alice.gathering_complete_at)
      << (*completed - *call.alice.gathering_complete_at).ToString();
  EXPECT_FALSE(call.alice.Reached(IceConnectionState::kDisconnected));
  EXPECT_EQ(call.alice.candidates.size(), 1u);
}

// Same NAT type on both sides, each combination of RFC 4787 mapping and
// filtering, with and without a TURN server. Expectations follow NAT
// traversal theory: direct works when the mapping is endpoint-independent
// (the srflx address is the one the peer sees), or address-dependent with
// endpoint-independent filtering (the peer-reflexive address gets
// through); everything else needs the relay. Address-and-port-dependent
// mapping with endpoint-independent filtering on both sides is the case
// that spins off a new peer-reflexive candidate per triggered check.
TEST(IceAgentTest, NatCombinationsConnectDirectlyOrThroughTheRelay) {
  using M = simnet::NatMapping;
  using F = simnet::NatFiltering;
  for (M m : {M::kEndpointIndependent, M::kAddressDependent, M::kAddressAndPortDependent}) {
    for (F f : {F::kEndpointIndependent, F::kAddressDependent, F::kAddressAndPortDependent}) {
      for (bool turn : {false, true}) {
        World::Options o;
        o.path = World::Path::kNat;
        o.mapping = m;
        o.filtering = f;
        World w(o);
        IceAgentConfig a = Config(IceRole::kControlling);
        IceAgentConfig b = Config(IceRole::kControlled);
        a.servers = {StunServer()};
        if (turn) a.servers.push_back(TurnServer("alice"));
        b.servers = {StunServer()};
        Call call(w, a, b);
        const Timestamp start = w.net.now();
        call.Start();
        const std::string what = std::string(simnet::ToString(m)) + "/" + simnet::ToString(f) +
                                 (turn ? " with TURN" : "");
        const bool direct = m == M::kEndpointIndependent ||
                            (m == M::kAddressDependent && f == F::kEndpointIndependent);
        const bool connected = call.RunUntilConnected(TimeDelta::Seconds(5));
        EXPECT_EQ(connected, direct || turn) << what << "\n"
                                             << call.alice.Dump() << call.bob.Dump();
        // Completed once every pair that outranks the selected one is done,
        // failed once every pair is. Pairs that never get an answer fail when
        // their checks time out, 39.5 s after the first send (RFC 8489
        // §6.2.1).
        w.RunUntil(start + kTransactionTimeout + TimeDelta::Seconds(5));
        if (direct || turn) {
          EXPECT_EQ(call.alice.agent->state(), IceConnectionState::kCompleted) << what;
          EXPECT_EQ(call.bob.agent->state(), IceConnectionState::kCompleted) << what;
          ASSERT_TRUE(call.alice.selected.has_value()) << what;
          EXPECT_EQ(call.alice.selected->local.type == CandidateType::kRelayed, !direct) << what;
        } else {
          EXPECT_EQ(call.alice.agent->state(), IceConnectionState::kFailed) << what;
          EXPECT_EQ(call.bob.agent->state(), IceConnectionState::kFailed) << what;
        }
        EXPECT_LE(call.alice.agent->pairs().size(), 20u) << what;
      }
    }
  }
}

TEST(IceAgentTest, RedundantServerReflexiveCandidateIsDropped) {
  // No NAT: the STUN server reports the host address itself, which RFC 8445
  // §5.1.3 calls redundant.
  World w({});
  IceAgentConfig a = Config(IceRole::kControlling);
  a.servers = {StunServer()};
  Call call(w, a, Config(IceRole::kControlled));
  call.Start();
  ASSERT_TRUE(call.RunUntilConnected(TimeDelta::Seconds(2)));
  w.Run(TimeDelta::Seconds(1));
  EXPECT_TRUE(call.alice.gathering_complete);
  ASSERT_EQ(call.alice.candidates.size(), 1u);
  EXPECT_EQ(call.alice.candidates[0].type, CandidateType::kHost);
  EXPECT_EQ(w.stun_server->stats().requests, 1u);
}

}  // namespace
}  // namespace rtcsim::ice
