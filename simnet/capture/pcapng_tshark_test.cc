// Dissects captures written by PcapngWriter with the system tshark
// (Wireshark 4.0 on Debian 12) and checks that every frame decodes cleanly.
//
// Facts about tshark 4.0.17 this test relies on (seen on this machine):
// - udp.checksum.status / ip.checksum.status print as numbers with
//   -T fields: 0 = Bad, 1 = Good, 2 = Unverified (the value when checking
//   is off), so the -o *.check_checksum:TRUE options are required.
// - A pcapng opt_comment shows as frame.comment and as one expert item of
//   severity Comment (_ws.expert.severity 1048576 = PI_COMMENT); a bad
//   checksum is an expert item of severity Error (8388608).
// - "-z expert -q" prints one section per severity: "Errors (n)",
//   "Warns (n)", "Notes (n)", "Chats (n)", "Comments (n)".
// - Running as root prints a warning on stderr, so stderr is kept apart.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "simnet/capture/pcapng_writer.h"
#include "stack/env/socket_address.h"
#include "stack/env/time.h"

namespace rtcsim::simnet {
namespace {

std::string TmpDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

// Finds tshark: /usr/bin/tshark, else the first one on PATH.
std::string FindTshark() {
  if (access("/usr/bin/tshark", X_OK) == 0) return "/usr/bin/tshark";
  const char* path = std::getenv("PATH");
  if (path == nullptr) return "";
  for (absl::string_view dir : absl::StrSplit(path, ':')) {
    if (dir.empty()) continue;
    std::string candidate = absl::StrCat(dir, "/tshark");
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs tshark with `args` (already shell-quoted where needed). HOME and
// XDG_CONFIG_HOME point at the test's temporary directory so that no user
// Wireshark profile can change the dissection.
RunResult RunTshark(const std::string& args) {
  static const std::string tshark = FindTshark();
  const std::string err_path = TmpDir() + "/tshark_stderr.txt";
  const std::string cmd = absl::StrCat("env HOME='", TmpDir(), "' XDG_CONFIG_HOME='", TmpDir(),
                                       "/config' '", tshark, "' ", args, " 2>'", err_path, "'");
  RunResult r;
  std::FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) {
    r.err = "popen failed";
    return r;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) r.out.append(buf, n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err(err_path);
  r.err.assign(std::istreambuf_iterator<char>(err), std::istreambuf_iterator<char>());
  return r;
}

constexpr char kCheckOptions[] = "-o udp.check_checksum:TRUE -o ip.check_checksum:TRUE";

constexpr int kPiComment = 0x00100000;  // _ws.expert.severity of a comment.

struct Sent {
  int interface_id;
  Timestamp t;
  SocketAddress src;
  SocketAddress dst;
  size_t payload_size;
  std::string comment;
};

std::vector<uint8_t> Payload(size_t n, int seed) {
  std::vector<uint8_t> v(n);
  uint32_t x = static_cast<uint32_t>(seed) * 2654435761u + 1;
  for (auto& b : v) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<uint8_t>(x >> 24);
  }
  return v;
}

// Two bytes appended to `payload` that make the UDP checksum compute to 0,
// which the writer must send as 0xFFFF.
void MakeChecksumZero(const SocketAddress& src, const SocketAddress& dst,
                      std::vector<uint8_t>& payload) {
  payload.push_back(0);
  payload.push_back(0);
  const uint32_t udp_len = static_cast<uint32_t>(8 + payload.size());
  uint32_t sum = 0;
  auto add = [&sum](const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; i += 2) {
      sum += uint32_t{p[i]} << 8 | (i + 1 < n ? p[i + 1] : 0);
    }
  };
  add(src.ip().data(), src.ip().size());
  add(dst.ip().data(), dst.ip().size());
  sum += 17 + udp_len + src.port() + dst.port() + udp_len;
  add(payload.data(), payload.size());  // Even length, so words line up.
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  const uint16_t fix = static_cast<uint16_t>(~sum);
  payload[payload.size() - 2] = static_cast<uint8_t>(fix >> 8);
  payload[payload.size() - 1] = static_cast<uint8_t>(fix);
}

class PcapngTsharkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(FindTshark().empty())
        << "tshark not found (looked for /usr/bin/tshark and on PATH). "
           "Run ./rtcsim setup to install it (Debian package tshark).";
  }

