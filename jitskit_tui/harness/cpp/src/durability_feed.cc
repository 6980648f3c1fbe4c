#include "durability_feed.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "child_process.h"
#include "durability_acks.h"
#include "durability_wire.h"
#include "jsonout.h"

namespace jitskit::harness {
namespace {

struct Pipe {
  int read = -1;
  int write = -1;
};

bool MakePipe(Pipe* pipe) {
  int ends[2];
  if (pipe2(ends, O_CLOEXEC) != 0) return false;
  pipe->read = ends[0];
  pipe->write = ends[1];
  return true;
}

void CloseFd(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

void SetNonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Reads what is there without blocking; false at EOF.
bool ReadAvailable(int fd, std::string* into) {
  char buffer[65536];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n > 0) {
      into->append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0;  // EAGAIN: open, nothing more now; 0: EOF
  }
}

class Feeder {
 public:
  Feeder(const Config& config, const DurabilityLayout& layout, const SealedValues& values,
         const FeedPlan& plan, ProgressTicker* progress)
      : config_(config),
        layout_(layout),
        values_(values),
        plan_(plan),
        progress_(progress),
        acks_(layout.threads),
        value_pipes_(layout.threads),
        outgoing_(layout.threads) {}

  FeedOutcome Run() {
    // From the writer's start: ticks with done 0 while Open has not returned.
    progress_->BeginPhase("durability-write", 0);
    if (!Start()) {
      progress_->EndPhase();
      return Outcome();
    }
    double started = MonotonicSeconds();
    bool ended_early = false;
    while (failure_.empty()) {
      for (uint32_t t = 0; t < layout_.threads; ++t) Send(t);
      Wait(0.02);
      Pump();
      double now = MonotonicSeconds();
      if (!failure_.empty()) break;
      if (waitpid(child_, &child_status_, WNOHANG) == child_) {
        child_reaped_ = true;
        ended_early = true;
        break;
      }
      if (!acks_.ready()) {
        if (now - started > plan_.open_timeout_s) {
          Fail("the store did not open within " + Seconds(plan_.open_timeout_s) +
               " (Open in the durability writer never returned)");
        }
        continue;
      }
      if (now - acks_.ready_at() >= plan_.kill_after_s && KillMomentReached(now)) break;
    }
    Stop();
    Drain();
    progress_->EndPhase();
    if (failure_.empty() && ended_early) Fail(EndedEarly());
    if (failure_.empty() && acks_.tally().acks == 0) {
      Fail("the writer acknowledged no writes before it was killed: Upsert never returned");
    }
    return Outcome();
  }

 private:
  FeedOutcome Outcome() const {
    FeedOutcome outcome(layout_.threads);
    outcome.failure = failure_;
    outcome.tally = acks_.tally();
    outcome.killed_after_s = killed_after_s_;
    return outcome;
  }

  static std::string Seconds(double s) {
    char text[32];
    std::snprintf(text, sizeof(text), "%.1f s", s);
    return text;
  }

  void Fail(const std::string& why) {
    if (failure_.empty()) failure_ = why;
  }

  bool Start() {
    if (!MakePipe(&report_)) return StartFailed("pipe2 failed");
    for (Pipe& pipe : value_pipes_) {
      if (!MakePipe(&pipe)) return StartFailed("pipe2 failed");
    }
    bool traced = !plan_.tracer.empty();
    if (traced && !MakePipe(&trace_)) return StartFailed("pipe2 failed");
    if (!MakePipe(&stderr_)) return StartFailed("pipe2 failed");
    struct stat identity {};
    fstat(report_.write, &identity);
    int first_value = 3 + 1;
    int trace_fd = first_value + static_cast<int>(layout_.threads);
    ChildPlan child;
    // What the writer prints is relayed, and its last words kept for the verdict.
    child.fds.emplace_back(1, stderr_.write);
    child.fds.emplace_back(2, stderr_.write);
    child.fds.emplace_back(3, report_.write);
    for (uint32_t t = 0; t < layout_.threads; ++t) {
      child.fds.emplace_back(first_value + static_cast<int>(t), value_pipes_[t].read);
    }
    std::vector<std::string> writer = {
        plan_.harness,   "durability-writer",
        "--config",      plan_.config_path,
        "--report-fd",   "3:" + std::to_string(identity.st_ino),
        "--value-fd",    std::to_string(first_value)};
    if (traced) {
      child.fds.emplace_back(trace_fd, trace_.write);
      writer.push_back("--markers");
      // The trampoline closes the trace pipe before the store's code exists.
      child.argv = {plan_.tracer, "-f", "-y", "-qq", "-o",
                    "/proc/self/fd/" + std::to_string(trace_fd),
                    "-e", "trace=" + plan_.trace_calls, "--",
                    plan_.self, "--exec-writer", std::to_string(trace_fd), "--"};
      child.argv.insert(child.argv.end(), writer.begin(), writer.end());
    } else {
      child.argv = writer;
    }
    std::string error;
    child_ = StartChild(child, &error);
    CloseFd(&report_.write);
    CloseFd(&trace_.write);
    CloseFd(&stderr_.write);
    for (Pipe& pipe : value_pipes_) {
      CloseFd(&pipe.read);
      SetNonblocking(pipe.write);
    }
    if (child_ < 0) return StartFailed(error);
    SetNonblocking(report_.read);
    SetNonblocking(stderr_.read);
    if (traced) SetNonblocking(trace_.read);
    return true;
  }

