// Interop: our TurnClient (stack/turn) on RealEnv against a real coturn
// `turnserver` started by this test on 127.0.0.1 with a fresh config.
//
// Checks the RFC 8656 paths against an independent implementation: the
// RFC 8489 §9.2 long-term credential dance (401 then authenticated
// Allocate), wrong credentials (401), a stale nonce (438, RFC 8489 §9.2.4),
// CreatePermission + Send/Data indications (§10, §11), ChannelBind +
// ChannelData both ways (§12), and Deallocate (§8, LIFETIME 0).
//
// The process plumbing (fork/exec, kill, waitpid) is ../child_process.h,
// outside stack/, as the OS-access rule asks (../shared/DESIGN.md §3). Every
// wait is bounded; nothing here asserts on timing.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "conformance/interop/child_process.h"
#include "gtest/gtest.h"
#include "stack/env/env.h"
#include "stack/realnet/real_env.h"
#include "stack/stun/stun_message.h"
#include "stack/turn/turn_client.h"

namespace rtcsim::turn {
namespace {

// Bounds on waits over loopback; generous so a loaded CI machine passes.
constexpr TimeDelta kStep = TimeDelta::Seconds(5);
constexpr TimeDelta kStartupTimeout = TimeDelta::Seconds(15);

constexpr char kUser[] = "u";
constexpr char kPassword[] = "p";
constexpr char kRealm[] = "rtcsim";

const IpAddress kLoopback = IpAddress::V4(127, 0, 0, 1);

std::vector<uint8_t> Bytes(absl::string_view s) { return std::vector<uint8_t>(s.begin(), s.end()); }
std::string Text(absl::Span<const uint8_t> b) { return std::string(b.begin(), b.end()); }

// $RTCSIM_TURNSERVER, else `turnserver` on PATH, else /usr/bin/turnserver.
std::optional<std::string> FindTurnserver() {
  if (const char* explicit_path = std::getenv("RTCSIM_TURNSERVER")) {
    if (access(explicit_path, X_OK) == 0) return std::string(explicit_path);
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::vector<std::string> dirs;
  if (path != nullptr) dirs = absl::StrSplit(path, ':', absl::SkipEmpty());
  dirs.push_back("/usr/bin");
  dirs.push_back("/usr/sbin");
  for (const std::string& dir : dirs) {
    std::string candidate = dir + "/turnserver";
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

// A free UDP port on 127.0.0.1, found by binding port 0 and letting go.
// Another process could take it before coturn does; the startup check
// below would then fail loudly rather than talk to a stranger.
absl::StatusOr<uint16_t> FreeUdpPort(RealEnv& env) {
  auto socket = env.BindUdp(SocketAddress(kLoopback, 0));
  if (!socket.ok()) return socket.status();
  return (*socket)->local_address().port();
}

// One coturn process, with a config of its own. ChildProcess stops it
// (SIGTERM, then SIGKILL) when destroyed, so a failed assertion never leaves
// it running; PR_SET_PDEATHSIG covers a test binary that is killed outright.
class Coturn {
 public:
  absl::Status Start(const std::string& binary, uint16_t port,
                     const std::vector<std::string>& extra_args) {
    std::string templ = interop::TempDir() + "/coturn.XXXXXX";
    if (mkdtemp(templ.data()) == nullptr) {
      return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
    }
    dir_ = templ;
    const std::string config_path = dir_ + "/turnserver.conf";
    log_path_ = dir_ + "/turnserver.log";
    {
      // A config of our own, so /etc/turnserver.conf plays no part.
      std::ofstream config(config_path);
      config << "listening-ip=127.0.0.1\n"
             << "relay-ip=127.0.0.1\n"
             << "listening-port=" << port << "\n"
             << "lt-cred-mech\n"
             << "user=" << kUser << ":" << kPassword << "\n"
             << "realm=" << kRealm
             << "\n"
             // coturn refuses loopback peers (403) without this.
             << "allow-loopback-peers\n"
             << "no-cli\n"
             << "no-tls\n"
             << "no-dtls\n"
             << "no-tcp\n"
             << "no-tcp-relay\n"
             << "no-rfc5780\n"
             << "fingerprint\n"
             << "log-file=stdout\n"
             << "simple-log\n"
             << "pidfile=" << dir_ << "/turnserver.pid\n"
             << "userdb=" << dir_ << "/turndb\n";
      if (!config) return absl::InternalError(absl::StrCat("cannot write ", config_path));
    }
    std::vector<std::string> args = {binary, "-c", config_path};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    command_ = absl::StrJoin(args, " ");
    auto child = interop::ChildProcess::Start(std::move(args),
                                              {.stdout_file = log_path_, .stderr_file = log_path_});
    if (!child.ok()) return child.status();
    child_ = std::move(*child);
    return absl::OkStatus();
  }

  // Whether the process is still running; ChildProcess records how it
  // ended otherwise.
  bool Running() { return child_ != nullptr && child_->Running(); }

  // SIGTERM, up to 5 s for a clean exit, then SIGKILL.
  void Stop() {
    if (child_ != nullptr) child_->Stop(TimeDelta::Seconds(5));
  }

  std::string Describe() const {
    if (command_.empty()) return "turnserver was not started";
    std::string text = interop::ReadFile(log_path_);
    if (text.size() > 4000) text = "...\n" + text.substr(text.size() - 4000);
    const std::string ended = child_ != nullptr ? child_->exit_description() : "";
    return absl::StrCat("command: ", command_, "\n", ended.empty() ? "" : "process ", ended,
                        "\nlog (", log_path_, "):\n", text);
  }

 private:
  std::unique_ptr<interop::ChildProcess> child_;
  std::string dir_;
  std::string log_path_;
  std::string command_;
};

// Sends Binding requests (RFC 8489 §6) until coturn answers one.
absl::Status WaitUntilAnswering(RealEnv& env, Coturn& coturn, const SocketAddress& server) {
  auto socket = env.BindUdp(SocketAddress(kLoopback, 0));
  if (!socket.ok()) return socket.status();
  bool answered = false;
  stun::TransactionId id{};
  (*socket)->SetReceiveCallback([&](const SocketAddress&, absl::Span<const uint8_t> data) {
    auto m = stun::StunMessageView::Parse(data);
    if (m.ok() && m->transaction_id() == id &&
        m->message_class() == stun::StunClass::kSuccessResponse) {
      answered = true;
    }
  });
  Random random = env.CreateRandom("coturn-probe");
  const Timestamp deadline = env.Now() + kStartupTimeout;
  while (env.Now() < deadline) {
    if (!coturn.Running()) return absl::UnavailableError("turnserver exited during startup");
    id = stun::NewTransactionId(random);
    stun::StunMessageBuilder request(stun::StunMethod::kBinding, stun::StunClass::kRequest, id);
    (*socket)->SendTo(server, request.bytes()).IgnoreError();
    if (env.RunUntil([&] { return answered; }, TimeDelta::Millis(200))) return absl::OkStatus();
  }
  return absl::DeadlineExceededError(absl::StrCat("turnserver did not answer a Binding request on ",
                                                  server.ToString(), " within ",
                                                  kStartupTimeout.ToString()));
}

// A TurnClient on its own loopback socket.
struct Client {
  Client(RealEnv& env, const SocketAddress& server, const std::string& password) : env(env) {
    auto s = env.BindUdp(SocketAddress(kLoopback, 0));
    EXPECT_TRUE(s.ok()) << s.status();
    socket = *std::move(s);
    TurnClientConfig config;
    config.server = server;
    config.username = kUser;
    config.password = password;
    client = std::make_unique<TurnClient>(
        env, config, [this](const SocketAddress& to, absl::Span<const uint8_t> bytes) {
          socket->SendTo(to, bytes).IgnoreError();
        });
    socket->SetReceiveCallback([this](const SocketAddress& from, absl::Span<const uint8_t> data) {
      if (from == client->server() && !client->HandlePacket(data)) ++not_turn;
    });
    client->SetDataCallback([this](const SocketAddress& peer, absl::Span<const uint8_t> data) {
      received.emplace_back(peer, Text(data));
    });
  }

  absl::StatusOr<TurnClient::Allocation> Allocate() {
    std::optional<absl::StatusOr<TurnClient::Allocation>> result;
    client->Allocate([&](absl::StatusOr<TurnClient::Allocation> r) { result = std::move(r); });
    env.RunUntil([&] { return result.has_value(); }, kStep);
    if (!result.has_value()) return absl::DeadlineExceededError("no Allocate answer");
    return *result;
  }

  absl::Status Wait(const std::function<void(TurnClient::DoneCallback)>& start) {
    std::optional<absl::Status> result;
    start([&](absl::Status s) { result = s; });
    env.RunUntil([&] { return result.has_value(); }, kStep);
    return result.value_or(absl::DeadlineExceededError("no answer"));
  }

  RealEnv& env;
  std::unique_ptr<UdpSocket> socket;
  std::unique_ptr<TurnClient> client;
  std::vector<std::pair<SocketAddress, std::string>> received;
  int not_turn = 0;
};

// A UDP peer on loopback that echoes every datagram back, prefixed.
struct EchoPeer {
  explicit EchoPeer(RealEnv& env) {
    auto s = env.BindUdp(SocketAddress(kLoopback, 0));
    EXPECT_TRUE(s.ok()) << s.status();
    socket = *std::move(s);
    socket->SetReceiveCallback([this](const SocketAddress& from, absl::Span<const uint8_t> data) {
      received.emplace_back(from, Text(data));
      socket->SendTo(from, Bytes("echo:" + Text(data))).IgnoreError();
    });
  }
  SocketAddress address() const { return socket->local_address(); }

  std::unique_ptr<UdpSocket> socket;
  std::vector<std::pair<SocketAddress, std::string>> received;
};

class CoturnInteropTest : public ::testing::Test {
 protected:
  // Starts turnserver with `extra_args`; fails the test (with the log) if
  // it is missing or does not come up.
  void StartCoturn(const std::vector<std::string>& extra_args = {}) {
    std::optional<std::string> binary = FindTurnserver();
    ASSERT_TRUE(binary.has_value())
        << "coturn's `turnserver` was not found (looked at $RTCSIM_TURNSERVER, PATH, "
           "/usr/bin, /usr/sbin). This test needs it: run `./rtcsim setup` (installs the Debian "
           "package `coturn`) or `apt-get install -y coturn`.";
    auto port = FreeUdpPort(env_);
    ASSERT_TRUE(port.ok()) << port.status();
    server_ = SocketAddress(kLoopback, *port);
    absl::Status started = coturn_.Start(*binary, *port, extra_args);
    ASSERT_TRUE(started.ok()) << started;
    absl::Status ready = WaitUntilAnswering(env_, coturn_, server_);
    ASSERT_TRUE(ready.ok()) << ready << "\n" << coturn_.Describe();
  }

  void TearDown() override {
    if (HasFailure()) std::cerr << coturn_.Describe() << "\n";
    coturn_.Stop();
  }

  RealEnv env_;
  Coturn coturn_;
  SocketAddress server_;
};

TEST_F(CoturnInteropTest, AllocatePermissionChannelAndRelayBothWays) {
  ASSERT_NO_FATAL_FAILURE(StartCoturn());
  EchoPeer peer(env_);
  Client c(env_, server_, kPassword);

  auto allocation = c.Allocate();
  ASSERT_TRUE(allocation.ok()) << allocation.status();
  EXPECT_EQ(c.client->state(), TurnState::kAllocated);
  EXPECT_EQ(allocation->relayed.ip(), kLoopback);
  EXPECT_NE(allocation->relayed.port(), 0);
  // No NAT on loopback: the server-reflexive address is the socket itself.
  EXPECT_EQ(allocation->mapped, c.socket->local_address());
  EXPECT_GT(allocation->lifetime, TimeDelta::Zero());
  // RFC 8489 §9.2: coturn challenged the first request with 401.
  EXPECT_EQ(c.client->stats().unauthorized_challenges, 1u);
  EXPECT_EQ(c.client->stats().allocate_requests, 2u);

  // §10 + §11: permission, Send indication out, Data indication back.
  ASSERT_TRUE(c.Wait([&](auto done) { c.client->CreatePermission(kLoopback, done); }).ok());
  EXPECT_TRUE(c.client->HasPermission(kLoopback));
  ASSERT_TRUE(c.client->SendTo(peer.address(), Bytes("by indication")).ok());
  env_.RunUntil([&] { return c.received.size() >= 1; }, kStep);
  ASSERT_EQ(peer.received.size(), 1u);
  EXPECT_EQ(peer.received[0].first, allocation->relayed);
  EXPECT_EQ(peer.received[0].second, "by indication");
  ASSERT_EQ(c.received.size(), 1u);
  EXPECT_EQ(c.received[0].first, peer.address());
  EXPECT_EQ(c.received[0].second, "echo:by indication");

  // §12: channel bound, ChannelData out, and coturn must answer on the
  // channel too (§12.5: the server MUST use it once bound).
  ASSERT_TRUE(c.Wait([&](auto done) { c.client->BindChannel(peer.address(), done); }).ok());
  ASSERT_TRUE(c.client->SendTo(peer.address(), Bytes("by channel")).ok());
  // An odd length exercises the padding on the way out (§12.5).
  ASSERT_TRUE(c.client->SendTo(peer.address(), Bytes("odd")).ok());
  env_.RunUntil([&] { return c.received.size() >= 3; }, kStep);
  ASSERT_EQ(peer.received.size(), 3u);
  EXPECT_EQ(peer.received[1].second, "by channel");
  EXPECT_EQ(peer.received[2].second, "odd");
  EXPECT_EQ(peer.received[2].first, allocation->relayed);
  ASSERT_EQ(c.received.size(), 3u);
  EXPECT_EQ(c.received[1].second, "echo:by channel");
  EXPECT_EQ(c.received[2].second, "echo:odd");
  EXPECT_EQ(c.received[2].first, peer.address());

  const TurnClientStats& s = c.client->stats();
  EXPECT_EQ(s.permissions_created, 1u);
  EXPECT_EQ(s.channels_bound, 1u);
  EXPECT_EQ(s.send_indications, 1u);
  EXPECT_EQ(s.data_indications, 1u);
  EXPECT_EQ(s.channel_data_sent, 2u);
  EXPECT_EQ(s.channel_data_received, 2u);
  EXPECT_EQ(s.dropped, 0u);
  EXPECT_EQ(c.not_turn, 0);
  EXPECT_EQ(c.client->transaction_stats().integrity_failures, 0u);

  // §8: LIFETIME 0 deletes; coturn answers with success.
  const uint64_t succeeded = c.client->transaction_stats().succeeded;
  c.client->Deallocate();
  EXPECT_EQ(c.client->state(), TurnState::kDeallocated);
  env_.RunUntil([&] { return c.client->transaction_stats().succeeded > succeeded; }, kStep);
  EXPECT_EQ(c.client->transaction_stats().succeeded, succeeded + 1);
  EXPECT_EQ(c.client->transaction_stats().timed_out, 0u);
  // The relay is gone: the peer's datagrams reach nobody.
  ASSERT_TRUE(peer.socket->SendTo(allocation->relayed, Bytes("after")).ok());
  env_.RunFor(TimeDelta::Millis(300));
  EXPECT_EQ(c.received.size(), 3u);
}

TEST_F(CoturnInteropTest, WrongPasswordIsRejectedWith401) {
  ASSERT_NO_FATAL_FAILURE(StartCoturn());
  Client c(env_, server_, "not-the-password");
  auto allocation = c.Allocate();
  ASSERT_FALSE(allocation.ok());
  EXPECT_EQ(TurnErrorCode(allocation.status()), 401) << allocation.status();
  EXPECT_EQ(c.client->state(), TurnState::kFailed);
  EXPECT_EQ(c.client->stats().allocate_requests, 2u);
}

TEST_F(CoturnInteropTest, StaleNonceIsRetried) {
  // coturn's nonces then last 2 s (RFC 8489 §9.2.4: 438 Stale Nonce).
  ASSERT_NO_FATAL_FAILURE(StartCoturn({"--stale-nonce=2"}));
  EchoPeer peer(env_);
  Client c(env_, server_, kPassword);
  ASSERT_TRUE(c.Allocate().ok());
  env_.RunFor(TimeDelta::Seconds(3));
  ASSERT_TRUE(c.Wait([&](auto done) { c.client->CreatePermission(kLoopback, done); }).ok());
  EXPECT_GE(c.client->stats().stale_nonce_retries, 1u);
  ASSERT_TRUE(c.client->SendTo(peer.address(), Bytes("fresh")).ok());
  env_.RunUntil([&] { return !c.received.empty(); }, kStep);
  ASSERT_EQ(c.received.size(), 1u);
  EXPECT_EQ(c.received[0].second, "echo:fresh");
}

}  // namespace
}  // namespace rtcsim::turn
