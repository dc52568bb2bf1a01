// Fuzz target for the STUN codec. Any input either fails to parse with a
// message, or parses to a view whose invariants hold: it re-parses the same,
// Find agrees with attributes(), every typed getter returns without
// crashing, and the builder can re-serialise what was parsed.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "stack/stun/stun_message.h"

namespace {

using rtcsim::stun::RawAttribute;
using rtcsim::stun::StunMessageBuilder;
using rtcsim::stun::StunMessageView;
namespace attr = rtcsim::stun::attr;

// Aborts (which the fuzzer reports as a crash) naming the broken invariant.
#define Check(cond)                                                                     \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

void CheckView(const StunMessageView& m, absl::Span<const uint8_t> data) {
  Check(m.data().data() == data.data() && m.data().size() == data.size());
  // RFC 7983's demultiplexer only claims first bytes 0..3 (methods below
  // 0x100); a parsed message with a larger method is legal STUN but sits in
  // the DTLS range.
  Check(data[0] > 3 || rtcsim::stun::LooksLikeStun(data));
  // Attributes tile the body exactly, in order, each within bounds.
  size_t expected_offset = rtcsim::stun::kHeaderSize;
  for (const RawAttribute& a : m.attributes()) {
    Check(a.offset == expected_offset);
    Check(a.value.data() == data.data() + a.offset + 4);
    Check(a.offset + 4 + a.value.size() <= data.size());
    expected_offset += 4 + ((a.value.size() + 3) & ~size_t{3});
    // Find returns the first attribute of a type.
    const RawAttribute* first = m.Find(a.type);
    Check(first != nullptr && first->type == a.type && first->offset <= a.offset);
  }
  Check(expected_offset == data.size());
  Check(m.Find(attr::kFingerprint) == nullptr ||
        m.Find(attr::kFingerprint) == &m.attributes().back());
  // Typed getters: any answer, never a crash; errors carry a message.
  auto check_status = [](const absl::Status& s) { Check(s.ok() || !s.message().empty()); };
  for (const RawAttribute& a : m.attributes()) {
    check_status(m.GetAddress(a.type).status());
    check_status(m.GetXorAddress(a.type).status());
    check_status(m.GetString(a.type).status());
    check_status(m.GetUint32(a.type).status());
    check_status(m.GetUint64(a.type).status());
  }
  check_status(m.GetErrorCode().status());
  check_status(m.GetUnknownAttributes().status());
  check_status(m.GetChannelNumber().status());
  check_status(m.GetRequestedTransport().status());
  if (auto ec = m.GetErrorCode(); ec.ok()) Check(ec->code >= 300 && ec->code <= 699);
  const uint8_t key[] = {'k', 'e', 'y'};
  const auto integrity = m.CheckIntegrity(key);
  Check((integrity == rtcsim::stun::IntegrityResult::kAbsent) ==
        (!m.Has(attr::kMessageIntegrity) && !m.Has(attr::kMessageIntegritySha256)));
  Check(!m.ToString().empty());
  for (uint16_t t : m.UnknownComprehensionRequired()) {
    Check(t < 0x8000 && !rtcsim::stun::IsKnownAttribute(t) && m.Has(t));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::Span<const uint8_t> input(data, size);
  auto parsed = StunMessageView::Parse(input);
  if (!parsed.ok()) {
    Check(!parsed.status().message().empty());
    Check(parsed.status().code() == absl::StatusCode::kInvalidArgument ||
          parsed.status().code() == absl::StatusCode::kOutOfRange);
    return 0;
  }
  const StunMessageView& m = *parsed;
  CheckView(m, input);

  // Parsing is a pure function of the bytes.
  auto again = StunMessageView::Parse(input);
  Check(again.ok() && again->attributes().size() == m.attributes().size());

  // Rebuild every attribute except the computed ones; the result must
  // parse to the same types and values, then take integrity and a
  // fingerprint that verify.
  StunMessageBuilder b(m.method(), m.message_class(), m.transaction_id());
  std::vector<const RawAttribute*> copied;
  size_t body = 0;
  for (const RawAttribute& a : m.attributes()) {
    if (a.type == attr::kMessageIntegrity || a.type == attr::kMessageIntegritySha256 ||
        a.type == attr::kFingerprint) {
      continue;
    }
    body += 4 + ((a.value.size() + 3) & ~size_t{3});
    if (body > 60000) break;  // leave room for the computed attributes
    b.AddBytes(a.type, a.value);
    copied.push_back(&a);
  }
  const uint8_t key[] = {1, 2, 3, 4};
  b.AddMessageIntegrity(key).AddMessageIntegritySha256(key, 16).AddFingerprint();
  auto rebuilt = StunMessageView::Parse(b.bytes());
  Check(rebuilt.ok());
  Check(rebuilt->method_bits() == m.method_bits());
  Check(rebuilt->message_class() == m.message_class());
  Check(rebuilt->transaction_id() == m.transaction_id());
  Check(rebuilt->attributes().size() == copied.size() + 3);
  for (size_t i = 0; i < copied.size(); ++i) {
    const RawAttribute& x = rebuilt->attributes()[i];
    Check(x.type == copied[i]->type && x.value.size() == copied[i]->value.size() &&
          std::equal(x.value.begin(), x.value.end(), copied[i]->value.begin()));
  }
  Check(rebuilt->CheckIntegrity(key) == rtcsim::stun::IntegrityResult::kOk);
  CheckView(*rebuilt, b.bytes());

  // A 420 to a request lists exactly its unknown comprehension-required
  // attributes, and parses.
  if (m.message_class() == rtcsim::stun::StunClass::kRequest) {
    auto reply =
        rtcsim::stun::MakeErrorResponse(m, rtcsim::stun::error::kUnknownAttribute, "Unknown")
            .AddFingerprint()
            .bytes();
    auto r = StunMessageView::Parse(reply);
    Check(r.ok());
    auto listed = r->GetUnknownAttributes();
    Check(listed.ok() && *listed == m.UnknownComprehensionRequired());
    Check(r->GetErrorCode().ok() && r->GetErrorCode()->code == 420);
  }
  return 0;
}
