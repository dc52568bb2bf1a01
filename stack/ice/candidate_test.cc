#include "stack/ice/candidate.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace rtcsim::ice {
namespace {

IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }
SocketAddress Addr(const char* s) { return *SocketAddress::Parse(s); }

// Canonical lines (lower-case, single spaces) as real agents print them
// round-trip byte for byte.
TEST(CandidateTest, RealLinesRoundTripExactly) {
  const char* kLines[] = {
      // Chrome
      "candidate:3442447574 1 udp 2122260223 192.168.1.10 54321 typ host generation 0 ufrag EsAw "
      "network-id 1 network-cost 10",
      "candidate:1876313031 1 udp 2122129151 2001:db8:85a3::8a2e:370:7334 50125 typ host "
      "generation 0 ufrag EsAw network-id 2 network-cost 10",
      "candidate:842163049 1 udp 1677729535 203.0.113.7 54321 typ srflx raddr 192.168.1.10 rport "
      "54321 generation 0 ufrag EsAw network-id 1 network-cost 10",
      "candidate:1281738447 1 udp 41885439 198.51.100.5 61234 typ relay raddr 203.0.113.7 rport "
      "54321 generation 0 ufrag EsAw network-id 1 network-cost 10",
      "candidate:2543178722 1 tcp 1518280447 192.168.1.10 9 typ host tcptype active generation 0 "
      "ufrag EsAw network-id 1 network-cost 10",
      "candidate:1987436263 1 udp 1845501695 203.0.113.7 61001 typ prflx raddr 192.168.1.10 rport "
      "54321 generation 0 ufrag EsAw network-id 1 network-cost 10",
      // aiortc (md5 foundations)
      "candidate:b3e1d5bb8d4d6b6dac71bb4f4a6b7c42 1 udp 2130706431 192.168.1.30 46017 typ host",
      "candidate:0f1e8b0c6a2d4c3e9b7a5d1f2e3c4b5a 1 tcp 1694498815 192.168.1.30 40001 typ host "
      "tcptype passive",
      // Privacy-masked related address (RFC 8839 §5.1).
      "candidate:6 1 udp 1694498815 2001:db8::3 45664 typ srflx raddr :: rport 9",
      "candidate:abc+/9 2 udp 2130706430 10.0.0.1 5000 typ host x-vendor some!value~ ufrag a+b/",
  };
  for (const char* line : kLines) {
    auto c = ParseCandidate(line);
    ASSERT_TRUE(c.ok()) << line << ": " << c.status();
    EXPECT_EQ(SerializeCandidate(*c), line);
  }
}

TEST(CandidateTest, ChromeSrflxFields) {
  auto c = ParseCandidate(
      "candidate:842163049 1 udp 1677729535 203.0.113.7 54321 typ srflx raddr 192.168.1.10 rport "
      "54321 generation 0 ufrag EsAw network-id 1 network-cost 10");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->foundation, "842163049");
  EXPECT_EQ(c->component, 1);
  EXPECT_EQ(c->transport, "udp");
  EXPECT_EQ(c->priority, 1677729535u);
  EXPECT_EQ(c->address, Addr("203.0.113.7:54321"));
  EXPECT_EQ(c->type, CandidateType::kServerReflexive);
  EXPECT_EQ(c->related, Addr("192.168.1.10:54321"));
  ASSERT_EQ(c->extensions.size(), 4u);
  EXPECT_EQ(c->extensions[0], std::make_pair(std::string("generation"), std::string("0")));
  EXPECT_EQ(c->extensions[1], std::make_pair(std::string("ufrag"), std::string("EsAw")));
  EXPECT_EQ(c->extensions[3], std::make_pair(std::string("network-cost"), std::string("10")));
}

TEST(CandidateTest, FirefoxUpperCaseAndSdpFramingAreAccepted) {
  auto c = ParseCandidate(
      "a=candidate:2 1 UDP 1686052863 203.0.113.9 49203 TYP SRFLX RADDR 192.168.1.20 RPORT "
      "49203\r\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->type, CandidateType::kServerReflexive);
  EXPECT_EQ(SerializeCandidate(*c),
            "candidate:2 1 udp 1686052863 203.0.113.9 49203 typ srflx raddr 192.168.1.20 rport "
            "49203");
  auto v6 = ParseCandidate("candidate:4 1 UDP 2122187007 2001:DB8::20 49204 typ host");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->address, Addr("[2001:db8::20]:49204"));
  EXPECT_TRUE(v6->related == SocketAddress());
  // Extra spaces are tolerated; output is canonical.
  auto spaced = ParseCandidate("candidate:1  1 udp 5 10.0.0.1 9   typ host ");
  ASSERT_TRUE(spaced.ok()) << spaced.status();
  EXPECT_EQ(SerializeCandidate(*spaced), "candidate:1 1 udp 5 10.0.0.1 9 typ host");
}

