// Malformed SDP, table-driven: starting from one valid WebRTC offer that
// carries every line type RFC 8866 §5 defines (v o s i u e p c b t r z k a
// at session level; m i c b k a in media descriptions), each case replaces,
// inserts or drops one line and checks that Parse rejects the result with
// InvalidArgument reading "line <n> (<t>=): <reason>" — the right line, the
// right type letter and a reason naming what is wrong. Where RFC 8866 asks
// for tolerance the description must parse instead. The typed attribute
// views a PeerConnection reads get the same treatment: a garbled value is
// InvalidArgument naming the attribute and the problem.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "stack/sdp/attributes.h"
#include "stack/sdp/session_description.h"

namespace rtcsim::sdp {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// A Chromium-shaped offer (audio, video with RTX, data channel) extended
// with the session- and media-level lines browsers leave out, so every
// line type has a valid original to garble. Each line is unique so a case
// can name the line it changes by its text.
const std::vector<std::string>& OfferLines() {
  static const auto* lines = new std::vector<std::string>{
      "v=0",
      "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
      "s=-",
      "i=rtcsim call",
      "u=https://example.com/call/42",
      "e=alice@example.com (Alice)",
      "p=+1 617 555-6011",
      "c=IN IP4 0.0.0.0",
      "b=AS:2000",
      "t=0 0",
      "r=7d 1h 0 25h",
      "z=2882844526 -1h 2898848070 0",
      "k=prompt",
      "a=group:BUNDLE 0 1 2",
      "a=extmap-allow-mixed",
      "a=msid-semantic: WMS stream0",
      "m=audio 54321 UDP/TLS/RTP/SAVPF 111 0",
      "i=microphone",
      "c=IN IP4 192.168.1.20",
      "b=AS:64",
      "k=clear:s3cret",
      "a=candidate:1467250027 1 udp 2122260223 192.168.1.20 54321 typ host generation 0",
      "a=ice-ufrag:Vb3Q",
      "a=ice-pwd:u2nXEYVQ3vzXlbFLqNZ6kBNC",
      "a=ice-options:trickle",
      "a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:"
      "C2:43:F0:A1:58:D0:A1:2C:19:08",
      "a=setup:actpass",
      "a=mid:0",
      "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
      "a=sendrecv",
      "a=msid:stream0 track0",
      "a=rtcp-mux",
      "a=rtpmap:111 opus/48000/2",
      "a=rtcp-fb:111 transport-cc",
      "a=fmtp:111 minptime=10;useinbandfec=1",
      "a=rtpmap:0 PCMU/8000",
      "a=ssrc:3735928559 cname:k2Xz9mQvR7bT1pLw",
      "m=video 54321 UDP/TLS/RTP/SAVPF 96 97",
      "c=IN IP4 192.168.1.21",
      "a=mid:1",
      "a=rtpmap:96 VP8/90000",
      "a=rtcp-fb:96 nack pli",
      "a=rtpmap:97 rtx/90000",
      "a=fmtp:97 apt=96",
      "a=ssrc-group:FID 2882400001 2882400002",
      "a=ssrc:2882400001 cname:k2Xz9mQvR7bT1pLw",
      "a=ssrc:2882400002 cname:k2Xz9mQvR7bT1pLw",
      "m=application 54321 UDP/DTLS/SCTP webrtc-datachannel",
      "c=IN IP4 192.168.1.22",
      "a=mid:2",
      "a=sctp-port:5000",
      "a=max-message-size:262144",
  };
  return *lines;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) absl::StrAppend(&out, line, "\r\n");
  return out;
}

std::string Offer() { return Join(OfferLines()); }

// 1-based number of the line `target` in the offer; fails the test if it
// is not there exactly once.
size_t LineOf(const std::string& target) {
  const auto& lines = OfferLines();
  size_t found = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i] == target) {
      EXPECT_EQ(found, 0u) << "'" << target << "' occurs twice in the offer";
      found = i + 1;
    }
  }
  EXPECT_NE(found, 0u) << "'" << target << "' is not a line of the offer";
  return found;
}

// The offer with line `target` replaced by `replacement` (a '\n' inside it
// makes several lines; an empty one drops the line).
std::string Replace(const std::string& target, const std::string& replacement, bool drop = false) {
  std::vector<std::string> lines = OfferLines();
  const size_t at = LineOf(target);
  if (at == 0) return "";
  std::vector<std::string> out(lines.begin(), lines.begin() + (at - 1));
  if (!drop) {
    for (absl::string_view piece : absl::StrSplit(replacement, '\n')) out.emplace_back(piece);
  }
  out.insert(out.end(), lines.begin() + at, lines.end());
  return Join(out);
}

void ExpectRejected(const std::string& text, size_t line, char type, const std::string& reason,
                    const std::string& label) {
  SCOPED_TRACE(label);
  auto parsed = Parse(text);
  ASSERT_FALSE(parsed.ok()) << "accepted:\n" << text;
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(parsed.status().message());
  EXPECT_THAT(message, StartsWith(absl::StrCat("line ", line, " (", std::string(1, type), "=): ")));
  EXPECT_THAT(message, HasSubstr(reason));
}

