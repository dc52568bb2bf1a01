#include "stack/dtls/dtls_role.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace rtcsim::dtls {

std::string ToString(DtlsRole role) { return role == DtlsRole::kClient ? "client" : "server"; }

std::string ToString(DtlsSetup setup) {
  switch (setup) {
    case DtlsSetup::kActive:
      return "active";
    case DtlsSetup::kPassive:
      return "passive";
    case DtlsSetup::kActpass:
      return "actpass";
    case DtlsSetup::kHoldconn:
      return "holdconn";
  }
  return "?";
}

absl::StatusOr<DtlsSetup> ParseDtlsSetup(absl::string_view value) {
  std::string v = absl::AsciiStrToLower(absl::StripAsciiWhitespace(value));
  if (v == "active") return DtlsSetup::kActive;
  if (v == "passive") return DtlsSetup::kPassive;
  if (v == "actpass") return DtlsSetup::kActpass;
  if (v == "holdconn") return DtlsSetup::kHoldconn;
  return absl::InvalidArgumentError(absl::StrCat(
      "a=setup: unknown value \"", value, "\" (expected active, passive, actpass or holdconn)"));
}

absl::StatusOr<DtlsRole> ResolveDtlsRole(DtlsSetup local, DtlsSetup remote, bool is_offerer) {
  const DtlsSetup offer = is_offerer ? local : remote;
  const DtlsSetup answer = is_offerer ? remote : local;
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("a=setup: offer ", ToString(offer), ", answer ", ToString(answer), ": ", why));
  };
  // RFC 4145 §4: holdconn means "no connection for now"; DTLS-SRTP has no
  // use for it (RFC 8842 §5 only uses active/passive/actpass).
  if (offer == DtlsSetup::kHoldconn || answer == DtlsSetup::kHoldconn) {
    return invalid("holdconn is not supported for DTLS");
  }
  // RFC 4145 §4: the answer must pick a side.
  if (answer == DtlsSetup::kActpass) return invalid("an answer must be active or passive");
  // RFC 4145 §4 table: active offer -> passive answer, passive offer ->
  // active answer, actpass offer -> either.
  if (offer == answer) return invalid("both sides cannot take the same role");
  const bool answerer_is_client = answer == DtlsSetup::kActive;
  const bool local_is_client = is_offerer ? !answerer_is_client : answerer_is_client;
  return local_is_client ? DtlsRole::kClient : DtlsRole::kServer;
}

}  // namespace rtcsim::dtls
