#include "scenarios/runner/capture_file.h"

#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/text_format.h"
#include "scenarios/runner/scenario_loader.h"

namespace rtcsim::scenarios {
namespace {

namespace pb = google::protobuf;

std::string ComputeBinaryVersion() {
  std::ifstream in("/proc/self/exe", std::ios::binary);
  if (!in) return "unknown";
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx);
    return "unknown";
  }
  std::vector<char> buffer(1 << 16);
  bool ok = true;
  while (ok && in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const std::streamsize n = in.gcount();
    if (n > 0) ok = EVP_DigestUpdate(ctx, buffer.data(), static_cast<size_t>(n)) == 1;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  ok = ok && EVP_DigestFinal_ex(ctx, digest, &length) == 1 && length >= 8;
  EVP_MD_CTX_free(ctx);
  if (!ok) return "unknown";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

}  // namespace

std::string CommentLines(absl::string_view text) {
  if (text.empty()) return "";
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    absl::StrAppend(&out, line.empty() ? "#" : absl::StrCat("# ", line), "\n");
  }
  return out;
}

std::string CaptureToText(const scenario::ReplayCapture& capture, absl::string_view header) {
  std::string body;
  pb::TextFormat::PrintToString(capture, &body);
  return absl::StrCat(CommentLines(header), body);
}

absl::StatusOr<scenario::ReplayCapture> ParseCaptureText(absl::string_view text,
                                                         absl::string_view file) {
  scenario::ReplayCapture capture;
  if (absl::Status st = ParseTextProto(text, file, &capture); !st.ok()) return st;
  if (!capture.has_scenario()) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": not a replay capture (no `scenario { ... }` in it)"));
  }
  return capture;
}

absl::StatusOr<scenario::ReplayCapture> ReadCaptureFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read the file"));
  std::stringstream text;
  text << in.rdbuf();
  return ParseCaptureText(text.str(), path);
}

absl::Status WriteTextFile(const std::string& path, absl::string_view contents) {
  const std::filesystem::path p(path);
  std::error_code ec;
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat(p.parent_path().string(), ": cannot create the directory: ", ec.message()));
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat(path, ": cannot write the file"));
  return absl::OkStatus();
}

const std::string& BinaryVersion() {
  static const std::string* const version = new std::string(ComputeBinaryVersion());
  return *version;
}

}  // namespace rtcsim::scenarios
