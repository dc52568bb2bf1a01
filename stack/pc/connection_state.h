// W3C RTCPeerConnectionState (webrtc-pc §4.3.3) from the states of the
// transports, as a pure function so the rule table can be tested alone.
#ifndef RTCSIM_STACK_PC_CONNECTION_STATE_H_
#define RTCSIM_STACK_PC_CONNECTION_STATE_H_

#include <optional>
#include <string>

#include "stack/dtls/dtls_transport.h"
#include "stack/ice/ice_agent.h"

namespace rtcsim::pc {

enum class PeerConnectionState { kNew, kConnecting, kConnected, kDisconnected, kFailed, kClosed };
std::string ToString(PeerConnectionState state);

// `dtls` is nullopt before the DTLS transport exists (W3C: it would be
// "new"). The first rule that applies wins: closed, failed, disconnected,
// new, connected, else connecting.
PeerConnectionState AggregateConnectionState(bool closed, ice::IceConnectionState ice,
                                             std::optional<dtls::DtlsTransportState> dtls);

}  // namespace rtcsim::pc

#endif  // RTCSIM_STACK_PC_CONNECTION_STATE_H_
