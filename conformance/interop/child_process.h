// Child processes for the interop tests: the coturn, openssl and aiortc
// peers. One place for the fork/exec, pipe and redirection plumbing, so each
// test states only what it runs, and so every child is killed on every path:
// Stop() and the destructor always signal and reap it, and (by default)
// PR_SET_PDEATHSIG kills it if the test binary itself dies. Tests only; the
// OS access lives here, outside stack/ (../../shared/DESIGN.md §3).
#ifndef RTCSIM_CONFORMANCE_INTEROP_CHILD_PROCESS_H_
#define RTCSIM_CONFORMANCE_INTEROP_CHILD_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "stack/env/time.h"
#include "stack/realnet/real_env.h"

namespace rtcsim::interop {

struct ChildProcessOptions {
  // Look argv[0] up on PATH (execvp) rather than take it as a path (execv).
  bool search_path = false;
  // Give the child a stdin pipe that WriteStdin feeds and CloseStdin ends;
  // otherwise it inherits ours.
  bool stdin_pipe = false;
  // Files (created or truncated) for stdout and stderr; empty inherits
  // ours. The same path for both shares one file, in write order.
  std::string stdout_file;
  std::string stderr_file;
  // SIGKILL the child when the test process dies (PR_SET_PDEATHSIG).
  bool kill_with_parent = true;
};

class ChildProcess {
 public:
  // Forks and execs argv (argv[0] the program). Fails if the files cannot
  // be opened, fork fails or the exec itself fails.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(std::vector<std::string> argv,
                                                             const ChildProcessOptions& options);

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // Stop()s with the default grace.
  ~ChildProcess();

  // Writes all of `text` to the stdin pipe.
  absl::Status WriteStdin(absl::string_view text);
  // Closes the stdin pipe (the child sees EOF). Idempotent.
  void CloseStdin();

  // Whether the child still runs; once it has ended, reaps it and records
  // how (exit_description()).
  bool Running();

  // Closes stdin, sends SIGTERM, waits up to `grace` for the child to
  // exit, then SIGKILLs it (at once if `grace` is zero). Always reaps.
  // Idempotent.
  void Stop(TimeDelta grace = TimeDelta::Seconds(5));

  // The command line, space-separated, for diagnostics.
  const std::string& command() const { return command_; }
  // "exited with N", "killed by signal N", or "" while running.
  const std::string& exit_description() const { return exit_description_; }

 private:
  ChildProcess(pid_t pid, int stdin_fd, std::string command)
      : pid_(pid), stdin_(stdin_fd), command_(std::move(command)) {}
  void Reaped(int status);

  pid_t pid_;
  int stdin_;
  std::string command_;
  std::string exit_description_;
};

// $TEST_TMPDIR, else /tmp.
std::string TempDir();

// The whole file, or "" if it cannot be read.
std::string ReadFile(const std::string& path);

// RealEnv::RunUntil re-checks `done` only after tasks and datagrams; a
// child's output file changes without either, so this polls with a task
// ticking every 10 ms. True if `done` held within `timeout`.
bool PollUntil(RealEnv& env, const std::function<bool()>& done, TimeDelta timeout);

}  // namespace rtcsim::interop

#endif  // RTCSIM_CONFORMANCE_INTEROP_CHILD_PROCESS_H_
