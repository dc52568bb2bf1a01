// Replay captures (scenario.proto's ReplayCapture) on disk: a failing run,
// self-contained (the scenario embedded, the seed, the duration override,
// the binary that saw it, its trace hash and failures), in protobuf text
// format. `rtcsim_scenario sweep` writes them, `replay` and `shrink` read
// them.
#ifndef RTCSIM_SCENARIOS_RUNNER_CAPTURE_FILE_H_
#define RTCSIM_SCENARIOS_RUNNER_CAPTURE_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "scenarios/scenario.pb.h"

namespace rtcsim::scenarios {

// Text format, after a comment header (`# ...` lines; may be empty).
std::string CaptureToText(const scenario::ReplayCapture& capture, absl::string_view header = "");

// `file` is only used in messages: "FILE:LINE:COL: message" for syntax
// errors; an error too when the capture has no scenario in it.
absl::StatusOr<scenario::ReplayCapture> ParseCaptureText(absl::string_view text,
                                                         absl::string_view file);
absl::StatusOr<scenario::ReplayCapture> ReadCaptureFile(const std::string& path);

// Writes `contents` to `path`, creating the missing parent directories.
absl::Status WriteTextFile(const std::string& path, absl::string_view contents);

// `text` as `# ` comment lines (each line of it prefixed).
std::string CommentLines(absl::string_view text);

// This binary: the first 16 hex digits of the SHA-256 of /proc/self/exe,
// computed once ("unknown" if it cannot be read).
const std::string& BinaryVersion();

}  // namespace rtcsim::scenarios

#endif  // RTCSIM_SCENARIOS_RUNNER_CAPTURE_FILE_H_