TEST(MalformedSdp, BaseOfferIsValidAndRoundTrips) {
  const std::string text = Offer();
  auto parsed = Parse(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(Serialize(*parsed), text);
  ASSERT_EQ(parsed->media.size(), 3u);
  ASSERT_EQ(parsed->timings.size(), 1u);
  EXPECT_EQ(parsed->timings[0].repeats.size(), 1u);
  EXPECT_TRUE(parsed->timings[0].zone.has_value());
  EXPECT_TRUE(parsed->key.has_value());
  EXPECT_TRUE(parsed->media[0].key.has_value());
  EXPECT_TRUE(parsed->media[0].title.has_value());
}

// --- One line changed: truncated and garbled variants of every line type ----

struct LineCase {
  std::string label;
  std::string target;       // the offer line to replace
  std::string replacement;  // what replaces it
  std::string reason;       // distinctive part of the message
  int line_offset = 0;      // error line relative to the target line
};

std::vector<LineCase> LineCases() {
  const std::string o = "o=- 4611731400430051336 2 IN IP4 127.0.0.1";
  const std::string m_audio = "m=audio 54321 UDP/TLS/RTP/SAVPF 111 0";
  return {
      // v= (RFC 8866 §5.1)
      {"v empty", "v=0", "v=", "version '' is not 0"},
      {"v not 0", "v=0", "v=1", "version '1' is not 0"},
      {"v not a number", "v=0", "v=zero", "version 'zero' is not 0"},
      {"v space after =", "v=0", "v= 0", "version ' 0' is not 0"},
      {"v space before =", "v=0", "v =0", "expected <type>=<value>"},
      // o= (§5.2)
      {"o empty", o, "o=", "empty field in origin"},
      {"o cut after sess-id", o, "o=- 4611731400430051336", "expected 6 fields"},
      {"o cut after addrtype", o, "o=- 4611731400430051336 2 IN IP4", "got 5"},
      {"o trailing space", o, "o=- 4611731400430051336 2 IN IP4 ", "empty field in origin"},
      {"o double space", o, "o=-  4611731400430051336 2 IN IP4 127.0.0.1",
       "fields are separated by one space"},
      {"o tab separated", o, "o=-\t4611731400430051336\t2\tIN\tIP4\t127.0.0.1", "got 1"},
      {"o seven fields", o, "o=- 4611731400430051336 2 IN IP4 127.0.0.1 x", "got 7"},
      {"o sess-id not a number", o, "o=- 46117x1400430051336 2 IN IP4 127.0.0.1",
       "sess-id '46117x1400430051336' is not a number"},
      {"o sess-version negative", o, "o=- 4611731400430051336 -2 IN IP4 127.0.0.1",
       "sess-version '-2' is not a number"},
      {"o nettype not a token", o, "o=- 4611731400430051336 2 I@N IP4 127.0.0.1",
       "nettype 'I@N' is not a token"},
      {"o addrtype unknown for IN", o, "o=- 4611731400430051336 2 IN IP5 127.0.0.1",
       "addrtype 'IP5' is not IP4 or IP6"},
      {"o address octet out of range", o, "o=- 4611731400430051336 2 IN IP4 127.0.0.256",
       "address '127.0.0.256' is not an IP4 address"},
      {"o address three octets", o, "o=- 4611731400430051336 2 IN IP4 127.0.1",
       "address '127.0.1' is not an IP4 address"},
      {"o address with multicast suffix", o, "o=- 4611731400430051336 2 IN IP4 127.0.0.1/127",
       "has a '/' suffix"},
      {"o IP6 address garbled", o, "o=- 4611731400430051336 2 IN IP6 fe80::zz",
       "is not an IP6 address"},
      // s= (§5.3)
      {"s empty", "s=-", "s=", "empty session name"},
      {"s with NUL", "s=-", std::string("s=a\0b", 5), "value contains a NUL byte"},
      {"s with CR", "s=-", "s=a\rb", "CR not followed by LF"},
      // i= (§5.4)
      {"i empty", "i=rtcsim call", "i=", "empty session information"},
      {"i with NUL", "i=rtcsim call", std::string("i=rtcsim\0call", 13), "NUL byte"},
      // u= (§5.5)
      {"u empty", "u=https://example.com/call/42", "u=", "empty URI"},
      {"u with space", "u=https://example.com/call/42", "u=https://example.com/call 42",
       "URI contains a space"},
      // e= (§5.6)
      {"e empty", "e=alice@example.com (Alice)", "e=", "empty email address"},
      {"e without @", "e=alice@example.com (Alice)", "e=alice (Alice)", "has no '@'"},
      // p= (§5.6)
      {"p empty", "p=+1 617 555-6011", "p=", "empty phone number"},
      {"p without digits", "p=+1 617 555-6011", "p=call me", "fewer than 2 digits"},
      // c= at session level (§5.7)
      {"c empty", "c=IN IP4 0.0.0.0", "c=", "empty field in connection data"},
      {"c cut after nettype", "c=IN IP4 0.0.0.0", "c=IN", "expected 3 fields"},
      {"c cut after addrtype", "c=IN IP4 0.0.0.0", "c=IN IP4", "got 2"},
      {"c four fields", "c=IN IP4 0.0.0.0", "c=IN IP4 0.0.0.0 1.2.3.4", "got 4"},
      {"c comma separated", "c=IN IP4 0.0.0.0", "c=IN,IP4,0.0.0.0", "got 1"},
      {"c nettype not a token", "c=IN IP4 0.0.0.0", "c=I,N IP4 0.0.0.0",
       "nettype 'I,N' is not a token"},
      {"c addrtype unknown", "c=IN IP4 0.0.0.0", "c=IN IPX 0.0.0.0", "addrtype 'IPX'"},
      {"c address out of range", "c=IN IP4 0.0.0.0", "c=IN IP4 300.1.1.1",
       "address '300.1.1.1' is not an IP4 address"},
      {"c address garbled", "c=IN IP4 0.0.0.0", "c=IN IP4 a_b!", "address 'a_b!' is not an IP4"},
      {"c ttl not a number", "c=IN IP4 0.0.0.0", "c=IN IP4 224.2.1.1/x",
       "multicast ttl or address count 'x' is not a number"},
      {"c ttl empty", "c=IN IP4 0.0.0.0", "c=IN IP4 224.2.1.1/",
       "empty multicast ttl or address count"},
      // b= at session level (§5.8)
      {"b empty", "b=AS:2000", "b=", "expected <bwtype>:<bandwidth>"},
      {"b without colon", "b=AS:2000", "b=AS", "expected <bwtype>:<bandwidth>"},
      {"b without type", "b=AS:2000", "b=:2000", "expected <bwtype>:<bandwidth>"},
      {"b without value", "b=AS:2000", "b=AS:", "empty bandwidth"},
      {"b with =", "b=AS:2000", "b=AS=2000", "expected <bwtype>:<bandwidth>"},
      {"b value with unit", "b=AS:2000", "b=AS:2M", "bandwidth '2M' is not a number"},
      {"b value too large", "b=AS:2000", "b=AS:99999999999999999999999", "is too large"},
      {"b type not a token", "b=AS:2000", "b=A S:2000", "bwtype 'A S' is not a token"},
      // t= (§5.9)
      {"t empty", "t=0 0", "t=", "empty field in timing"},
      {"t one field", "t=0 0", "t=0", "expected <start-time> <stop-time>"},
      {"t three fields", "t=0 0", "t=0 0 0", "got 3 fields"},
      {"t stop not a number", "t=0 0", "t=0 x", "stop time 'x' is not a number"},
      {"t start negative", "t=0 0", "t=-1 0", "start time '-1' is not a number"},
      {"t double space", "t=0 0", "t=0  0", "empty field in timing"},
      // r= (§5.10)
      {"r empty", "r=7d 1h 0 25h", "r=", "empty repeat time"},
      {"r interval only", "r=7d 1h 0 25h", "r=7d", "expected <repeat interval>"},
      {"r without offsets", "r=7d 1h 0 25h", "r=7d 1h", "got 2 fields"},
      {"r bad unit", "r=7d 1h 0 25h", "r=7w 1h 0", "repeat time '7w' is not a time"},
      {"r zero interval", "r=7d 1h 0 25h", "r=0 1h 0", "repeat interval must not be zero"},
      // z= (§5.11)
      {"z empty", "z=2882844526 -1h 2898848070 0", "z=", "empty time zone adjustment"},
      {"z odd fields", "z=2882844526 -1h 2898848070 0", "z=2882844526 -1h 2898848070",
       "pairs, got 3 fields"},
      {"z time not a number", "z=2882844526 -1h 2898848070 0", "z=soon -1h",
       "adjustment time 'soon' is not a number"},
      {"z offset bad unit", "z=2882844526 -1h 2898848070 0", "z=2882844526 -1y",
       "time zone offset '1y' is not a time"},
      // k= at session level (§5.12)
      {"k empty", "k=prompt", "k=", "empty encryption key"},
      {"k clear without key", "k=prompt", "k=clear:", "empty key after 'clear:'"},
      {"k base64 garbled", "k=prompt", "k=base64:!!not-base64!!", "non-base64 character"},
      {"k method not a token", "k=prompt", "k=pro mpt", "key method 'pro mpt' is not a token"},
      // a= at session level (§5.13)
      {"a empty", "a=extmap-allow-mixed", "a=", "empty attribute name"},
      {"a value without name", "a=extmap-allow-mixed", "a=:x", "empty attribute name"},
      {"a name with space", "a=extmap-allow-mixed", "a=extmap allow mixed",
       "attribute name 'extmap allow mixed' contains a space"},
      {"a name not a token", "a=extmap-allow-mixed", "a=extmap@allow",
       "attribute name 'extmap@allow' is not a token"},
      {"a name not US-ASCII", "a=extmap-allow-mixed", "a=\xc3\x28:1",
       "attribute name '\\xc3(' is not a token"},
      // m= (§5.14)
      {"m empty", m_audio, "m=", "empty field in media description"},
      {"m media only", m_audio, "m=audio", "expected <media> <port> <proto> <fmt>"},
      {"m cut after port", m_audio, "m=audio 54321", "got 2 fields"},
      {"m cut after proto", m_audio, "m=audio 54321 UDP/TLS/RTP/SAVPF", "got 3 fields"},
      {"m trailing space", m_audio, "m=audio 54321 UDP/TLS/RTP/SAVPF 111 ",
       "empty field in media description"},
      {"m port out of range", m_audio, "m=audio 65536 UDP/TLS/RTP/SAVPF 111 0",
       "port '65536' is too large"},
      {"m port not a number", m_audio, "m=audio nine UDP/TLS/RTP/SAVPF 111 0",
       "port 'nine' is not a number"},
      {"m port negative", m_audio, "m=audio -9 UDP/TLS/RTP/SAVPF 111 0",
       "port '-9' is not a number"},
      {"m port count garbled", m_audio, "m=audio 54321/x UDP/TLS/RTP/SAVPF 111 0",
       "port count 'x' is not a number"},
      {"m port count zero", m_audio, "m=audio 54321/0 UDP/TLS/RTP/SAVPF 111 0",
       "port count must not be zero"},
      {"m media not a token", m_audio, "m=au:dio 54321 UDP/TLS/RTP/SAVPF 111 0",
       "media type 'au:dio' is not a token"},
      {"m tab separated", m_audio, "m=audio\t54321 UDP/TLS/RTP/SAVPF 111 0",
       "media type 'audio\\t54321' is not a token"},
      {"m proto empty part", m_audio, "m=audio 54321 UDP//TLS/RTP/SAVPF 111 0",
       "proto 'UDP//TLS/RTP/SAVPF' is not token"},
      {"m proto trailing slash", m_audio, "m=audio 54321 UDP/TLS/RTP/SAVPF/ 111 0",
       "is not token *(\"/\" token)"},
      {"m fmt not a token", m_audio, "m=audio 54321 UDP/TLS/RTP/SAVPF 11:1 0",
       "fmt '11:1' is not a token"},
      // i= in a media description
      {"media i empty", "i=microphone", "i=", "empty media title"},
      {"media i with NUL", "i=microphone", std::string("i=mic\0", 6), "NUL byte"},
      // c= in a media description
      {"media c cut", "c=IN IP4 192.168.1.20", "c=IN IP4", "expected 3 fields"},
      {"media c address out of range", "c=IN IP4 192.168.1.20", "c=IN IP4 192.168.1.300",
       "address '192.168.1.300' is not an IP4 address"},
      {"media c nettype garbled", "c=IN IP4 192.168.1.20", "c=\"IN\" IP4 192.168.1.20",
       "nettype '\\\"IN\\\"' is not a token"},
      {"media c addrtype lower case", "c=IN IP4 192.168.1.20", "c=IN ip4 192.168.1.20",
       "addrtype 'ip4' is not IP4 or IP6"},
      // b= in a media description
      {"media b without value", "b=AS:64", "b=AS:", "empty bandwidth"},
      {"media b not a number", "b=AS:64", "b=AS:sixty", "bandwidth 'sixty' is not a number"},
      // k= in a media description
      {"media k empty", "k=clear:s3cret", "k=", "empty encryption key"},
      {"media k uri without uri", "k=clear:s3cret", "k=uri:", "empty key after 'uri:'"},
      // a= in a media description
      {"media a empty", "a=rtcp-mux", "a=", "empty attribute name"},
      {"media a name with space", "a=rtcp-mux", "a=rtcp mux", "contains a space"},
      {"media a with NUL", "a=mid:0", std::string("a=mid:0\0", 8), "NUL byte"},
      {"media a with CR", "a=mid:0", "a=mid:0\rx", "CR not followed by LF"},
      {"media a name Latin-1", "a=rtcp-mux", "a=rtcp-m\xfcx", "is not a token"},
  };
}

TEST(MalformedSdp, TruncatedAndGarbledLines) {
  for (const LineCase& c : LineCases()) {
    const size_t line = LineOf(c.target) + c.line_offset;
    const char type = c.replacement.size() >= 1 ? c.replacement[0] : '?';
    ExpectRejected(Replace(c.target, c.replacement), line, type, c.reason, c.label);
  }
}

// Every line type the parser knows has at least one truncated and one
// garbled case at each level where it may appear.
TEST(MalformedSdp, EveryLineTypeIsCovered) {
  std::map<std::string, int> session, media;
  const size_t first_media = LineOf("m=audio 54321 UDP/TLS/RTP/SAVPF 111 0");
  for (const LineCase& c : LineCases()) {
    const std::string type = c.target.substr(0, 1);
    (LineOf(c.target) < first_media || type == "m" ? session : media)[type]++;
  }
  for (const char* t :
       {"v", "o", "s", "i", "u", "e", "p", "c", "b", "t", "r", "z", "k", "a", "m"}) {
    EXPECT_GE(session[t], 2) << t << "= at session level";
  }
  for (const char* t : {"i", "c", "b", "k", "a"}) EXPECT_GE(media[t], 2) << t << "= in media";
}

// --- Structure: order, missing mandatory lines, junk ------------------------

struct TextCase {
  std::string label;
  std::string text;
  size_t line;
  char type;
  std::string reason;
};

std::vector<TextCase> StructureCases() {
  const std::string o = "o=- 4611731400430051336 2 IN IP4 127.0.0.1";
  const std::string m_audio = "m=audio 54321 UDP/TLS/RTP/SAVPF 111 0";
  const std::string minimal = "v=0\r\n" + o + "\r\ns=-\r\n";
  auto drop = [](const std::string& target) { return Replace(target, "", /*drop=*/true); };
  return {
      // Out of order (RFC 8866 §5 fixes the order).
      {"o before v", Replace("v=0", o + "\nv=0"), 1, 'o', "expected v= line here"},
      {"v twice", Replace("v=0", "v=0\nv=0"), 2, 'v', "expected o= line here"},
      {"s before o", Replace(o, "s=-\n" + o), 2, 's', "expected o= line here"},
      {"s twice", Replace("s=-", "s=-\ns=again"), 4, 's', "line may appear only once here"},
      {"i after u", Replace("u=https://example.com/call/42", "u=https://example.com/call/42\ni=x"),
       LineOf("u=https://example.com/call/42") + 1, 'i', "line out of order"},
      {"c after b", Replace("b=AS:2000", "b=AS:2000\nc=IN IP4 0.0.0.0"), LineOf("b=AS:2000") + 1,
       'c', "line out of order"},
      {"c after a", Replace("a=extmap-allow-mixed", "a=extmap-allow-mixed\nc=IN IP4 0.0.0.0"),
       LineOf("a=extmap-allow-mixed") + 1, 'c', "line out of order"},
      {"r before t", Replace("b=AS:2000", "b=AS:2000\nr=7d 1h 0"), LineOf("b=AS:2000") + 1, 'r',
       "r= before the t= line"},
      {"k before t", Replace("b=AS:2000", "b=AS:2000\nk=prompt"), LineOf("b=AS:2000") + 1, 'k',
       "k= before the t= line"},
      {"a before t", Replace("b=AS:2000", "b=AS:2000\na=ice-lite"), LineOf("b=AS:2000") + 1, 'a',
       "a= before the t= line"},
      {"z after k", Replace("k=prompt", "k=prompt\nz=2882844526 -1h"), LineOf("k=prompt") + 1, 'z',
       "line out of order"},
      {"m before t", minimal + m_audio + "\r\nt=0 0\r\n", 4, 'm', "m= before the t= line"},
      {"media a before c", Replace("c=IN IP4 192.168.1.21", "a=mid:1\nc=IN IP4 192.168.1.21"),
       LineOf("c=IN IP4 192.168.1.21") + 1, 'c', "line out of order"},
      {"media b before c", Replace("c=IN IP4 192.168.1.20", "b=AS:64\nc=IN IP4 192.168.1.20"),
       LineOf("c=IN IP4 192.168.1.20") + 1, 'c', "line out of order"},
      {"media k after a", Replace("a=rtcp-mux", "a=rtcp-mux\nk=prompt"), LineOf("a=rtcp-mux") + 1,
       'k', "line out of order"},
      {"media i twice", Replace("i=microphone", "i=microphone\ni=again"),
       LineOf("i=microphone") + 1, 'i', "line may appear only once per media description"},
      {"media k twice", Replace("k=clear:s3cret", "k=clear:s3cret\nk=prompt"),
       LineOf("k=clear:s3cret") + 1, 'k', "only once per media description"},
      {"t inside media", Replace("a=mid:1", "a=mid:1\nt=0 0"), LineOf("a=mid:1") + 1, 't',
       "session-level line inside a media description"},
      {"s inside media", Replace("a=mid:2", "a=mid:2\ns=-"), LineOf("a=mid:2") + 1, 's',
       "session-level line inside a media description"},
      {"z inside media", Replace("a=mid:0", "a=mid:0\nz=2882844526 -1h"), LineOf("a=mid:0") + 1,
       'z', "session-level line inside a media description"},
      // A missing mandatory line is reported where its absence shows.
      {"no v", drop("v=0"), 1, 'o', "expected v= line here"},
      {"no o", drop(o), 2, 's', "expected o= line here"},
      {"no s", drop("s=-"), 3, 'i', "expected s= line here"},
      {"no s before t", "v=0\r\n" + o + "\r\nt=0 0\r\n", 3, 't', "expected s= line here"},
      {"no t, nothing after s", minimal, 4, 't', "missing t= line"},
      {"no t, media follows", minimal + m_audio + "\r\n", 4, 'm', "m= before the t= line"},
      {"no t, attribute follows", minimal + "a=group:BUNDLE 0\r\n", 4, 'a',
       "a= before the t= line"},
      {"no t in the offer",
       [&] {
         std::vector<std::string> lines;
         for (const auto& l : OfferLines()) {
           if (l[0] != 't' && l[0] != 'r' && l[0] != 'z') lines.push_back(l);
         }
         return Join(lines);
       }(),
       LineOf("k=prompt") - 3, 'k', "k= before the t= line"},
      // Junk.
      {"empty input", "", 1, '?', "empty session description"},
      {"junk line x", Replace("a=mid:0", "x"), LineOf("a=mid:0"), 'x', "expected <type>=<value>"},
      {"unknown type at session level", Replace("k=prompt", "x=1"), LineOf("k=prompt"), 'x',
       "unknown line type at session level"},
      {"unknown type in media", Replace("a=mid:0", "x=1"), LineOf("a=mid:0"), 'x',
       "unknown line type in a media description"},
      {"upper-case type", Replace("v=0", "V=0"), 1, 'V', "unknown line type at session level"},
      {"line without =", Replace("a=sendrecv", "sendrecv"), LineOf("a=sendrecv"), 's',
       "expected <type>=<value>"},
      {"line starting with =", Replace("a=sendrecv", "=sendrecv"), LineOf("a=sendrecv"), '=',
       "expected <type>=<value>"},
      {"empty line in the middle", Replace("a=sendrecv", ""), LineOf("a=sendrecv"), '?',
       "empty line"},
      {"blank line at the end", Offer() + "\r\n", OfferLines().size() + 1, '?', "empty line"},
      // NUL and non-UTF-8 bytes where a type letter or token is due.
      {"NUL type", Replace("a=sendrecv", std::string("\0=x", 3)), LineOf("a=sendrecv"), '?',
       "unknown line type in a media description"},
      {"NUL byte alone", Replace("a=sendrecv", std::string("\0", 1)), LineOf("a=sendrecv"), '?',
       "expected <type>=<value>"},
      {"non-UTF-8 type", Replace("k=prompt", "\xff=1"), LineOf("k=prompt"), '?',
       "unknown line type at session level"},
      {"non-UTF-8 junk line", Replace("k=prompt", "\xc3\x28"), LineOf("k=prompt"), '?',
       "expected <type>=<value>"},
      {"NUL inside v", std::string("v=0\0\r\n", 6) + o + "\r\ns=-\r\nt=0 0\r\n", 1, 'v',
       "value contains a NUL byte"},
      // CR without LF.
      {"CR-only line ends", absl::StrReplaceAll(Offer(), {{"\r\n", "\r"}}), 1, 'v',
       "CR not followed by LF"},
      {"CR CR LF", Replace("s=-", "s=-\r"), 3, 's', "CR not followed by LF"},
      {"CR inside an attribute", Replace("a=mid:1", "a=mid:1\ra=mid:9"), LineOf("a=mid:1"), 'a',
       "CR not followed by LF"},
      {"LF CR", absl::StrReplaceAll(Offer(), {{"\r\n", "\n\r"}}), 2, '?',
       "expected <type>=<value>"},
  };
}

TEST(MalformedSdp, OrderMissingLinesJunkAndBadBytes) {
  for (const TextCase& c : StructureCases()) {
    ExpectRejected(c.text, c.line, c.type, c.reason, c.label);
  }
}

// --- Tolerance RFC 8866 asks for -------------------------------------------

struct TolerantCase {
  std::string label;
  std::string text;
};

std::vector<TolerantCase> TolerantCases() {
  const std::string crlf = Offer();
  return {
      // §5: "parsers SHOULD be tolerant and also accept records terminated
      // with a single newline character".
      {"LF-only line ends", absl::StrReplaceAll(crlf, {{"\r\n", "\n"}})},
      {"mixed CRLF and LF",
       absl::StrReplaceAll(crlf, {{"a=mid:0\r\n", "a=mid:0\n"}, {"a=mid:2\r\n", "a=mid:2\n"}})},
      {"no final line end", crlf.substr(0, crlf.size() - 2)},
      // §5.13: unknown attributes are ignored, so they must parse.
      {"unknown session attribute",
       Replace("a=extmap-allow-mixed", "a=extmap-allow-mixed\na=x-vendor:any value: at all")},
      {"unknown media attribute", Replace("a=mid:0", "a=mid:0\na=x-unknown-flag")},
      {"attribute with empty value", Replace("a=mid:0", "a=mid:0\na=x-empty:")},
      {"garbled value of a known attribute", Replace("a=setup:actpass", "a=setup:sideways")},
      // §5.3: "s= " is the recommended name for a nameless session.
      {"s single space", Replace("s=-", "s= ")},
      // text is a byte-string (§9); without a=charset, bytes outside UTF-8
      // are kept as octets (§6.10).
      {"non-UTF-8 session name", Replace("s=-", "s=caf\xe9")},
      {"non-UTF-8 media title", Replace("i=microphone", "i=\xff\xfe")},
      {"non-UTF-8 attribute value", Replace("a=mid:2", "a=mid:2\na=x-label:\xc3\x28")},
      {"Latin-1 with a=charset",
       Replace("a=extmap-allow-mixed", "a=extmap-allow-mixed\na=charset:ISO-8859-1")},
      // §5.2, §5.7: FQDNs, IPv6, multicast TTL/count, other nettypes.
      {"origin IP6", Replace("o=- 4611731400430051336 2 IN IP4 127.0.0.1",
                             "o=- 4611731400430051336 2 IN IP6 2001:db8::1")},
      {"origin FQDN", Replace("o=- 4611731400430051336 2 IN IP4 127.0.0.1",
                              "o=- 4611731400430051336 2 IN IP4 host.example.com")},
      {"connection multicast", Replace("c=IN IP4 0.0.0.0", "c=IN IP4 233.252.0.1/127/3")},
      {"connection IP6 multicast", Replace("c=IN IP4 0.0.0.0", "c=IN IP6 ff15::101/3")},
      {"connection other nettype", Replace("c=IN IP4 0.0.0.0", "c=ATM NSAP 47.0005.80")},
      // §5.6 forms of e= and p=.
      {"email with display name",
       Replace("e=alice@example.com (Alice)", "e=Alice Smith <alice@example.com>")},
      {"phone with name", Replace("p=+1 617 555-6011", "p=Alice <+1 617 555-6011>")},
      // §5.9 a bounded session; §5.10 repeat without units.
      {"bounded time", Replace("t=0 0", "t=3724394400 3724398000")},
      {"repeat in seconds", Replace("r=7d 1h 0 25h", "r=604800 3600 0 90000")},
      {"two time descriptions",
       Replace("z=2882844526 -1h 2898848070 0", "t=3724394400 3724398000\nz=2882844526 -1h")},
      {"port zero and port count",
       Replace("m=audio 54321 UDP/TLS/RTP/SAVPF 111 0", "m=audio 0/2 UDP/TLS/RTP/SAVPF 111 0")},
      {"several media bandwidths", Replace("b=AS:64", "b=AS:64\nb=TIAS:64000")},
  };
}

TEST(MalformedSdp, ToleratedInputParses) {
  for (const TolerantCase& c : TolerantCases()) {
    auto parsed = Parse(c.text);
    EXPECT_TRUE(parsed.ok()) << c.label << ": " << parsed.status();
  }
}

TEST(MalformedSdp, LfOnlyParsesToTheSameModelAsCrlf) {
  auto crlf = Parse(Offer());
  auto lf = Parse(absl::StrReplaceAll(Offer(), {{"\r\n", "\n"}}));
  ASSERT_TRUE(crlf.ok() && lf.ok());
  EXPECT_EQ(*crlf, *lf);
}

TEST(MalformedSdp, NonUtf8TextSurvivesAsOctets) {
  const std::string text = Replace("s=-", "s=caf\xe9");
  auto parsed = Parse(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->session_name, "caf\xe9");
  EXPECT_EQ(Serialize(*parsed), text);
}

// --- Typed attribute views ----------------------------------------------------

// GetAll<T> over every attribute list of a description: the first error.
template <typename T>
absl::Status CheckView(const SessionDescription& d) {
  if (auto s = GetAll<T>(d.attributes); !s.ok()) return s.status();
  for (const MediaDescription& m : d.media) {
    if (auto s = GetAll<T>(m.attributes); !s.ok()) return s.status();
  }
  return absl::OkStatus();
}

template <typename T>
std::pair<std::string, std::function<absl::Status(absl::string_view)>> DirectParser() {
  return {std::string(T::kName), [](absl::string_view v) { return T::Parse(v).status(); }};
}

template <typename T>
std::pair<std::string, std::function<absl::Status(const SessionDescription&)>> ViewChecker() {
  return {std::string(T::kName), &CheckView<T>};
}

const std::map<std::string, std::function<absl::Status(absl::string_view)>>& Parsers() {
  static const auto* parsers =
      new std::map<std::string, std::function<absl::Status(absl::string_view)>>{
          DirectParser<RtpMap>(),
          DirectParser<Fmtp>(),
          DirectParser<RtcpFb>(),
          DirectParser<ExtMap>(),
          DirectParser<Ssrc>(),
          DirectParser<SsrcGroup>(),
          DirectParser<Msid>(),
          DirectParser<Mid>(),
          DirectParser<Group>(),
          DirectParser<IceUfrag>(),
          DirectParser<IcePwd>(),
          DirectParser<IceOptions>(),
          DirectParser<CandidateAttribute>(),
          DirectParser<FingerprintAttribute>(),
          DirectParser<SetupAttribute>(),
          DirectParser<SctpPort>(),
          DirectParser<MaxMessageSize>(),
      };
  return *parsers;
}

const std::map<std::string, std::function<absl::Status(const SessionDescription&)>>& Checkers() {
  static const auto* checkers =
      new std::map<std::string, std::function<absl::Status(const SessionDescription&)>>{
          ViewChecker<RtpMap>(),
          ViewChecker<Fmtp>(),
          ViewChecker<RtcpFb>(),
          ViewChecker<ExtMap>(),
          ViewChecker<Ssrc>(),
          ViewChecker<SsrcGroup>(),
          ViewChecker<Msid>(),
          ViewChecker<Mid>(),
          ViewChecker<Group>(),
          ViewChecker<IceUfrag>(),
          ViewChecker<IcePwd>(),
          ViewChecker<IceOptions>(),
          ViewChecker<CandidateAttribute>(),
          ViewChecker<FingerprintAttribute>(),
          ViewChecker<SetupAttribute>(),
          ViewChecker<SctpPort>(),
          ViewChecker<MaxMessageSize>(),
      };
  return *checkers;
}

struct ViewCase {
  std::string name;    // att-field
  std::string value;   // garbled att-value
  std::string reason;  // distinctive part of the message
};

std::vector<ViewCase> ViewCases() {
  const std::string long_token(65, 'x');
  return {
      {"rtpmap", "", "payload type '' is not 0-127"},
      {"rtpmap", "111", "missing <encoding name>/<clock rate>"},
      {"rtpmap", "111 opus", "expected <encoding name>/<clock rate>"},
      {"rtpmap", "128 opus/48000/2", "payload type '128' is not 0-127"},
      {"rtpmap", "x opus/48000", "payload type 'x' is not 0-127"},
      {"rtpmap", "111 opus/fast", "clock rate 'fast' is not a positive number"},
      {"rtpmap", "111 opus/0", "clock rate '0' is not a positive number"},
      {"rtpmap", "111 /48000", "expected <encoding name>/<clock rate>"},
      {"rtpmap", "111 op us/48000", "encoding name 'op us' is not a token"},
      {"rtpmap", "111  opus/48000", "encoding name ' opus' is not a token"},
      {"rtpmap", "111 opus/48000/", "empty encoding parameters"},
      {"rtpmap", "111 opus/48000/2 x", "encoding parameters '2 x' is not a token"},
      {"fmtp", "", "empty format"},
      {"fmtp", "111", "missing format parameters"},
      {"fmtp", "111 ", "missing format parameters"},
      {"fmtp", "1@1 apt=96", "format '1@1' is not a token"},
      {"rtcp-fb", "", "empty format"},
      {"rtcp-fb", "96", "missing feedback type"},
      {"rtcp-fb", "96  nack", "empty feedback type"},
      {"rtcp-fb", "96 nack ", "empty feedback parameter"},
      {"rtcp-fb", "9(6 nack", "format '9(6' is not a token"},
      {"rtcp-fb", "96 na;ck", "feedback type 'na;ck' is not a token"},
      {"extmap", "", "id '' is not 1-255"},
      {"extmap", "0 urn:x", "id '0' is not 1-255"},
      {"extmap", "256 urn:x", "id '256' is not 1-255"},
      {"extmap", "one urn:x", "id 'one' is not 1-255"},
      {"extmap", "1", "missing URI"},
      {"extmap", "1  urn:x", "empty URI"},
      {"extmap", "1/ urn:x", "empty direction"},
      {"extmap", "1/sideways urn:x", "direction 'sideways' is not sendonly"},
      {"extmap", "1 urn:x ", "empty extension attributes"},
      {"ssrc", "", "ssrc-id '' is not a 32-bit number"},
      {"ssrc", "4294967296 cname:x", "ssrc-id '4294967296' is not a 32-bit number"},
      {"ssrc", "abc cname:x", "ssrc-id 'abc' is not a 32-bit number"},
      {"ssrc", "1", "missing source attribute"},
      {"ssrc", "1 ", "missing source attribute"},
      {"ssrc", "1 :x", "empty source attribute name"},
      {"ssrc", "1 cn@me:x", "source attribute name 'cn@me' is not a token"},
      {"ssrc-group", "", "expected <semantics> *(SP <ssrc-id>)"},
      {"ssrc-group", "FID  1", "expected <semantics> *(SP <ssrc-id>)"},
      {"ssrc-group", "FID 1 x", "ssrc-id 'x' is not a 32-bit number"},
      {"ssrc-group", "FID 1 4294967296", "ssrc-id '4294967296' is not a 32-bit number"},
      {"ssrc-group", "F(D 1 2", "semantics 'F(D' is not a token"},
      {"msid", "", "empty msid-id"},
      {"msid", "stream0 ", "msid-appdata must be one non-empty token"},
      {"msid", "stream0 track0 extra", "msid-appdata must be one non-empty token"},
      {"msid", "str@am0 track0", "msid-id 'str@am0' is not a token"},
      {"msid", "stream0 tr:ck0", "msid-appdata 'tr:ck0' is not a token"},
      {"msid", long_token, "msid-id is longer than 64 characters"},
      {"mid", "", "identification-tag must be one non-empty token"},
      {"mid", "a b", "identification-tag must be one non-empty token"},
      {"mid", "a/b", "identification-tag 'a/b' is not a token"},
      {"group", "", "expected <semantics> *(SP <mid>)"},
      {"group", "BUNDLE  0", "expected <semantics> *(SP <mid>)"},
      {"group", "BUNDLE 0 ", "expected <semantics> *(SP <mid>)"},
      {"group", "BUNDLE 0 a:b", "identification-tag 'a:b' is not a token"},
      {"group", "BUN,DLE 0", "semantics 'BUN,DLE' is not a token"},
      {"ice-ufrag", "", "length 0 is outside 4-256"},
      {"ice-ufrag", "Vb3", "length 3 is outside 4-256"},
      {"ice-ufrag", "Vb:3Q", "not an ice-char"},
      {"ice-ufrag", std::string(257, 'a'), "length 257 is outside 4-256"},
      {"ice-pwd", "", "length 0 is outside 22-256"},
      {"ice-pwd", "u2nXEYVQ3vzXlbFLqNZ6k", "length 21 is outside 22-256"},
      {"ice-pwd", "u2nXEYVQ3vzXlbFLqNZ6kB-C", "not an ice-char"},
      {"ice-options", "", "expected <ice-option-tag> *(SP <tag>)"},
      {"ice-options", "trickle  renomination", "expected <ice-option-tag>"},
      {"ice-options", "tri@ckle", "ice-option-tag 'tri@ckle' is not a token"},
      {"candidate", "", "candidate line is truncated: missing foundation"},
      {"candidate", "1467250027 1 udp", "truncated: missing priority"},
      {"candidate", "1467250027 1 udp 2122260223 192.168.1.20 54321 typ",
       "truncated: missing cand-type"},
      {"candidate", "1467250027 x udp 2122260223 192.168.1.20 54321 typ host",
       "component-id (token 2) 'x'"},
      {"candidate", "1467250027 1 udp high 192.168.1.20 54321 typ host", "priority (token 4)"},
      {"candidate", "1467250027 1 udp 2122260223 192.168.1.20 70000 typ host", "not a port number"},
      {"candidate", "1467250027 1 udp 2122260223 192.168.1.20 54321 type host", "expected \"typ\""},
      {"candidate", "1467250027 1 udp 2122260223 192.168.1.20 54321 typ bogus",
       "unknown candidate type"},
      {"candidate", "1467250027 1 udp 2122260223 192.168.1.20 54321 typ srflx raddr", "rel-addr"},
      {"fingerprint", "", "expected \"<hash-func> <AB:CD:...>\""},
      {"fingerprint", "sha-256", "expected \"<hash-func> <AB:CD:...>\""},
      {"fingerprint", "sha-256 ZZ", "byte 1 \"ZZ\" is not two hex digits"},
      {"fingerprint", "sha-256 7B:8B", "sha-256 needs 32 bytes, got 2"},
      {"fingerprint", "sha-256 7B-8B", "is not two hex digits"},
      {"fingerprint", "md5 7B:8B", "must not be used"},
      {"fingerprint", "sha-999 7B:8B", "unknown hash function"},
      {"setup", "", "'' is not active, passive, actpass or holdconn"},
      {"setup", "both", "'both' is not active, passive, actpass or holdconn"},
      {"setup", "act pass", "is not active, passive, actpass or holdconn"},
      {"sctp-port", "", "'' is not a port number"},
      {"sctp-port", "65536", "'65536' is not a port number"},
      {"sctp-port", "-1", "'-1' is not a port number"},
      {"sctp-port", "5000 ", "'5000 ' is not a port number"},
      {"max-message-size", "", "'' is not a number"},
      {"max-message-size", "-1", "'-1' is not a number"},
      {"max-message-size", "256k", "'256k' is not a number"},
      {"max-message-size", "99999999999999999999999", "is not a number"},
  };
}

// The offer line carrying attribute `name`, for placing a garbled value.
std::string OfferLineFor(const std::string& name) {
  for (const std::string& line : OfferLines()) {
    if (absl::StartsWith(line, absl::StrCat("a=", name, ":"))) return line;
  }
  ADD_FAILURE() << "no a=" << name << " in the offer";
  return "";
}

TEST(MalformedAttributes, GarbledValuesOfTypedViews) {
  for (const ViewCase& c : ViewCases()) {
    SCOPED_TRACE(absl::StrCat("a=", c.name, ":", absl::CHexEscape(c.value)));
    ASSERT_TRUE(Parsers().contains(c.name));
    const std::string prefix = absl::StrCat("a=", c.name, ": ");
    // The view's own parser.
    const absl::Status direct = Parsers().at(c.name)(c.value);
    EXPECT_EQ(direct.code(), absl::StatusCode::kInvalidArgument) << direct;
    EXPECT_THAT(std::string(direct.message()), StartsWith(prefix));
    EXPECT_THAT(std::string(direct.message()), HasSubstr(c.reason));
    // The same value inside the offer: the description parses (attribute
    // values are opaque to RFC 8866) and GetAll reports the bad value.
    auto parsed = Parse(Replace(OfferLineFor(c.name), absl::StrCat("a=", c.name, ":", c.value)));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    const absl::Status via_offer = Checkers().at(c.name)(*parsed);
    EXPECT_EQ(via_offer, direct);
  }
}

TEST(MalformedAttributes, EveryTypedViewIsCovered) {
  std::map<std::string, int> count;
  for (const ViewCase& c : ViewCases()) count[c.name]++;
  for (const auto& [name, parser] : Parsers()) {
    EXPECT_GE(count[name], 3) << name;
    // And the offer's own value for it is valid.
    const std::string line = OfferLineFor(name);
    EXPECT_TRUE(parser(line.substr(line.find(':') + 1)).ok()) << line;
  }
  auto parsed = Parse(Offer());
  ASSERT_TRUE(parsed.ok());
  for (const auto& [name, check] : Checkers()) EXPECT_TRUE(check(*parsed).ok()) << name;
}

// A property attribute where a typed view expects a value reads as the
// empty value, which every view rejects.
TEST(MalformedAttributes, ValuelessTypedAttributeIsRejected) {
  for (const auto& [name, check] : Checkers()) {
    auto parsed = Parse(Replace(OfferLineFor(name), absl::StrCat("a=", name)));
    ASSERT_TRUE(parsed.ok()) << name << ": " << parsed.status();
    const absl::Status status = check(*parsed);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_THAT(std::string(status.message()), StartsWith(absl::StrCat("a=", name, ": ")));
  }
}

}  // namespace
}  // namespace rtcsim::sdp
