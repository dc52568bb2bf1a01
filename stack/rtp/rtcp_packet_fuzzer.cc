// Fuzz target for the RTCP codec. Any input either fails to parse with a
// message and a codec error code, or splits into packets that tile it; each
// packet of a known type either fails its typed parse with a message or
// decodes to a value that serialises and decodes back to the same value.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "stack/rtp/rtcp_packet.h"

namespace {

using namespace rtcsim::rtp;  // NOLINT: a fuzz target, many short names

#define Check(cond)                                                                     \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

void CheckStatus(const absl::Status& s) {
  Check(!s.message().empty());
  Check(s.code() == absl::StatusCode::kInvalidArgument ||
        s.code() == absl::StatusCode::kOutOfRange);
}

// Decodes with `parse`; when that works, re-encodes, re-splits and decodes
// again, expecting the same value.
template <typename T, typename ParseFn>
void RoundTrip(const RtcpPacketView& p, ParseFn parse) {
  absl::StatusOr<T> value = parse(p);
  if (!value.ok()) {
    CheckStatus(value.status());
    return;
  }
  Check(!value->ToString().empty());
  std::vector<uint8_t> out;
  Check(value->SerializeTo(out).ok());
  auto compound = RtcpCompoundView::Parse(out);
  Check(compound.ok() && compound->packets().size() == 1);
  Check(compound->packets()[0].type() == p.type());
  absl::StatusOr<T> again = parse(compound->packets()[0]);
  Check(again.ok() && *again == *value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::Span<const uint8_t> input(data, size);
  auto parsed = RtcpCompoundView::Parse(input);
  if (!parsed.ok()) {
    CheckStatus(parsed.status());
    return 0;
  }
  const RtcpCompoundView& c = *parsed;
  Check(!c.packets().empty());
  Check(!c.ToString().empty());
  (void)c.IsRfc3550Compound();

  // Packets tile the input in order; each payload sits after its header and
  // inside its packet; data sizes are whole words.
  size_t offset = 0;
  RtcpCompoundBuilder copy;
  for (const RtcpPacketView& p : c.packets()) {
    Check(p.offset() == offset);
    Check(p.data().data() == data + offset);
    Check(p.data().size() >= kRtcpHeaderSize && p.data().size() % 4 == 0);
    Check(p.payload().data() == p.data().data() + kRtcpHeaderSize);
    Check(p.payload().size() + kRtcpHeaderSize <= p.data().size());
    Check(p.has_padding() || p.payload().size() + kRtcpHeaderSize == p.data().size());
    Check(p.count() <= kMaxRtcpCount);
    offset += p.data().size();
    copy.AddRaw(p);

    switch (p.type()) {
      case rtcp_type::kSr:
        RoundTrip<SenderReport>(p, SenderReport::Parse);
        break;
      case rtcp_type::kRr:
        RoundTrip<ReceiverReport>(p, ReceiverReport::Parse);
        break;
      case rtcp_type::kSdes:
        RoundTrip<Sdes>(p, Sdes::Parse);
        break;
      case rtcp_type::kBye:
        RoundTrip<Bye>(p, Bye::Parse);
        break;
      default:
        break;
    }
    // Any typed parser on the wrong type refuses with a message.
    if (p.type() != rtcp_type::kBye) CheckStatus(Bye::Parse(p).status());

    // Re-framing the payload raw keeps it, when it is whole words.
    if (p.payload().size() % 4 == 0) {
      RtcpCompoundBuilder raw;
      Check(raw.AddRaw(p.type(), p.count(), p.payload()).ok());
      auto back = RtcpCompoundView::Parse(raw.bytes());
      Check(back.ok() && back->packets().size() == 1);
      const RtcpPacketView& q = back->packets()[0];
      Check(q.type() == p.type() && q.count() == p.count() && !q.has_padding());
      Check(q.payload().size() == p.payload().size() &&
            std::equal(q.payload().begin(), q.payload().end(), p.payload().begin()));
    }
  }
  Check(offset == size);
  Check(copy.bytes().size() == size && std::equal(copy.bytes().begin(), copy.bytes().end(), data));
  return 0;
}