  bool StartFailed(const std::string& why) {
    Fail("the durability supervisor could not start the writer: " + why);
    return false;
  }

  // Encodes the thread's next value when its window has room, and writes as
  // much of the pending one as the pipe takes.
  void Send(uint32_t t) {
    Outgoing& next = outgoing_[t];
    int fd = value_pipes_[t].write;
    if (fd < 0) return;
    if (next.record.empty()) {
      if (acks_.tally().sent[t] - acks_.tally().acked[t] >= kWindow) return;
      uint64_t seq = acks_.tally().sent[t] + 1;
      wire::ValueHeader header{layout_.Key(t, layout_.SlotOf(seq)), seq};
      next.record.resize(sizeof(header) + config_.value_size);
      std::memcpy(next.record.data(), &header, sizeof(header));
      values_.Encode(next.record.data() + sizeof(header), header.key, seq);
      next.offset = 0;
    }
    while (next.offset < next.record.size()) {
      ssize_t n = write(fd, next.record.data() + next.offset, next.record.size() - next.offset);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      if (n <= 0) {
        // The writer's end is gone (it died, or the store closed it): nothing more to send.
        CloseFd(&value_pipes_[t].write);
        return;
      }
      next.offset += static_cast<size_t>(n);
    }
    ++acks_.tally().sent[t];
    next.record.clear();
  }

  void Wait(double seconds) {
    std::vector<pollfd> fds;
    if (report_.read >= 0) fds.push_back({report_.read, POLLIN, 0});
    if (stderr_.read >= 0) fds.push_back({stderr_.read, POLLIN, 0});
    if (trace_.read >= 0) fds.push_back({trace_.read, POLLIN, 0});
    for (uint32_t t = 0; t < layout_.threads; ++t) {
      if (value_pipes_[t].write >= 0 && !outgoing_[t].record.empty()) {
        fds.push_back({value_pipes_[t].write, POLLOUT, 0});
      }
    }
    poll(fds.data(), fds.size(), static_cast<int>(seconds * 1000));
  }

  // Reads both pipes without blocking and handles what arrived.
  void Pump() {
    if (report_.read >= 0 && !ReadAvailable(report_.read, &inbound_)) CloseFd(&report_.read);
    bool was_ready = acks_.ready();
    uint64_t acks_before = acks_.tally().acks;
    acks_.Take(&inbound_, MonotonicSeconds());
    // Counted here, as they reach the supervisor: nothing the store's
    // processes print can move this count.
    progress_->Add(0, acks_.tally().acks - acks_before);
    if (!was_ready && acks_.ready()) EmitPhase("run");
    Fail(acks_.failure());
    if (trace_.read >= 0) {
      if (!ReadAvailable(trace_.read, &trace_text_)) CloseFd(&trace_.read);
      EmitTrace(trace_.read < 0);
    }
    if (stderr_.read >= 0) {
      std::string text;
      if (!ReadAvailable(stderr_.read, &text)) CloseFd(&stderr_.read);
      (void)wire::WriteFully(STDERR_FILENO, text.data(), text.size());
      stderr_tail_ += text;
      if (stderr_tail_.size() > 4096) stderr_tail_.erase(0, stderr_tail_.size() - 4096);
    }
  }

  // Streams whole lines of the syscall trace to the engine.
  void EmitTrace(bool at_end) {
    size_t end = at_end ? trace_text_.size() : trace_text_.rfind('\n');
    if (end == std::string::npos || end == 0) return;
    if (!at_end) ++end;
    trace_bytes_ += end;
    if (trace_bytes_ > kMaxTraceBytes) {
      Fail("the syscall trace passed " + std::to_string(kMaxTraceBytes >> 20) +
           " MiB before the kill; the durability gate cannot check a store that makes "
           "that many system calls");
      trace_text_.clear();
      return;
    }
    JsonObject event;
    event.AddString("event", "trace").AddString("text", trace_text_.substr(0, end));
    EmitLine(event);
    trace_text_.erase(0, end);
  }

