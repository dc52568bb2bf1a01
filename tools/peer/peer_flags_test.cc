#include "tools/peer/peer_flags.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rtcsim::peer {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<PeerOptions> Parse(std::vector<std::string> args) { return ParsePeerFlags(args); }

// The error must name the flag and say why.
void ExpectError(std::vector<std::string> args, const std::string& flag, const std::string& why) {
  absl::StatusOr<PeerOptions> options = Parse(args);
  ASSERT_FALSE(options.ok()) << "accepted: " << testing::PrintToString(args);
  EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(options.status().message()), HasSubstr(flag));
  EXPECT_THAT(std::string(options.status().message()), HasSubstr(why));
}

TEST(PeerFlags, ListenEchoDefaults) {
  absl::StatusOr<PeerOptions> o = Parse({"--whip-listen", "127.0.0.1:8080", "--echo"});
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_TRUE(o->whip_listen.has_value());
  EXPECT_EQ(o->whip_listen->ToString(), "127.0.0.1:8080");
  EXPECT_FALSE(o->whip_url.has_value());
  EXPECT_TRUE(o->echo);
  EXPECT_FALSE(o->send.has_value());
  EXPECT_EQ(o->size, 100u);
  EXPECT_EQ(o->timeout_s, 30);
  EXPECT_TRUE(o->bind.empty());
  EXPECT_TRUE(o->notes.empty());
}

TEST(PeerFlags, UrlSendEverything) {
  absl::StatusOr<PeerOptions> o = Parse({"--whip-url=http://[::1]:9000/whip?x=1",
                                         "--send",
                                         "100",
                                         "--size=204800",
                                         "--unordered",
                                         "--binary",
                                         "--max-retransmits",
                                         "3",
                                         "--timeout",
                                         "2.5",
                                         "--ice-server",
                                         "stun:stun.example.org",
                                         "--ice-server",
                                         "turn:10.0.0.1:3479?transport=udp",
                                         "--ice-user",
                                         "u",
                                         "--ice-pass",
                                         "p",
                                         "--relay-only",
                                         "--bind",
                                         "127.0.0.1",
                                         "--bind",
                                         "::1",
                                         "--verbose"});
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_TRUE(o->whip_url.has_value());
  EXPECT_EQ(o->whip_url->host, "::1");
  EXPECT_EQ(o->whip_url->port, 9000);
  EXPECT_EQ(o->whip_url->path, "/whip?x=1");
  EXPECT_EQ(o->whip_url->Origin(), "http://[::1]:9000");
  EXPECT_EQ(o->send, 100);
  EXPECT_EQ(o->size, 204800u);
  EXPECT_TRUE(o->unordered);
  EXPECT_TRUE(o->binary);
  EXPECT_EQ(o->max_retransmits, 3);
  EXPECT_DOUBLE_EQ(o->timeout_s, 2.5);
  ASSERT_EQ(o->ice_servers.size(), 2u);
  EXPECT_EQ(o->ice_servers[0].scheme, IceServerUrl::Scheme::kStun);
  EXPECT_EQ(o->ice_servers[0].host, "stun.example.org");
  EXPECT_EQ(o->ice_servers[0].port, 3478);
  EXPECT_EQ(o->ice_servers[1].scheme, IceServerUrl::Scheme::kTurn);
  EXPECT_EQ(o->ice_servers[1].port, 3479);
  EXPECT_TRUE(o->relay_only);
  ASSERT_EQ(o->bind.size(), 2u);
  EXPECT_TRUE(o->bind[1].is_v6());
  EXPECT_TRUE(o->verbose);
}

TEST(PeerFlags, ListenPortZeroAndV6) {
  absl::StatusOr<PeerOptions> o = Parse({"--whip-listen", "[::1]:0", "--echo", "--expect", "5"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->whip_listen->port(), 0);
  EXPECT_EQ(o->whip_listen_host, "::1");
  EXPECT_EQ(o->expect, 5);
}

TEST(PeerFlags, Help) {
  absl::StatusOr<PeerOptions> o = Parse({"--help"});
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->help);
  EXPECT_THAT(PeerUsage(), HasSubstr("--whip-listen HOST:PORT"));
  EXPECT_THAT(PeerUsage(), HasSubstr("--max-retransmits N"));
}

