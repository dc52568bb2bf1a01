// Hostile and broken input reaching a live ICE agent: each kind is dropped
// or rejected with a clear error, counted, and the call still connects.
#include <vector>

#include "conformance/ice/ice_pair.h"
#include "gtest/gtest.h"
#include "simnet/host.h"
#include "stack/ice/candidate.h"
#include "stack/stun/stun_message.h"

namespace rtcsim::conformance {
namespace {

TEST(IceHostileInput, EveryKindIsDroppedCountedAndTheCallStillConnects) {
  IcePairOptions o;
  o.edges = {Edge{Edge::Kind::kOpen}, Edge{Edge::Kind::kOpen}};
  o.signalling_delay = TimeDelta::Millis(200);  // time to attack before checks
  auto created = IcePair::Create(o);
  ASSERT_TRUE(created.ok()) << created.status();
  IcePair& p = **created;
  ASSERT_TRUE(p.Start().ok());
  p.network().RunFor(TimeDelta::Millis(1));
  const std::vector<ice::Candidate> local = p.agent(0).local_candidates();
  ASSERT_FALSE(local.empty());
  const SocketAddress target = local[0].address;

  // The attacker is the (otherwise idle) server host on the public side.
  auto* attacker_host = static_cast<simnet::Host*>(p.network().FindNode("server"));
  ASSERT_NE(attacker_host, nullptr);
  auto sock = attacker_host->env().BindUdp(SocketAddress(IpAddress::AnyV4(), 0));
  ASSERT_TRUE(sock.ok()) << sock.status();
  Random random(7);
  const ice::IceCredentials a = p.agent(0).local_credentials();
  const ice::IceCredentials b = p.agent(1).local_credentials();

  // 1. A valid check, truncated at every length.
  stun::StunMessageBuilder check(stun::StunMethod::kBinding, stun::StunClass::kRequest,
                                 stun::NewTransactionId(random));
  check.AddString(stun::attr::kUsername, a.ufrag + ":" + b.ufrag)
      .AddUint32(stun::attr::kPriority, 1853824767)
      .AddUint64(stun::attr::kIceControlled, 42)
      .AddMessageIntegrity(stun::ShortTermKey(a.pwd))
      .AddFingerprint();
  const std::vector<uint8_t> good = check.bytes();
  int truncated = 0;
  for (size_t n = 20; n < good.size(); n += 4) {
    ASSERT_TRUE((*sock)->SendTo(target, absl::MakeSpan(good.data(), n)).ok());
    ++truncated;
  }
  // 2. The same check with a wrong password (MESSAGE-INTEGRITY mismatch).
  stun::StunMessageBuilder forged(stun::StunMethod::kBinding, stun::StunClass::kRequest,
                                  stun::NewTransactionId(random));
  forged.AddString(stun::attr::kUsername, a.ufrag + ":" + b.ufrag)
      .AddUint32(stun::attr::kPriority, 1853824767)
      .AddUint64(stun::attr::kIceControlled, 42)
      .AddMessageIntegrity(stun::ShortTermKey("not-the-password-at-all"))
      .AddFingerprint();
  ASSERT_TRUE((*sock)->SendTo(target, forged.bytes()).ok());
  // 3. A success response to a transaction the agent never started.
  stun::StunMessageBuilder stray(stun::StunMethod::kBinding, stun::StunClass::kSuccessResponse,
                                 stun::NewTransactionId(random));
  stray.AddXorAddress(stun::attr::kXorMappedAddress, target)
      .AddMessageIntegrity(stun::ShortTermKey(b.pwd))
      .AddFingerprint();
  ASSERT_TRUE((*sock)->SendTo(target, stray.bytes()).ok());
  // 4. Application data from an address that is no validated pair.
  const std::vector<uint8_t> rtp_like = {0x80, 0x60, 0, 1, 0, 0, 0, 0};
  ASSERT_TRUE((*sock)->SendTo(target, rtp_like).ok());

  p.network().RunFor(TimeDelta::Millis(50));
  const ice::IceAgentStats& s = p.agent(0).stats();
  EXPECT_GE(s.malformed_packets, static_cast<uint64_t>(truncated));
  EXPECT_EQ(s.integrity_failures, 1u);
  EXPECT_EQ(s.unknown_transaction, 1u);
  EXPECT_EQ(s.unknown_source, 1u);
  EXPECT_TRUE(p.received(0).empty());

  // 5. Remote candidates the agent cannot use are refused with a reason.
  auto tcp =
      ice::ParseCandidate("candidate:1 1 tcp 1518280447 192.0.2.99 9 typ host tcptype active");
  ASSERT_TRUE(tcp.ok()) << tcp.status();
  const absl::Status refused = p.agent(0).AddRemoteCandidate(*tcp);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << refused;
  EXPECT_FALSE(refused.message().empty());
  EXPECT_EQ(p.agent(0).stats().remote_candidates_rejected, 1u);
  EXPECT_FALSE(ice::ParseCandidate("candidate:garbage here").ok());

  // None of that disturbs the call, and the attacker never became a pair.
  p.RunUntilSettled(TimeDelta::Seconds(5));
  ASSERT_TRUE(p.Connected());
  for (const ice::CandidatePairInfo& pair : p.agent(0).pairs()) {
    EXPECT_NE(pair.remote.address.ip(), attacker_host->addresses()[0]);
  }
}

}  // namespace
}  // namespace rtcsim::conformance
