// Fuzz target for the RTP codec. Any input either fails to parse with a
// message and a codec error code, or parses to a view whose parts tile the
// buffer, whose header-only parse agrees, and which the builder re-serialises
// to a packet that parses to the same fields.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "stack/rtp/rtp_packet.h"

namespace {

using rtcsim::rtp::ExtensionForm;
using rtcsim::rtp::HeaderExtension;
using rtcsim::rtp::RtpPacketBuilder;
using rtcsim::rtp::RtpPacketView;

#define Check(cond)                                                                     \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

bool Within(absl::Span<const uint8_t> inner, absl::Span<const uint8_t> outer) {
  return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

bool SameBytes(absl::Span<const uint8_t> a, absl::Span<const uint8_t> b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

void CheckStatus(const absl::Status& s) {
  Check(!s.message().empty());
  Check(s.code() == absl::StatusCode::kInvalidArgument ||
        s.code() == absl::StatusCode::kOutOfRange);
}

void CheckHeaderFields(const RtpPacketView& a, const RtpPacketView& b) {
  Check(a.marker() == b.marker());
  Check(a.payload_type() == b.payload_type());
  Check(a.sequence_number() == b.sequence_number());
  Check(a.timestamp() == b.timestamp());
  Check(a.ssrc() == b.ssrc());
  Check(a.csrcs() == b.csrcs());
}

void CheckView(const RtpPacketView& v, absl::Span<const uint8_t> data, bool full) {
  Check(v.data().data() == data.data() && v.data().size() == data.size());
  Check(v.payload_type() <= 127);
  Check(v.csrc_count() <= 15);
  Check(v.header_size() >= 12 + 4 * v.csrc_count());
  Check(v.payload().data() == data.data() + v.header_size());
  Check(v.header_size() + v.payload().size() + v.padding_size() == data.size());
  if (full) Check(v.has_padding() == (v.padding_size() > 0));
  Check(v.extension_data().size() % 4 == 0);
  Check(v.extension_data().empty() || Within(v.extension_data(), data));
  Check((v.extension_form() == ExtensionForm::kNone) == ((data[0] & 0x10) == 0));
  size_t last_end = 0;
  for (const HeaderExtension& e : v.extensions()) {
    Check(e.id != 0);
    Check(Within(e.data, v.extension_data()));
    Check(e.offset >= last_end);
    last_end = e.offset + 1;
    if (v.extension_form() == ExtensionForm::kOneByte) {
      Check(e.id <= 14 && !e.data.empty() && e.data.size() <= 16);
    }
    Check(v.FindExtension(e.id) != nullptr && v.FindExtension(e.id)->offset <= e.offset);
  }
  Check(!v.ToString().empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::Span<const uint8_t> input(data, size);
  auto header = RtpPacketView::ParseHeader(input);
  if (!header.ok()) {
    CheckStatus(header.status());
  } else {
    CheckView(*header, input, /*full=*/false);
  }

  auto parsed = RtpPacketView::Parse(input);
  if (!parsed.ok()) {
    CheckStatus(parsed.status());
    return 0;
  }
  // A full parse implies the header parse, with the same header.
  Check(header.ok());
  const RtpPacketView& v = *parsed;
  CheckView(v, input, /*full=*/true);
  CheckHeaderFields(v, *header);
  Check(header->header_size() == v.header_size());

  // Everything parsed can be rebuilt, in the same extension form.
  auto rebuilt = RtpPacketBuilder::FromView(v).Build();
  Check(rebuilt.ok());
  auto again = RtpPacketView::Parse(*rebuilt);
  Check(again.ok());
  CheckHeaderFields(v, *again);
  Check(SameBytes(again->payload(), v.payload()));
  Check(again->padding_size() == v.padding_size());
  if (v.extension_form() == ExtensionForm::kOther) {
    Check(again->extension_profile() == v.extension_profile());
    Check(SameBytes(again->extension_data(), v.extension_data()));
  } else if (v.extensions().empty()) {
    // An extension block without elements is not re-sent.
    Check(again->extension_form() == ExtensionForm::kNone);
  } else {
    Check(again->extension_form() == v.extension_form());
    Check(again->extension_appbits() == v.extension_appbits());
    Check(!again->extensions_stopped_early());
    Check(again->extensions().size() == v.extensions().size());
    for (size_t i = 0; i < v.extensions().size(); ++i) {
      Check(again->extensions()[i].id == v.extensions()[i].id);
      Check(SameBytes(again->extensions()[i].data, v.extensions()[i].data));
    }
  }
  // The rebuilt packet is canonical: building it again is byte-identical.
  auto twice = RtpPacketBuilder::FromView(*again).Build();
  Check(twice.ok() && *twice == *rebuilt);
  return 0;
}
