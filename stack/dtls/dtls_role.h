// The DTLS role from the SDP a=setup negotiation (RFC 4145 §4, RFC 8842 §5,
// RFC 5763 §5).
#ifndef RTCSIM_STACK_DTLS_DTLS_ROLE_H_
#define RTCSIM_STACK_DTLS_DTLS_ROLE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rtcsim::dtls {

enum class DtlsRole { kClient, kServer };
std::string ToString(DtlsRole role);

// RFC 4145 §4 setup attribute values.
enum class DtlsSetup { kActive, kPassive, kActpass, kHoldconn };
std::string ToString(DtlsSetup setup);
// "active", "passive", "actpass", "holdconn" (case-insensitive).
absl::StatusOr<DtlsSetup> ParseDtlsSetup(absl::string_view value);

// The local role once both setup values are known. `local` is the value this
// endpoint put in its own description, `remote` the peer's:
//   - the offerer offered actpass (RFC 8842 §5.2 MUST) or, from older
//     implementations, active/passive; the answer decides;
//   - the answerer answers active or passive, never actpass (RFC 4145 §4);
//     RFC 5763 §5 recommends active, i.e. the answerer is the DTLS client.
// active = DTLS client (sends the ClientHello), passive = DTLS server.
// InvalidArgument for combinations RFC 4145 §4 forbids (both active, both
// passive, an answer of actpass, holdconn, or an answer that contradicts a
// non-actpass offer), naming both values.
absl::StatusOr<DtlsRole> ResolveDtlsRole(DtlsSetup local, DtlsSetup remote, bool is_offerer);

}  // namespace rtcsim::dtls

#endif  // RTCSIM_STACK_DTLS_DTLS_ROLE_H_