TEST(CandidateTest, ErrorsNameTheFieldAndToken) {
  struct Case {
    const char* line;
    const char* expected;  // substring of the message
  };
  const Case kCases[] = {
      {"", "must start with \"candidate:\""},
      {"candidat:1 1 udp 1 10.0.0.1 1 typ host", "must start with"},
      {"candidate:1 1 udp 1 10.0.0.1", "truncated: missing port (token 6)"},
      {"candidate:", "missing foundation (token 1)"},
      {"candidate:1 1 udp 1 10.0.0.1 9 typ", "missing cand-type (token 8)"},
      {"candidate:a-b 1 udp 1 10.0.0.1 9 typ host", "foundation (token 1) 'a-b'"},
      {"candidate:123456789012345678901234567890123 1 udp 1 10.0.0.1 9 typ host", "longer than 32"},
      {"candidate:1 0 udp 1 10.0.0.1 9 typ host", "component-id (token 2) '0'"},
      {"candidate:1 257 udp 1 10.0.0.1 9 typ host", "component-id (token 2) '257'"},
      {"candidate:1 1 u/dp 1 10.0.0.1 9 typ host", "transport (token 3)"},
      {"candidate:1 1 udp 0 10.0.0.1 9 typ host", "priority (token 4) '0'"},
      {"candidate:1 1 udp 4294967296 10.0.0.1 9 typ host", "priority (token 4)"},
      {"candidate:1 1 udp -5 10.0.0.1 9 typ host", "priority (token 4)"},
      {"candidate:1 1 udp 1 10.0.0.256 9 typ host", "connection-address (token 5) '10.0.0.256'"},
      {"candidate:1 1 udp 1 stun.example.org 9 typ host", "FQDN"},
      {"candidate:1 1 udp 1 abcd.local 9 typ host", "mDNS"},
      {"candidate:1 1 udp 1 224.0.0.1 9 typ host", "multicast"},
      {"candidate:1 1 udp 1 10.0.0.1 65536 typ host", "port (token 6) '65536'"},
      {"candidate:1 1 udp 1 10.0.0.1 9 type host", "expected \"typ\""},
      {"candidate:1 1 udp 1 10.0.0.1 9 typ bogus", "cand-type (token 8) 'bogus': unknown"},
      {"candidate:1 1 udp 1 10.0.0.1 9 typ srflx raddr 1.2.3.4", "rel-addr (token 9)"},
      {"candidate:1 1 udp 1 10.0.0.1 9 typ srflx raddr x rport 1", "rel-addr (token 10) 'x'"},
      {"candidate:1 1 udp 1 10.0.0.1 9 typ srflx raddr 1.2.3.4 port 1", "rel-port (token 11)"},
      {"candidate:1 1 udp 1 10.0.0.1 9 typ srflx raddr 1.2.3.4 rport x", "rel-port (token 12)"},
      {"candidate:1 1 udp 1 10.0.0.1 9 typ srflx raddr ::1 rport 1", "address family differs"},
      {"candidate:1 1 udp 1 10.0.0.1 9 typ srflx rport 1", "rel-port without rel-addr"},
      {"candidate:1 1 udp 1 10.0.0.1 9 typ host generation", "extension has no value"},
      {"candidate:1 1 udp 1 10.0.0.1 9 typ host gen\x01 0", "extension-att-name (token 9)"},
      {"candidate:1 1 udp 1 10.0.0.1 9 typ host gen \x7f", "'\\x7f': contains a non-VCHAR"},
  };
  for (const Case& c : kCases) {
    auto r = ParseCandidate(c.line);
    ASSERT_FALSE(r.ok()) << c.line;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.line;
    EXPECT_NE(r.status().message().find(c.expected), std::string::npos)
        << c.line << " -> " << r.status().message();
  }
}

