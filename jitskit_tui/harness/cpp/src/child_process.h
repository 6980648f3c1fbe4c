// Starting and ending the store's processes from the durability supervisor.
// The supervisor is a child subreaper, so every process the store starts,
// however often it forks or detaches, stays its descendant and can be ended.
#ifndef JITSKIT_HARNESS_CHILD_PROCESS_H_
#define JITSKIT_HARNESS_CHILD_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace jitskit::harness {

struct ChildPlan {
  std::vector<std::string> argv;  // argv[0] is the program's path
  // (descriptor in the child, descriptor in the supervisor). The child gets
  // 0, 1 and 2 as the supervisor has them, these, and nothing else.
  std::vector<std::pair<int, int>> fds;
};

// Forks and execs `plan` in a new process group with SIGPIPE at its default.
// Returns the child's pid once exec succeeded, or -1 with `error` set.
pid_t StartChild(const ChildPlan& plan, std::string* error);

// Pids whose parent is `parent`, from /proc (zombies included).
std::vector<pid_t> ChildrenOf(pid_t parent);

// SIGKILLs and reaps every child of this process except `spare` (0: none),
// until no other child is left or `timeout_s` passed; true when none is left.
bool EndChildren(double timeout_s, pid_t spare = 0);

// "exited with status 3", "was killed by SIGSEGV".
std::string DescribeExit(int wait_status);

// Seconds on the monotonic clock.
double MonotonicSeconds();

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_CHILD_PROCESS_H_