TEST(PeerFlags, NotesForFlagsWithoutEffect) {
  absl::StatusOr<PeerOptions> o =
      Parse({"--whip-listen", "127.0.0.1:1", "--echo", "--binary", "--unordered"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->notes.size(), 2u);
}

TEST(PeerFlags, BadFlags) {
  ExpectError({}, "--whip-listen or --whip-url", "required");
  ExpectError({"--whip-listen", "127.0.0.1:1", "--whip-url", "http://a/"}, "--whip-url",
              "not both");
  ExpectError({"--whip-listen", "127.0.0.1:1", "--bogus"}, "--bogus", "unknown flag");
  ExpectError({"--whip-listen", "127.0.0.1:1", "stray"}, "stray", "unexpected argument");
  ExpectError({"--whip-listen"}, "--whip-listen", "missing value");
  ExpectError({"--whip-listen", "127.0.0.1"}, "--whip-listen", "HOST:PORT");
  ExpectError({"--whip-listen", "localhost:80"}, "--whip-listen", "IPv4 or IPv6 address");
  ExpectError({"--whip-listen", "127.0.0.1:70000"}, "--whip-listen", "bad port");
  ExpectError({"--whip-url", "https://a/whip"}, "--whip-url", "https is not supported");
  ExpectError({"--whip-url", "ftp://a/whip"}, "--whip-url", "expected http://");
  ExpectError({"--whip-url", "http://a:x/whip"}, "--whip-url", "bad port");
  ExpectError({"--whip-url", "http://a/", "--send", "0"}, "--send", "from 1 to 99999999");
  ExpectError({"--whip-url", "http://a/", "--send", "ten"}, "--send", "'ten'");
  ExpectError({"--whip-url", "http://a/", "--send", "1", "--size", "0"}, "--size", "from 1");
  ExpectError({"--whip-url", "http://a/", "--send", "1", "--size", "300000"}, "--size", "262144");
  ExpectError({"--whip-url", "http://a/", "--send", "1", "--size", "4"}, "--size", "at least 8");
  ExpectError({"--whip-url", "http://a/", "--send", "1", "--timeout", "0"}, "--timeout",
              "seconds > 0");
  ExpectError({"--whip-url", "http://a/", "--send", "1", "--timeout", "nan"}, "--timeout",
              "seconds > 0");
  ExpectError({"--whip-url", "http://a/", "--send", "1", "--max-retransmits", "-1"},
              "--max-retransmits", "0..65535");
  ExpectError({"--whip-url", "http://a/", "--echo", "--max-retransmits", "1"}, "--max-retransmits",
              "add --send");
  ExpectError({"--whip-url", "http://a/", "--send", "1", "--expect", "3"}, "--expect",
              "needs --echo");
  ExpectError({"--whip-url", "http://a/", "--echo=yes"}, "--echo", "takes no value");
  ExpectError({"--whip-url", "http://a/", "--ice-server", "turns:a:5349"}, "--ice-server",
              "not supported");
  ExpectError({"--whip-url", "http://a/", "--ice-server", "turn:a:3478?transport=tcp"},
              "--ice-server", "transport=udp");
  ExpectError({"--whip-url", "http://a/", "--ice-server", "stun:a:0"}, "--ice-server", "bad port");
  ExpectError({"--whip-url", "http://a/", "--ice-server", "http://a"}, "--ice-server",
              "expected stun:");
  ExpectError({"--whip-url", "http://a/", "--ice-server", "turn:a"}, "--ice-server",
              "--ice-user and --ice-pass");
  ExpectError({"--whip-url", "http://a/", "--ice-user", "u"}, "--ice-user", "TURN server");
  ExpectError({"--whip-url", "http://a/", "--relay-only"}, "--relay-only", "TURN server");
  ExpectError({"--whip-url", "http://a/", "--bind", "eth0"}, "--bind", "IPv4 or IPv6");
  ExpectError({"--whip-url", "http://a/", "--bind", "0.0.0.0"}, "--bind", "unicast");
}

}  // namespace
}  // namespace rtcsim::peer
