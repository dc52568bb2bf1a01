// Fuzz target for the DTLS record and handshake header codec. Any input
// either fails with a message or parses to records that tile the datagram
// exactly; CheckDtlsDatagram agrees with the parsers.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "stack/dtls/dtls_record.h"

namespace {

using rtcsim::dtls::CheckDtlsDatagram;
using rtcsim::dtls::DtlsRecord;
using rtcsim::dtls::kHandshakeHeaderSize;
using rtcsim::dtls::kMaxRecordFragment;
using rtcsim::dtls::kRecordHeaderSize;
using rtcsim::dtls::ParseDtlsRecords;
using rtcsim::dtls::ParseHandshakeFragments;

#define Check(cond)                                                                     \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::Span<const uint8_t> datagram(data, size);
  auto records = ParseDtlsRecords(datagram);
  const absl::Status check = CheckDtlsDatagram(datagram);
  if (!records.ok()) {
    Check(!records.status().message().empty());
    Check(!check.ok());
    return 0;
  }
  Check(!records->empty());
  Check(rtcsim::dtls::LooksLikeDtls(datagram));
  size_t offset = 0;
  for (const DtlsRecord& r : *records) {
    Check(r.offset == offset);
    Check(r.fragment.data() == data + offset + kRecordHeaderSize);
    Check(r.fragment.size() <= kMaxRecordFragment);
    Check((r.version >> 8) == 0xFE);
    Check(rtcsim::dtls::IsDtlsFirstByte(r.content_type));
    Check(r.sequence_number < (uint64_t{1} << 48));
    Check(!r.ToString().empty());
    offset += r.size();
    auto fragments = ParseHandshakeFragments(r.fragment);
    if (!fragments.ok()) continue;
    size_t f_offset = 0;
    for (const auto& f : *fragments) {
      Check(f.body.data() == r.fragment.data() + f_offset + kHandshakeHeaderSize);
      Check(uint64_t{f.fragment_offset} + f.body.size() <= f.length);
      Check(!f.ToString().empty());
      f_offset += kHandshakeHeaderSize + f.body.size();
    }
    Check(f_offset == r.fragment.size());
  }
  Check(offset == size);
  return 0;
}
