#include "support/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace micronet {

ProcessResult run_process(const std::vector<std::string>& argv, int timeout_s,
                          const std::string& log_path) {
  ProcessResult r;
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  // fork + exec rather than posix_spawn: the child must ask for SIGKILL when its parent dies
  // (PR_SET_PDEATHSIG), which posix_spawn cannot. Without it a `kill -9` of compile or a
  // SIGINT of tune left generators running (and their temporary folders) for good.
  // Between fork and exec the child calls only async-signal-safe functions; an exec failure
  // comes back through a close-on-exec pipe as errno, as posix_spawn reported it.
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    r.start_error = "cannot start " + argv[0] + ": " + std::strerror(errno);
    return r;
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(err_pipe[0]);
    // Its own process group, so a timeout kills the generator and anything it started.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int e = 0;
    if (::getppid() != parent) ::_exit(127);  // the parent died before the prctl
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || ::dup2(fd, 1) < 0 || ::dup2(fd, 2) < 0) {
      e = errno;
    } else {
      ::execvp(args[0], args.data());
      e = errno;
    }
    while (::write(err_pipe[1], &e, sizeof e) < 0 && errno == EINTR) {
    }
    ::_exit(127);
  }
  ::close(err_pipe[1]);
  if (pid < 0) {
    ::close(err_pipe[0]);
    r.start_error = "cannot start " + argv[0] + ": " + std::strerror(errno);
    return r;
  }
  int child_errno = 0;
  ssize_t got;
  while ((got = ::read(err_pipe[0], &child_errno, sizeof child_errno)) < 0 && errno == EINTR) {
  }
  ::close(err_pipe[0]);
  if (got == ssize_t(sizeof child_errno)) {
    int ignored = 0;
    ::waitpid(pid, &ignored, 0);
    r.start_error = "cannot start " + argv[0] + ": " + std::strerror(child_errno);
    return r;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  int status = 0;
  for (;;) {
    const pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      r.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!r.timed_out && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  std::ifstream log(log_path, std::ios::binary);
  std::stringstream text;
  text << log.rdbuf();
  r.output = text.str();
  if (r.output.size() > 16384) r.output = "..." + r.output.substr(r.output.size() - 16384);
  return r;
}

}  // namespace micronet
