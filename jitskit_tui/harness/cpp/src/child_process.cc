#include "child_process.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace jitskit::harness {
namespace {

// Closes descriptors from `first` to `last` inclusive; async-signal-safe.
void CloseRange(int first, int last) {
  if (first > last) return;
  if (close_range(static_cast<unsigned>(first), static_cast<unsigned>(last), 0) == 0) {
    return;
  }
  long limit = sysconf(_SC_OPEN_MAX);
  int end = last < limit ? last : static_cast<int>(limit);
  for (int fd = first; fd <= end; ++fd) close(fd);
}

// In the forked child: only async-signal-safe calls until exec.
[[noreturn]] void BecomeChild(const std::vector<char*>& argv,
                              const std::vector<std::pair<int, int>>& fds,
                              std::vector<int>& moved, int status_fd) {
  setpgid(0, 0);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGPIPE, &dfl, nullptr);
  int top = 2;
  int base = status_fd;
  for (const auto& [target, source] : fds) {
    top = std::max(top, target);
    base = std::max(base, std::max(target, source));
  }
  // Out of the way first, so no target overwrites a source still needed.
  for (size_t i = 0; i < fds.size(); ++i) {
    moved[i] = fcntl(fds[i].second, F_DUPFD, base + 1);
  }
  int status = fcntl(status_fd, F_DUPFD_CLOEXEC, base + 1);
  for (size_t i = 0; i < fds.size(); ++i) {
    if (moved[i] < 0 || dup2(moved[i], fds[i].first) < 0) _exit(127);
  }
  int kept = fcntl(status, F_DUPFD_CLOEXEC, top + 1);
  CloseRange(top + 1, kept - 1);
  CloseRange(kept + 1, 1 << 20);
  execv(argv[0], argv.data());
  int error = errno;
  ssize_t ignored = write(kept, &error, sizeof(error));
  (void)ignored;
  _exit(127);
}

}  // namespace

double MonotonicSeconds() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

pid_t StartChild(const ChildPlan& plan, std::string* error) {
  std::vector<char*> argv;
  for (const std::string& arg : plan.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<int> moved(plan.fds.size(), -1);  // no allocation after fork
  int status_pipe[2];
  if (pipe2(status_pipe, O_CLOEXEC) != 0) {
    *error = std::string("pipe2 failed: ") + strerror(errno);
    return -1;
  }
  pid_t pid = fork();
  if (pid == 0) BecomeChild(argv, plan.fds, moved, status_pipe[1]);
  close(status_pipe[1]);
  if (pid < 0) {
    *error = std::string("fork failed: ") + strerror(errno);
    close(status_pipe[0]);
    return -1;
  }
  setpgid(pid, pid);  // also here, so a kill never races the child's own call
  int exec_error = 0;
  ssize_t got;
  do {
    got = read(status_pipe[0], &exec_error, sizeof(exec_error));
  } while (got < 0 && errno == EINTR);
  close(status_pipe[0]);
  if (got > 0) {
    int ignored;
    waitpid(pid, &ignored, 0);
    *error = "cannot run " + plan.argv[0] + ": " + strerror(exec_error);
    return -1;
  }
  return pid;
}

std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> children;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return children;
  while (dirent* entry = readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    std::ifstream stat("/proc/" + std::string(entry->d_name) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)),
                     std::istreambuf_iterator<char>());
    // The command name may hold spaces and parentheses: fields follow the last ')'.
    size_t close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(text.substr(close + 1));
    std::string state;
    long ppid = 0;
    if (fields >> state >> ppid && ppid == parent) {
      children.push_back(static_cast<pid_t>(pid));
    }
  }
  closedir(proc);
  return children;
}

bool EndChildren(double timeout_s, pid_t spare) {
  double deadline = MonotonicSeconds() + timeout_s;
  while (true) {
    std::vector<pid_t> children = ChildrenOf(getpid());
    bool others = false;
    for (pid_t child : children) {
      if (child == spare) continue;
      others = true;
      kill(child, SIGKILL);
    }
    for (pid_t child : children) {
      if (child != spare) waitpid(child, nullptr, WNOHANG);
    }
    if (!others) return true;
    if (MonotonicSeconds() > deadline) return false;
    usleep(2000);
  }
}

std::string DescribeExit(int wait_status) {
  if (WIFEXITED(wait_status)) {
    return "exited with status " + std::to_string(WEXITSTATUS(wait_status));
  }
  if (WIFSIGNALED(wait_status)) {
    int signal = WTERMSIG(wait_status);
    const char* name = sigabbrev_np(signal);
    std::string text = name != nullptr ? std::string("SIG") + name
                                       : "signal " + std::to_string(signal);
    return "was killed by " + text;
  }
  return "stopped";
}

}  // namespace jitskit::harness