  // Writes a mixed capture and returns its path.
  std::string WriteCapture() {
    PcapngWriter w;
    const int ifc[] = {w.AddInterface("alice/eth0"), w.AddInterface("link alice-bob"),
                       w.AddInterface("bob/eth0")};
    const SocketAddress v4[] = {*SocketAddress::Parse("10.0.0.1:50000"),
                                *SocketAddress::Parse("192.0.2.77:50002")};
    const SocketAddress v6[] = {*SocketAddress::Parse("[2001:db8::1]:50004"),
                                *SocketAddress::Parse("[2001:db8:ffff::abcd]:50006")};
    const size_t sizes[] = {0, 1, 2, 3, 4, 5, 37, 100, 160, 512, 999, 1200, 1399, 1400};
    int64_t t_ns = 0;
    int seed = 0;
    auto write = [&](const SocketAddress& src, const SocketAddress& dst,
                     std::vector<uint8_t> payload, const std::string& comment) {
      const int i = static_cast<int>(sent_.size());
      const Sent s{ifc[i % 3], Timestamp::Nanos(t_ns), src, dst, payload.size(), comment};
      ASSERT_TRUE(w.WriteUdp(s.interface_id, s.t, src, dst, 64, static_cast<uint16_t>(i * 7919),
                             payload, comment)
                      .ok());
      sent_.push_back(s);
      t_ns += 1234567 + i;
    };
    for (size_t size : sizes) {
      write(v4[0], v4[1], Payload(size, ++seed), "");
      write(v6[1], v6[0], Payload(size, ++seed), size == 1400 ? "dropped: queue full" : "");
      write(v4[1], v4[0], Payload(size, ++seed), size == 3 ? "dropped: loss" : "");
      write(v6[0], v6[1], Payload(size, ++seed), "");
    }
    // Checksums that compute to 0 (sent as 0xFFFF).
    for (const auto& [src, dst] : {std::pair(v4[0], v4[1]), std::pair(v6[0], v6[1])}) {
      std::vector<uint8_t> payload = Payload(20, ++seed);
      MakeChecksumZero(src, dst, payload);
      write(src, dst, payload, "checksum computes to zero");
    }
    // The largest datagrams (snaplen 0 = unlimited).
    write(v4[0], v4[1], Payload(PcapngWriter::kMaxUdpPayloadV4, ++seed), "");
    write(v6[0], v6[1], Payload(PcapngWriter::kMaxUdpPayloadV6, ++seed), "");

    const std::string path = TmpDir() + "/mixed.pcapng";
    EXPECT_TRUE(w.WriteToFile(path).ok());
    bytes_ = w.bytes();
    return path;
  }

  std::vector<Sent> sent_;
  std::vector<uint8_t> bytes_;
};

TEST_F(PcapngTsharkTest, EveryFrameDecodesWithGoodChecksums) {
  const std::string path = WriteCapture();
  const RunResult r =
      RunTshark(absl::StrCat("-r '", path, "' ", kCheckOptions,
                             " -T fields -E separator=/t -E occurrence=a -E aggregator=,"
                             " -e frame.number -e frame.interface_id -e frame.time_epoch"
                             " -e ip.src -e ipv6.src -e udp.srcport -e udp.length"
                             " -e udp.checksum.status -e ip.checksum.status -e frame.comment"
                             " -e _ws.expert.severity -e _ws.malformed -e udp.checksum"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), sent_.size()) << r.out << r.err;
  int zero_checksums = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("frame ", i + 1, ": ", lines[i]));
    const std::vector<std::string> f = absl::StrSplit(lines[i], '\t');
    ASSERT_EQ(f.size(), 13u);
    const Sent& s = sent_[i];
    const bool is_v4 = s.src.ip().is_v4();
    EXPECT_EQ(f[0], absl::StrCat(i + 1));
    EXPECT_EQ(f[1], absl::StrCat(s.interface_id));
    const int64_t epoch_ns = s.t.ns() + PcapngWriter::kEpochOffsetNs;
    EXPECT_EQ(f[2], absl::StrFormat("%d.%09d", epoch_ns / 1000000000, epoch_ns % 1000000000));
    EXPECT_EQ(f[3], is_v4 ? s.src.ip().ToString() : "");
    EXPECT_EQ(f[4], is_v4 ? "" : s.src.ip().ToString());
    EXPECT_EQ(f[5], absl::StrCat(s.src.port()));
    EXPECT_EQ(f[6], absl::StrCat(8 + s.payload_size));
    EXPECT_EQ(f[7], "1") << "udp.checksum.status must be 1 (Good)";
    EXPECT_EQ(f[8], is_v4 ? "1" : "") << "ip.checksum.status must be 1 (Good)";
    EXPECT_EQ(f[9], s.comment);
    // The only expert item allowed is the one a packet comment produces.
    EXPECT_EQ(f[10], s.comment.empty() ? "" : absl::StrCat(kPiComment));
    EXPECT_EQ(f[11], "") << "malformed";
    if (f[12] == "0xffff") ++zero_checksums;
  }
  EXPECT_EQ(zero_checksums, 2);
}

