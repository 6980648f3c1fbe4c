#include "durability_recall.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "child_process.h"
#include "durability_wire.h"

namespace jitskit::harness {
namespace {

class Recall {
 public:
  Recall(const Config& config, RecoveryCheck* check, FailureLog* failures,
         const RecallPlan& plan, ProgressTicker* progress)
      : config_(config), check_(check), failures_(failures), plan_(plan),
        progress_(progress), keys_(check->Keys()) {}

  std::string Run() {
    // From the verifier's start: ticks with done 0 while it reopens the store.
    progress_->BeginPhase("durability-verify", keys_.size());
    std::string failure = Recalled();
    progress_->EndPhase();
    return failure;
  }

 private:
  std::string Recalled() {
    if (!Start()) return failure_;
    double deadline = MonotonicSeconds() + plan_.timeout_s;
    bool exited = false;
    while (failure_.empty() && !done_) {
      Wait(0.05);
      SendKeys();
      Receive();
      if (!failure_.empty() || done_) break;
      if (!exited && waitpid(child_, &status_, WNOHANG) == child_) {
        exited = true;
        deadline = MonotonicSeconds() + 2.0;  // what it wrote before exiting is still to read
      }
      if (MonotonicSeconds() > deadline) {
        Fail(exited ? "the verifier ended after answering for " + Progress() + " keys: it " +
                          DescribeExit(status_)
                    : "the verifier did not finish within " + std::to_string(
                          static_cast<int>(plan_.timeout_s)) + " s (answered for " +
                          Progress() + " keys): reopening or reading back is deadlocked or "
                          "too slow");
      }
    }
    if (!exited) {
      kill(child_, SIGKILL);
      waitpid(child_, &status_, 0);
    }
    EndChildren(10);
    close(results_);
    if (keys_fd_ >= 0) close(keys_fd_);
    return failure_;
  }

  void Fail(const std::string& why) {
    if (failure_.empty()) failure_ = why;
  }

  std::string Progress() const {
    return std::to_string(answered_) + " of " + std::to_string(keys_.size());
  }

  bool Start() {
    int keys[2], results[2];
    if (pipe2(keys, O_CLOEXEC) != 0 || pipe2(results, O_CLOEXEC) != 0) {
      Fail("the durability supervisor could not make the verifier's pipes");
      return false;
    }
    ChildPlan child;
    child.argv = {plan_.harness, "durability-verify", "--config", plan_.config_path,
                  "--keys-fd", "3", "--results-fd", "4"};
    child.fds = {{3, keys[0]}, {4, results[1]}};
    std::string error;
    child_ = StartChild(child, &error);
    close(keys[0]);
    close(results[1]);
    keys_fd_ = keys[1];
    results_ = results[0];
    fcntl(keys_fd_, F_SETFL, O_NONBLOCK);
    fcntl(results_, F_SETFL, O_NONBLOCK);
    if (child_ < 0) {
      Fail("the durability supervisor could not start the verifier: " + error);
      return false;
    }
    return true;
  }

  void Wait(double seconds) {
    std::vector<pollfd> fds = {{results_, POLLIN, 0}};
    if (keys_fd_ >= 0) fds.push_back({keys_fd_, POLLOUT, 0});
    poll(fds.data(), fds.size(), static_cast<int>(seconds * 1000));
  }

  void SendKeys() {
    const char* bytes = reinterpret_cast<const char*>(keys_.data());
    size_t total = keys_.size() * sizeof(uint64_t);
    while (keys_fd_ >= 0 && keys_sent_ < total) {
      ssize_t n = write(keys_fd_, bytes + keys_sent_, total - keys_sent_);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      if (n <= 0) break;
      keys_sent_ += static_cast<size_t>(n);
    }
    if (keys_fd_ >= 0) close(keys_fd_);  // EOF tells the verifier the list is complete
    keys_fd_ = -1;
  }

  void Receive() {
    char buffer[65536];
    while (true) {
      ssize_t n = read(results_, buffer, sizeof(buffer));
      if (n > 0) {
        inbound_.append(buffer, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      break;
    }
    size_t at = 0;
    while (failure_.empty() && !done_ && inbound_.size() - at >= sizeof(wire::Record)) {
      wire::Record record;
      std::memcpy(&record, inbound_.data() + at, sizeof(record));
      size_t size = sizeof(record);
      if (record.kind == wire::kMessage && record.b <= wire::kMaxMessage) {
        size += record.b;
        if (inbound_.size() - at < size) break;
        Fail(inbound_.substr(at + sizeof(record), record.b));
      } else if (record.kind == wire::kReady && !opened_ && record.b == keys_.size()) {
        opened_ = true;
      } else if (record.kind == wire::kRead && opened_ && answered_ < keys_.size()) {
        if (record.a == static_cast<uint32_t>(Status::kOk)) size += config_.value_size;
        if (inbound_.size() - at < size) break;
        Answer(record, inbound_.data() + at + sizeof(record));
      } else if (record.kind == wire::kDone && answered_ == keys_.size()) {
        done_ = true;
      } else {
        Fail("the verifier's pipe carried a record the harness never sends (kind " +
             std::to_string(record.kind) + "): something in the store wrote to it");
      }
      at += size;
    }
    inbound_.erase(0, at);
  }

  void Answer(const wire::Record& record, const char* value) {
    if (record.b != keys_[answered_] || record.a > static_cast<uint32_t>(Status::kError)) {
      Fail("the verifier answered for key " + std::to_string(record.b) +
           " where the supervisor asked for the next key in its list: something in the "
           "store wrote to the harness's pipe");
      return;
    }
    auto status = static_cast<Status>(record.a);
    check_->Observe(answered_, status, status == Status::kOk ? value : nullptr, failures_);
    ++answered_;
    progress_->Add(0);
  }

  const Config& config_;
  RecoveryCheck* check_;
  FailureLog* failures_;
  const RecallPlan& plan_;
  ProgressTicker* progress_;
  std::vector<uint64_t> keys_;
  size_t keys_sent_ = 0;
  size_t answered_ = 0;
  bool opened_ = false;
  bool done_ = false;
  pid_t child_ = -1;
  int status_ = 0;
  int keys_fd_ = -1;
  int results_ = -1;
  std::string inbound_;
  std::string failure_;
};

}  // namespace

std::string RecallAndJudge(const Config& config, RecoveryCheck* check,
                           FailureLog* failures, const RecallPlan& plan,
                           ProgressTicker* progress) {
  return Recall(config, check, failures, plan, progress).Run();
}

}  // namespace jitskit::harness