  // Whether to kill now: once every writer thread has acknowledged a write
  // within kLiveWindowS, so the kill lands mid-stream. A thread silent for
  // stall_limit_s fails the gate.
  bool KillMomentReached(double now) {
    uint32_t quietest = 0;
    for (uint32_t t = 1; t < layout_.threads; ++t) {
      if (acks_.last_ack(t) < acks_.last_ack(quietest)) quietest = t;
    }
    double quiet = now - acks_.last_ack(quietest);
    bool live = quiet <= kLiveWindowS;
    for (uint64_t acked : acks_.tally().acked) live = live && acked > 0;
    if (live) {
      killed_after_s_ = now - acks_.ready_at();
      return true;
    }
    if (quiet < plan_.stall_limit_s) return false;
    uint64_t acked = acks_.tally().acked[quietest];
    Fail("acknowledgements stopped: writer thread " + std::to_string(quietest) +
         " completed no acknowledged Upsert for " + Seconds(quiet) +
         (acked == 0 ? " (none at all)"
                     : " (its last was seq " + std::to_string(acked) + ")") +
         ", so the writer could not be killed mid-stream. A store must keep completing "
         "writes; a deadlock, or acknowledgements withheld from the supervisor, look like "
         "this");
    return true;
  }

  // SIGKILLs the writer, then every process it left; under strace, the
  // tracer is left to write out its trace and exit by itself first.
  void Stop() {
    if (child_ > 0 && !child_reaped_) {
      bool traced = !plan_.tracer.empty();
      std::vector<pid_t> tracees = traced ? ChildrenOf(child_) : std::vector<pid_t>{child_};
      for (pid_t pid : tracees) kill(pid, SIGKILL);
      double until = MonotonicSeconds() + 3.0;
      while (traced && !tracees.empty() && MonotonicSeconds() < until) {
        Pump();
        EndChildren(0, child_);
        if (waitpid(child_, &child_status_, WNOHANG) == child_) {
          child_reaped_ = true;
          break;
        }
        Wait(0.002);
      }
      if (!child_reaped_) {
        kill(child_, SIGKILL);
        waitpid(child_, &child_status_, 0);
        child_reaped_ = true;
      }
    }
    if (!EndChildren(10)) {
      std::fprintf(stderr, "jitskit-durability: processes the writer left could not be ended\n");
    }
    for (Pipe& pipe : value_pipes_) CloseFd(&pipe.write);
  }

  // Every process that held a write end is gone: read what the pipes hold.
  void Drain() {
    double until = MonotonicSeconds() + 2.0;
    while ((report_.read >= 0 || trace_.read >= 0 || stderr_.read >= 0) &&
           MonotonicSeconds() < until) {
      Pump();
      Wait(0.05);
    }
    CloseFd(&report_.read);
    CloseFd(&trace_.read);
    CloseFd(&stderr_.read);
    if (!trace_text_.empty()) EmitTrace(true);
  }

  // The writer's last line on stderr, where the harness says why it stopped.
  std::string LastWords() const {
    size_t end = stderr_tail_.find_last_not_of("\n");
    if (end == std::string::npos) return "";
    size_t start = stderr_tail_.rfind('\n', end);
    start = start == std::string::npos ? 0 : start + 1;
    return stderr_tail_.substr(start, end + 1 - start);
  }

  std::string EndedEarly() const {
    std::string words = LastWords();
    if (WIFEXITED(child_status_) && WEXITSTATUS(child_status_) == kTamperedExit) {
      const std::string prefix = "jitskit-harness: ";
      if (words.rfind(prefix, 0) == 0) words.erase(0, prefix.size());
      return "the store interfered with the harness: " +
             (words.empty() ? "the durability writer exited with status 3" : words);
    }
    return "the writer ended before it was killed: it " + DescribeExit(child_status_) +
           (acks_.ready() ? "" : " before the store was open") +
           (words.empty() ? "" : " (its last words: " + words + ")");
  }

  struct Outgoing {
    std::vector<char> record;  // empty: nothing pending
    size_t offset = 0;
  };

  const Config& config_;
  const DurabilityLayout& layout_;
  const SealedValues& values_;
  const FeedPlan& plan_;
  ProgressTicker* progress_;
  AckLedger acks_;
  std::string failure_;
  double killed_after_s_ = 0;
  Pipe report_;
  Pipe trace_;
  Pipe stderr_;
  std::string stderr_tail_;
  std::vector<Pipe> value_pipes_;
  std::vector<Outgoing> outgoing_;
  std::string inbound_;
  std::string trace_text_;
  uint64_t trace_bytes_ = 0;
  pid_t child_ = -1;
  bool child_reaped_ = false;
  int child_status_ = 0;
};

}  // namespace

FeedOutcome FeedAndKill(const Config& config, const DurabilityLayout& layout,
                        const SealedValues& values, const FeedPlan& plan,
                        ProgressTicker* progress) {
  return Feeder(config, layout, values, plan, progress).Run();
}

}  // namespace jitskit::harness
