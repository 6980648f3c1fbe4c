#include "concurrency_phase.h"

#include <pthread.h>
#include <sched.h>

#include <cstdio>
#include <thread>

#include "clock.h"

namespace jitskit::harness {
namespace {

// Warn once per process: every phase would repeat the same warning.
std::atomic<bool> pin_warned{false};

// The CPUs this process may run on, in ascending order.
std::vector<int> AllowedCpus() {
  std::vector<int> allowed;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return allowed;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) allowed.push_back(cpu);
  }
  return allowed;
}

void PinPhaseThread(const std::vector<int>& cpus, uint32_t index) {
  if (cpus.empty()) return;
  int cpu = cpus[index % cpus.size()];
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  int failed = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  if (failed != 0 && !pin_warned.exchange(true)) {
    std::fprintf(stderr,
                 "jitskit-harness: warning: gate-concurrency cannot pin thread "
                 "%u to CPU %d (error %d); its threads run unpinned. Check "
                 "`cpus` against the CPUs this process may use.\n",
                 index, cpu, failed);
  }
}

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

PhaseClock::PhaseClock(uint64_t budget_ns)
    : start_ns_(KernelMonotonicNs()), budget_ns_(budget_ns) {}

void PhaseClock::Restart() { start_ns_ = KernelMonotonicNs(); }

bool PhaseClock::Expired() const { return ElapsedNs() >= budget_ns_; }

uint64_t PhaseClock::ElapsedNs() const {
  return KernelMonotonicNs() - start_ns_;
}

void RunPhaseThreads(KVStore* store, uint32_t threads,
                     const std::vector<int>& cpus,
                     const std::function<void(uint32_t)>& body) {
  // Unpinned threads may share one CPU while something else holds the
  // other, and threads that take turns never race: spread them over the
  // CPUs this process may use instead.
  std::vector<int> where = cpus;
  if (where.empty()) {
    where = AllowedCpus();
    if (where.size() < 2) where.clear();
  }
  std::atomic<uint32_t> arrived{0};
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (uint32_t t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      PinPhaseThread(where, t);
      store->ThreadInit(t);
      // Spin rather than block so every thread leaves the line within
      // nanoseconds of the last arrival; yield now and then in case the
      // thread still to come is waiting for this CPU.
      arrived.fetch_add(1);
      for (uint64_t spins = 1; arrived.load() < threads; ++spins) {
        if (spins % 1024 == 0) {
          sched_yield();
        } else {
          CpuRelax();
        }
      }
      body(t);
      store->ThreadExit(t);
    });
  }
  for (std::thread& thread : pool) thread.join();
}

std::string Percent(uint64_t part, uint64_t whole) {
  if (whole == 0) return "0%";
  char text[32];
  std::snprintf(text, sizeof(text), "%.0f%%",
                100.0 * static_cast<double>(part) / static_cast<double>(whole));
  return text;
}

}  // namespace jitskit::harness
