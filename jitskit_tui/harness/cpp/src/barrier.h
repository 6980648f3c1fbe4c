// A reusable barrier for a fixed number of threads (C++17 has none).
#ifndef JITSKIT_HARNESS_BARRIER_H_
#define JITSKIT_HARNESS_BARRIER_H_

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace jitskit::harness {

class Barrier {
 public:
  explicit Barrier(uint32_t parties) : parties_(parties) {}
  void Wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    uint64_t generation = generation_;
    if (++waiting_ == parties_) {
      waiting_ = 0;
      ++generation_;
      released_.notify_all();
      return;
    }
    released_.wait(lock, [&] { return generation_ != generation; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable released_;
  uint32_t parties_;
  uint32_t waiting_ = 0;
  uint64_t generation_ = 0;
};

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_BARRIER_H_
