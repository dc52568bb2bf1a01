#include "stack/pc/connection_state.h"

namespace rtcsim::pc {

std::string ToString(PeerConnectionState state) {
  switch (state) {
    case PeerConnectionState::kNew:
      return "new";
    case PeerConnectionState::kConnecting:
      return "connecting";
    case PeerConnectionState::kConnected:
      return "connected";
    case PeerConnectionState::kDisconnected:
      return "disconnected";
    case PeerConnectionState::kFailed:
      return "failed";
    case PeerConnectionState::kClosed:
      return "closed";
  }
  return "closed";
}

PeerConnectionState AggregateConnectionState(bool closed, ice::IceConnectionState ice,
                                             std::optional<dtls::DtlsTransportState> dtls) {
  using Ice = ice::IceConnectionState;
  using Dtls = dtls::DtlsTransportState;
  const Dtls d = dtls.value_or(Dtls::kNew);
  if (closed) return PeerConnectionState::kClosed;
  if (ice == Ice::kFailed || d == Dtls::kFailed) return PeerConnectionState::kFailed;
  if (ice == Ice::kDisconnected) return PeerConnectionState::kDisconnected;
  if ((ice == Ice::kNew || ice == Ice::kClosed) && (d == Dtls::kNew || d == Dtls::kClosed)) {
    return PeerConnectionState::kNew;
  }
  if ((ice == Ice::kConnected || ice == Ice::kCompleted || ice == Ice::kClosed) &&
      (d == Dtls::kConnected || d == Dtls::kClosed)) {
    return PeerConnectionState::kConnected;
  }
  return PeerConnectionState::kConnecting;
}

}  // namespace rtcsim::pc
