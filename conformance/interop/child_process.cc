#include "conformance/interop/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace rtcsim::interop {
namespace {

absl::Status Errno(absl::string_view what, int error = errno) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(error)));
}

void CloseIfOpen(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(
    std::vector<std::string> argv, const ChildProcessOptions& options) {
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");
  std::string command = absl::StrJoin(argv, " ");
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);

  // Everything that can fail is done before fork; the child only makes
  // async-signal-safe calls. Every descriptor here is O_CLOEXEC, so none
  // leaks into the program beyond the dup2'd 0, 1 and 2. exec_status
  // carries the child's errno if exec fails, and reads EOF if it succeeds.
  int out = -1, err = -1, in[2] = {-1, -1}, exec_status[2] = {-1, -1};
  auto close_all = [&] {
    CloseIfOpen(out);
    CloseIfOpen(err);
    CloseIfOpen(in[0]);
    CloseIfOpen(in[1]);
    CloseIfOpen(exec_status[0]);
    CloseIfOpen(exec_status[1]);
  };
  constexpr int kFileFlags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
  if (!options.stdout_file.empty()) {
    out = open(options.stdout_file.c_str(), kFileFlags, 0644);
    if (out < 0) return Errno(absl::StrCat("open ", options.stdout_file));
  }
  const bool shared_output =
      !options.stderr_file.empty() && options.stderr_file == options.stdout_file;
  if (!options.stderr_file.empty() && !shared_output) {
    err = open(options.stderr_file.c_str(), kFileFlags, 0644);
    if (err < 0) {
      absl::Status status = Errno(absl::StrCat("open ", options.stderr_file));
      close_all();
      return status;
    }
  }
  if ((options.stdin_pipe && pipe2(in, O_CLOEXEC) != 0) || pipe2(exec_status, O_CLOEXEC) != 0) {
    absl::Status status = Errno("pipe2");
    close_all();
    return status;
  }

  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    absl::Status status = Errno("fork");
    close_all();
    return status;
  }
  if (pid == 0) {
    if (options.kill_with_parent) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(126);  // the parent died before prctl
    }
    if (in[0] >= 0) dup2(in[0], STDIN_FILENO);
    if (out >= 0) dup2(out, STDOUT_FILENO);
    if (err >= 0 || shared_output) dup2(shared_output ? out : err, STDERR_FILENO);
    if (options.search_path) {
      execvp(args[0], args.data());
    } else {
      execv(args[0], args.data());
    }
    const int error = errno;
    (void)!write(exec_status[1], &error, sizeof(error));
    _exit(127);
  }

  const int stdin_fd = in[1];
  in[1] = -1;
  CloseIfOpen(exec_status[1]);
  int error = 0;
  ssize_t n;
  do {
    n = read(exec_status[0], &error, sizeof(error));
  } while (n < 0 && errno == EINTR);
  close_all();
  auto child = std::unique_ptr<ChildProcess>(new ChildProcess(pid, stdin_fd, std::move(command)));
  if (n > 0) {
    child->Stop(TimeDelta::Zero());
    return Errno(absl::StrCat("exec ", child->command()), error);
  }
  return child;
}

ChildProcess::~ChildProcess() { Stop(); }

absl::Status ChildProcess::WriteStdin(absl::string_view text) {
  if (stdin_ < 0) return absl::FailedPreconditionError("no stdin pipe (or it was closed)");
  while (!text.empty()) {
    ssize_t n = write(stdin_, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("write to child stdin");
    text.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

void ChildProcess::CloseStdin() { CloseIfOpen(stdin_); }

void ChildProcess::Reaped(int status) {
  exit_description_ = WIFEXITED(status)     ? absl::StrCat("exited with ", WEXITSTATUS(status))
                      : WIFSIGNALED(status) ? absl::StrCat("killed by signal ", WTERMSIG(status))
                                            : "ended";
  pid_ = -1;
}

bool ChildProcess::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == 0) return true;
  Reaped(status);
  return false;
}

void ChildProcess::Stop(TimeDelta grace) {
  CloseStdin();
  if (pid_ <= 0) return;
  if (grace > TimeDelta::Zero()) {
    kill(pid_, SIGTERM);
    constexpr TimeDelta kPoll = TimeDelta::Millis(50);
    for (TimeDelta waited = TimeDelta::Zero(); waited < grace; waited = waited + kPoll) {
      if (!Running()) return;
      usleep(static_cast<useconds_t>(kPoll.us()));
    }
    if (!Running()) return;
  }
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  Reaped(status);
}

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool PollUntil(RealEnv& env, const std::function<bool()>& done, TimeDelta timeout) {
  bool stop = false;
  std::function<void()> tick = [&] {
    if (!stop) env.PostDelayedTask(TimeDelta::Millis(10), tick);
  };
  tick();
  bool result = env.RunUntil(done, timeout);
  stop = true;
  env.RunFor(TimeDelta::Millis(20));  // let the last tick run out
  return result;
}

}  // namespace rtcsim::interop
