#include "stack/dtls/fingerprint.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rtcsim::dtls {
namespace {

using ::testing::HasSubstr;

constexpr char kSha256[] =
    "sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:"
    "19:E5:7C:AB:3B:26:6A:1D:B5:18:23:97:3A:68:FA:3A";

TEST(FingerprintTest, ParsesAndFormats) {
  auto fp = Fingerprint::Parse(kSha256);
  ASSERT_TRUE(fp.ok()) << fp.status();
  EXPECT_EQ(fp->algorithm, "sha-256");
  ASSERT_EQ(fp->digest.size(), 32u);
  EXPECT_EQ(fp->digest[0], 0x4A);
  EXPECT_EQ(fp->digest[31], 0x3A);
  EXPECT_EQ(fp->ToString(), kSha256);
  EXPECT_EQ(fp->HexDigest(), std::string(kSha256).substr(8));
}

TEST(FingerprintTest, AcceptsUpperCaseHashAndLowerCaseHex) {
  // RFC 8122 §5 writes "SHA-256"; browsers differ in hex case.
  auto fp = Fingerprint::Parse(
      "SHA-256 4a:ad:b9:b1:3f:82:18:3b:54:02:12:df:3e:5d:49:6b:"
      "19:e5:7c:ab:3b:26:6a:1d:b5:18:23:97:3a:68:fa:3a");
  ASSERT_TRUE(fp.ok());
  EXPECT_EQ(fp->ToString(), kSha256);
  auto sha1 =
      Fingerprint::Parse("sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33");
  ASSERT_TRUE(sha1.ok());
  EXPECT_EQ(sha1->digest.size(), 20u);
}

TEST(FingerprintTest, ClearErrors) {
  EXPECT_THAT(std::string(Fingerprint::Parse("sha-256").status().message()),
              HasSubstr("expected \"<hash-func> <AB:CD:...>\""));
  EXPECT_EQ(Fingerprint::Parse("sha-3 AA:BB").status().message(),
            "fingerprint: unknown hash function \"sha-3\" (expected sha-1, sha-224, sha-256, "
            "sha-384 or sha-512)");
  EXPECT_THAT(std::string(Fingerprint::Parse("md5 AA:BB").status().message()),
              HasSubstr("must not be used"));
  EXPECT_EQ(Fingerprint::Parse("sha-256 AA:BG:CC").status().message(),
            "fingerprint: byte 2 \"BG\" is not two hex digits");
  EXPECT_EQ(Fingerprint::Parse("sha-256 AA:BB:CC").status().message(),
            "fingerprint: sha-256 needs 32 bytes, got 3");
  EXPECT_EQ(Fingerprint::Parse("sha-256 AABB").status().message(),
            "fingerprint: byte 1 \"AABB\" is not two hex digits");
  EXPECT_EQ(Fingerprint::Parse("sha-256 ").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FingerprintTest, HashesDer) {
  // SHA-256("abc"), FIPS 180-2 B.1.
  std::vector<uint8_t> abc = {'a', 'b', 'c'};
  auto fp = Fingerprint::OfCertificate("sha-256", abc);
  ASSERT_TRUE(fp.ok());
  EXPECT_EQ(fp->HexDigest(),
            "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:"
            "61:F2:00:15:AD");
  EXPECT_EQ(Fingerprint::OfCertificate("sha-1", abc)->digest.size(), 20u);
  EXPECT_EQ(Fingerprint::OfCertificate("sha-512", abc)->digest.size(), 64u);
  EXPECT_EQ(Fingerprint::OfCertificate("md5", abc).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FingerprintDigestSize("sha-384"), 48u);
  EXPECT_EQ(FingerprintDigestSize("md5"), 0u);
}

}  // namespace
}  // namespace rtcsim::dtls
