// Certificate generation on simnet Envs; the binary links the libc time
// interposer, so validity comes from virtual time.
#include "stack/dtls/dtls_certificate.h"

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simnet/network.h"
#include "stack/dtls/openssl_scope.h"

namespace rtcsim::dtls {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string AsString(const ASN1_TIME* t) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(t)),
                     ASN1_STRING_length(t));
}

simnet::Host* AddHost(simnet::Network& net) {
  return *net.AddHost("peer", {IpAddress::V4(10, 0, 0, 1)});
}

TEST(DtlsCertificateTest, EcdsaP256SelfSignedWithVirtualValidity) {
  simnet::Network net(1);
  simnet::Host* host = AddHost(net);
  net.RunFor(TimeDelta::Seconds(3600));
  auto cert = DtlsCertificate::Generate(host->env());
  ASSERT_TRUE(cert.ok()) << cert.status();
  X509* x = (*cert)->x509();
  EXPECT_EQ(X509_get_version(x), X509_VERSION_3);
  // Virtual now = 2026-01-01T01:00:00Z; valid from a day before, 30 days.
  EXPECT_EQ(AsString(X509_get0_notBefore(x)), "251231010000Z");
  EXPECT_EQ(AsString(X509_get0_notAfter(x)), "260130010000Z");
  char cn[64];
  X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn));
  EXPECT_STREQ(cn, "rtcsim");
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
  EVP_PKEY* pub = X509_get0_pubkey(x);
  EXPECT_EQ(EVP_PKEY_get_base_id(pub), EVP_PKEY_EC);
  char group[32];
  size_t len = 0;
  ASSERT_EQ(EVP_PKEY_get_group_name(pub, group, sizeof(group), &len), 1);
  EXPECT_STREQ(group, "prime256v1");
  EXPECT_EQ(X509_verify(x, pub), 1);  // self-signed, ECDSA-with-SHA256
  EXPECT_EQ(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);

  const Fingerprint& fp = (*cert)->fingerprint();
  EXPECT_EQ(fp.algorithm, "sha-256");
  EXPECT_EQ(fp, *Fingerprint::OfCertificate("sha-256", (*cert)->der()));
  EXPECT_EQ(*Fingerprint::Parse(fp.ToString()), fp);
  EXPECT_THAT((*cert)->CertificatePem(), StartsWith("-----BEGIN CERTIFICATE-----"));
}

TEST(DtlsCertificateTest, SameSeedSameCertificateOtherSeedOther) {
  auto generate = [](uint64_t seed) {
    simnet::Network net(seed);
    simnet::Host* host = AddHost(net);
    auto cert = DtlsCertificate::Generate(host->env());
    EXPECT_TRUE(cert.ok());
    return (*cert)->der();
  };
  const auto a = generate(42);
  EXPECT_EQ(a, generate(42));
  EXPECT_NE(a, generate(43));
}

TEST(DtlsCertificateTest, StreamsByNameAreIndependent) {
  simnet::Network net(5);
  simnet::Host* host = AddHost(net);
  auto a = DtlsCertificate::Generate(host->env(), "a");
  auto b = DtlsCertificate::Generate(host->env(), "b");
  auto a2 = DtlsCertificate::Generate(host->env(), "a");
  EXPECT_NE((*a)->der(), (*b)->der());
  EXPECT_EQ((*a)->der(), (*a2)->der());
}

TEST(DtlsCertificateTest, OutsideAScopeOpenSslStaysRandom) {
  // Installing the scoped RAND method must not make unscoped callers
  // deterministic (real runs, other code in the process).
  InstallScopedRandMethod();
  EVP_PKEY* k1 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  EVP_PKEY* k2 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  ASSERT_NE(k1, nullptr);
  ASSERT_NE(k2, nullptr);
  EXPECT_NE(EVP_PKEY_eq(k1, k2), 1);
  EVP_PKEY_free(k1);
  EVP_PKEY_free(k2);
}

TEST(DtlsCertificateTest, ScopedRandomnessCoversKeygenAndSigning) {
  // The same stream gives the same key and the same ECDSA signature, which
  // needs a random nonce: both go through the scoped RAND method.
  auto run = [] {
    Random random(7);
    OpenSslScope scope(Timestamp::Zero(), random);
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    unsigned char sig[128];
    size_t sig_len = sizeof(sig);
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, key);
    EVP_DigestSign(md, sig, &sig_len, reinterpret_cast<const unsigned char*>("abc"), 3);
    EVP_MD_CTX_free(md);
    unsigned char* der = nullptr;
    int der_len = i2d_PrivateKey(key, &der);
    std::string out(reinterpret_cast<char*>(der), der_len);
    out.append(reinterpret_cast<char*>(sig), sig_len);
    OPENSSL_free(der);
    EVP_PKEY_free(key);
    return out;
  };
  const uint64_t before = OpenSslScope::bytes_served();
  EXPECT_EQ(run(), run());
  EXPECT_GT(OpenSslScope::bytes_served(), before);
}

TEST(DtlsCertificateTest, LoadsPem) {
  simnet::Network net(9);
  simnet::Host* host = AddHost(net);
  auto cert = DtlsCertificate::Generate(host->env());
  ASSERT_TRUE(cert.ok());
  EXPECT_THAT(std::string(DtlsCertificate::FromPem("junk", "junk").status().message()),
              HasSubstr("certificate PEM could not be parsed"));
  EXPECT_THAT(
      std::string(DtlsCertificate::FromPem((*cert)->CertificatePem(), "junk").status().message()),
      HasSubstr("private key PEM could not be parsed"));
}

}  // namespace
}  // namespace rtcsim::dtls
