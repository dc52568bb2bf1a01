// Fuzz target for SDP (RFC 8866): any input either fails with a message that
// names a line, or parses to a model whose serialisation parses back to the
// same model and serialises to the same bytes (a fixed point). Typed views
// that accept a value must accept their own output and give the same value.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "stack/sdp/attributes.h"
#include "stack/sdp/session_description.h"

namespace {

namespace sdp = rtcsim::sdp;

template <typename T>
void CheckView(const sdp::Attribute& a) {
  if (a.name != T::kName) return;
  auto parsed = T::Parse(a.value.value_or(""));
  if (!parsed.ok()) {
    if (parsed.status().message().empty()) std::abort();
    return;
  }
  auto again = T::Parse(parsed->ToValue());
  if (!again.ok() || !(*again == *parsed)) std::abort();
}

void CheckViews(const std::vector<sdp::Attribute>& attributes) {
  for (const sdp::Attribute& a : attributes) {
    CheckView<sdp::RtpMap>(a);
    CheckView<sdp::Fmtp>(a);
    CheckView<sdp::RtcpFb>(a);
    CheckView<sdp::ExtMap>(a);
    CheckView<sdp::Ssrc>(a);
    CheckView<sdp::SsrcGroup>(a);
    CheckView<sdp::Msid>(a);
    CheckView<sdp::Mid>(a);
    CheckView<sdp::Group>(a);
    CheckView<sdp::IceUfrag>(a);
    CheckView<sdp::IcePwd>(a);
    CheckView<sdp::IceOptions>(a);
    CheckView<sdp::CandidateAttribute>(a);
    CheckView<sdp::FingerprintAttribute>(a);
    CheckView<sdp::SetupAttribute>(a);
    CheckView<sdp::SctpPort>(a);
    CheckView<sdp::MaxMessageSize>(a);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto d = sdp::Parse(text);
  if (!d.ok()) {
    if (!absl::StartsWith(d.status().message(), "line ")) std::abort();
    return 0;
  }
  const std::string out = sdp::Serialize(*d);
  auto again = sdp::Parse(out);
  if (!again.ok() || !(*again == *d)) std::abort();
  if (sdp::Serialize(*again) != out) std::abort();
  CheckViews(d->attributes);
  for (const auto& m : d->media) CheckViews(m.attributes);
  return 0;
}