TEST(CandidateTest, TypeToString) {
  EXPECT_EQ(ToString(CandidateType::kHost), "host");
  EXPECT_EQ(ToString(CandidateType::kServerReflexive), "srflx");
  EXPECT_EQ(ToString(CandidateType::kPeerReflexive), "prflx");
  EXPECT_EQ(ToString(CandidateType::kRelayed), "relay");
}

TEST(CandidateTest, PriorityFollowsRfc8445Formula) {
  // RFC 8445 §5.1.2.2 type preferences.
  EXPECT_EQ(TypePreference(CandidateType::kHost), 126u);
  EXPECT_EQ(TypePreference(CandidateType::kPeerReflexive), 110u);
  EXPECT_EQ(TypePreference(CandidateType::kServerReflexive), 100u);
  EXPECT_EQ(TypePreference(CandidateType::kRelayed), 0u);
  // (2^24)·126 + (2^8)·65535 + (256 − 1): the single-homed host value.
  EXPECT_EQ(ComputePriority(CandidateType::kHost, 65535, 1), 2130706431u);
  // The RFC 8839 §5.1 example srflx priority.
  EXPECT_EQ(ComputePriority(CandidateType::kServerReflexive, 65535, 1), 1694498815u);
  EXPECT_EQ(ComputePriority(CandidateType::kRelayed, 65535, 1), 16777215u);
  EXPECT_EQ(ComputePriority(CandidateType::kPeerReflexive, 0, 2), (110u << 24) + 254u);
  EXPECT_EQ(ComputePriority(CandidateType::kHost, 65535, 2), 2130706430u);
  // Types dominate local preference.
  EXPECT_GT(ComputePriority(CandidateType::kHost, 0, 1),
            ComputePriority(CandidateType::kPeerReflexive, 65535, 1));
}

TEST(CandidateTest, PairPriorityFollowsRfc8445Formula) {
  // 2^32·MIN(G,D) + 2·MAX(G,D) + (G>D?1:0)
  EXPECT_EQ(PairPriority(1, 1), (uint64_t{1} << 32) + 2);
  EXPECT_EQ(PairPriority(2, 1), (uint64_t{1} << 32) + 4 + 1);
  EXPECT_EQ(PairPriority(1, 2), (uint64_t{1} << 32) + 4);
  const uint32_t host = 2130706431, srflx = 1694498815;
  EXPECT_EQ(PairPriority(host, srflx), (uint64_t{srflx} << 32) + 2 * uint64_t{host} + 1);
  // Largest values do not overflow: (2^32−1)·2^32 + 2·(2^32−1) < 2^64.
  EXPECT_EQ(PairPriority(UINT32_MAX, UINT32_MAX),
            (uint64_t{UINT32_MAX} << 32) + 2 * uint64_t{UINT32_MAX});
  // Both agents compute the same value for the same pair.
  EXPECT_NE(PairPriority(host, srflx), PairPriority(srflx, host));
  EXPECT_GT(PairPriority(host, host), PairPriority(host, srflx));
}

TEST(CandidateTest, FoundationsDependOnTypeBaseServerAndTransport) {
  const IpAddress base = Ip("10.0.0.1");
  const SocketAddress stun = Addr("192.0.2.1:3478");
  const std::string f = ComputeFoundation(CandidateType::kServerReflexive, base, stun, "udp");
  EXPECT_EQ(f, ComputeFoundation(CandidateType::kServerReflexive, base, stun, "UDP"));
  std::set<std::string> all = {
      f,
      ComputeFoundation(CandidateType::kHost, base, SocketAddress(), "udp"),
      ComputeFoundation(CandidateType::kRelayed, base, stun, "udp"),
      ComputeFoundation(CandidateType::kServerReflexive, Ip("10.0.0.2"), stun, "udp"),
      ComputeFoundation(CandidateType::kServerReflexive, base, Addr("192.0.2.2:3478"), "udp"),
      ComputeFoundation(CandidateType::kServerReflexive, base, stun, "tcp"),
      ComputeFoundation(CandidateType::kHost, Ip("2001:db8::1"), SocketAddress(), "udp"),
  };
  EXPECT_EQ(all.size(), 7u);
  for (const std::string& s : all) {
    EXPECT_GE(s.size(), 1u);
    EXPECT_LE(s.size(), 32u);
    // Valid on the wire.
    auto c = ParseCandidate("candidate:" + s + " 1 udp 1 10.0.0.1 9 typ host");
    EXPECT_TRUE(c.ok()) << s;
  }
}

}  // namespace
}  // namespace rtcsim::ice
