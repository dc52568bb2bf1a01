#include "stack/pc/connection_state.h"

#include "gtest/gtest.h"

namespace rtcsim::pc {
namespace {

using Ice = ice::IceConnectionState;
using Dtls = dtls::DtlsTransportState;
using S = PeerConnectionState;

struct Row {
  bool closed;
  Ice ice;
  std::optional<Dtls> dtls;
  S want;
};

// webrtc-pc §4.3.3, rule by rule.
TEST(ConnectionStateTest, FollowsTheW3cTable) {
  const Row rows[] = {
      {true, Ice::kConnected, Dtls::kConnected, S::kClosed},
      {false, Ice::kFailed, Dtls::kConnected, S::kFailed},
      {false, Ice::kConnected, Dtls::kFailed, S::kFailed},
      {false, Ice::kDisconnected, Dtls::kFailed, S::kFailed},  // failed wins
      {false, Ice::kDisconnected, Dtls::kConnected, S::kDisconnected},
      {false, Ice::kNew, std::nullopt, S::kNew},
      {false, Ice::kNew, Dtls::kNew, S::kNew},
      {false, Ice::kClosed, Dtls::kClosed, S::kNew},
      {false, Ice::kChecking, std::nullopt, S::kConnecting},
      {false, Ice::kConnected, std::nullopt, S::kConnecting},  // DTLS still to come
      {false, Ice::kConnected, Dtls::kConnecting, S::kConnecting},
      {false, Ice::kNew, Dtls::kConnecting, S::kConnecting},
      {false, Ice::kConnected, Dtls::kConnected, S::kConnected},
      {false, Ice::kCompleted, Dtls::kConnected, S::kConnected},
      {false, Ice::kCompleted, Dtls::kClosed, S::kConnected},
      {false, Ice::kClosed, Dtls::kConnected, S::kConnected},
      {false, Ice::kChecking, Dtls::kConnected, S::kConnecting},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(AggregateConnectionState(r.closed, r.ice, r.dtls), r.want)
        << "closed=" << r.closed << " ice=" << ice::ToString(r.ice)
        << " dtls=" << (r.dtls ? dtls::ToString(*r.dtls) : "none") << " want " << ToString(r.want);
  }
}

}  // namespace
}  // namespace rtcsim::pc
