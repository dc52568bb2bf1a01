#include "simnet/testing/fresh_process.h"

#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace rtcsim::simnet {

absl::StatusOr<std::string> RunInFreshProcess(const std::function<std::string()>& run) {
  int fds[2];
  if (pipe(fds) != 0) return absl::InternalError("pipe failed");
  const pid_t child = fork();
  if (child < 0) {
    close(fds[0]);
    close(fds[1]);
    return absl::InternalError("fork failed");
  }
  if (child == 0) {
    close(fds[0]);
    const std::string result = run();
    size_t done = 0;
    while (done < result.size()) {
      const ssize_t n = write(fds[1], result.data() + done, result.size() - done);
      if (n <= 0) _exit(3);
      done += static_cast<size_t>(n);
    }
    // _exit: no atexit handlers or static destructors of the parent's state.
    _exit(0);
  }
  close(fds[1]);
  std::string result;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fds[0], buffer, sizeof(buffer))) > 0) result.append(buffer, n);
  close(fds[0]);
  int status = 0;
  if (waitpid(child, &status, 0) != child) return absl::InternalError("waitpid failed");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat("child failed (wait status ", status, ")"));
  }
  return result;
}

}  // namespace rtcsim::simnet