TEST_F(PcapngTsharkTest, ExpertInfoHasOnlyTheComments) {
  const std::string path = WriteCapture();
  const RunResult r = RunTshark(absl::StrCat("-r '", path, "' ", kCheckOptions, " -z expert -q"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int comments = 0;
  for (const Sent& s : sent_) comments += s.comment.empty() ? 0 : 1;
  EXPECT_TRUE(absl::StrContains(r.out, absl::StrCat("Comments (", comments, ")"))) << r.out;
  for (const char* severity : {"Errors (", "Warns (", "Notes (", "Chats ("}) {
    EXPECT_FALSE(absl::StrContains(r.out, severity)) << r.out;
  }
  EXPECT_FALSE(absl::StrContains(r.out, "Malformed")) << r.out;
}

TEST_F(PcapngTsharkTest, VerboseDissectionIsClean) {
  const std::string path = WriteCapture();
  const RunResult r = RunTshark(absl::StrCat("-r '", path, "' ", kCheckOptions, " -V"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto count = [&r](const std::string& needle) {
    int n = 0;
    for (size_t pos = r.out.find(needle); pos != std::string::npos;
         pos = r.out.find(needle, pos + 1)) {
      ++n;
    }
    return n;
  };
  int v4 = 0;
  for (const Sent& s : sent_) v4 += s.src.ip().is_v4() ? 1 : 0;
  const int total = static_cast<int>(sent_.size());
  EXPECT_EQ(count("\nFrame "),
            total - 1);  // The first has no newline before it.
  EXPECT_EQ(count("[Checksum Status: Good]"), total);
  EXPECT_EQ(count("[Header checksum status: Good]"), v4);
  EXPECT_EQ(count("Internet Protocol Version 4,"), v4);
  EXPECT_EQ(count("Internet Protocol Version 6,"), total - v4);
  EXPECT_EQ(count("Encapsulation type: Raw IP"), total);
  EXPECT_EQ(count("Malformed"), 0);
  EXPECT_EQ(count("[Expert Info (Warning"), 0);
  EXPECT_EQ(count("[Expert Info (Error"), 0);
  EXPECT_EQ(count("[Expert Info (Note"), 0);
}

// A negative control: tshark does flag a corrupted checksum, so the checks
// above are not vacuous.
TEST_F(PcapngTsharkTest, CorruptedChecksumIsReportedBad) {
  WriteCapture();
  std::vector<uint8_t> bad = bytes_;
  // The first EPB's packet starts after the SHB (44 bytes), three IDBs and
  // the EPB's 28-byte header; it is IPv4 + UDP, UDP checksum at offset 26.
  size_t pos = 0;
  for (int block = 0; block < 4; ++block) {
    pos += bad[pos + 4] | bad[pos + 5] << 8 | bad[pos + 6] << 16;
  }
  ASSERT_EQ(bad[pos], 6);  // EPB.
  ASSERT_EQ(bad[pos + 28], 0x45);
  bad[pos + 28 + 26] ^= 0x01;
  const std::string path = TmpDir() + "/corrupted.pcapng";
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bad.data()), bad.size());
  }
  const RunResult r = RunTshark(absl::StrCat("-r '", path, "' ", kCheckOptions,
                                             " -c 1 -T fields -e udp.checksum.status"
                                             " -e ip.checksum.status"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "0\t1\n");
}

}  // namespace
}  // namespace rtcsim::simnet
