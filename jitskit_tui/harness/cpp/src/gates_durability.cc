// durability-writer / durability-verify: the store's side of the durability
// gate. Both run inside a process that links the store, so neither holds the
// key that codes the values nor keeps any record of acknowledgements: the
// supervisor (jitskit-durability, built without the store) sends each writer
// thread its values over a pipe and receives every acknowledgement over
// another; after it has killed the writer with SIGKILL, it starts the
// verifier, which reopens the store and sends back what it holds for the keys
// the supervisor names. The supervisor judges. See durability_wire.h.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "durability_wire.h"
#include "gates.h"
#include "jsonout.h"
#include "store_session.h"

namespace jitskit::harness {
namespace {

void Marker(const char* kind, uint32_t thread, uint64_t seq) {
  char path[96];
  std::snprintf(path, sizeof(path), "/.jitskit-%s/%u/%" PRIu64, kind, thread,
                seq);
  // The result is irrelevant: the call is a marker in a syscall trace.
  (void)access(path, F_OK);
}

bool ReportPipeIntact(const DurabilityPipes& pipes) {
  struct stat now {};
  return fstat(pipes.report_fd, &now) == 0 && S_ISFIFO(now.st_mode) &&
         now.st_ino == pipes.report_inode;
}

// Tells the supervisor (if the pipe still reaches it) and exits kTamperedExit.
[[noreturn]] void Tampered(const DurabilityPipes& pipes,
                           const std::string& reason) {
  (void)wire::SendMessage(pipes.report_fd, wire::kTampered, reason);
  ExitTampered(reason + " (tampering with the harness's descriptors)");
}

void WriterThread(KVStore* store, const DurabilityPipes& pipes,
                  uint32_t value_size, bool markers, uint32_t thread) {
  store->ThreadInit(thread);
  std::vector<char> value(value_size);
  int values = pipes.value_fd + static_cast<int>(thread);
  while (true) {
    wire::ValueHeader header{};
    // EOF: the supervisor has nothing more for this thread.
    if (!wire::ReadFully(values, &header, sizeof(header)) ||
        !wire::ReadFully(values, value.data(), value.size())) {
      break;
    }
    if (markers) Marker("op", thread, header.seq);
    Status status = store->Upsert(header.key, value.data());
    if (status != Status::kOk) {
      (void)wire::SendMessage(
          pipes.report_fd, wire::kUpsertFailed,
          "Upsert of key " + HexKey(header.key) + " (writer thread " +
              std::to_string(thread) + ", seq " + std::to_string(header.seq) +
              ") returned " + StatusName(status));
      break;
    }
    if (markers) Marker("ack", thread, header.seq);
    // Every time: the supervisor sends only a few values ahead of the
    // acknowledgements, so a thread whose acknowledgements vanish soon stops.
    if (!ReportPipeIntact(pipes)) {
      Tampered(pipes, "the acknowledgement pipe's descriptor was closed or "
                      "replaced while the writer ran");
    }
    // One write(2) of 16 bytes per acknowledgement: atomic on a pipe.
    if (!wire::Send(pipes.report_fd, {wire::kAck, thread, header.seq})) {
      Tampered(pipes, "sending an acknowledgement failed (errno " +
                          std::to_string(errno) + ")");
    }
  }
  store->ThreadExit(thread);
}

}  // namespace

int RunDurabilityWriter(const Config& config, const DurabilityPipes& pipes,
                        bool markers) {
  if (!ReportPipeIntact(pipes)) {
    Tampered(pipes, "the acknowledgement pipe's descriptor was closed or "
                    "replaced before the writer started");
  }
  std::string error;
  std::unique_ptr<KVStore> store = OpenStore(config, &error);
  if (!store) {
    (void)wire::SendMessage(pipes.report_fd, wire::kOpenFailed, error);
    return 0;
  }
  if (!wire::Send(pipes.report_fd, {wire::kReady, 0, config.threads})) {
    Tampered(pipes, "the acknowledgement pipe is not writable");
  }
  std::vector<std::thread> pool;
  for (uint32_t t = 0; t < config.threads; ++t) {
    pool.emplace_back(WriterThread, store.get(), std::cref(pipes),
                      config.value_size, markers, t);
  }
  // Runs until the supervisor kills it (or closes the value pipes).
  for (std::thread& thread : pool) thread.join();
  store->Close();
  return 0;
}

int RunDurabilityVerify(const Config& config, const DurabilityPipes& pipes) {
  std::vector<uint64_t> keys;
  for (uint64_t key = 0; wire::ReadFully(pipes.keys_fd, &key, sizeof(key));) {
    keys.push_back(key);
  }
  std::string error;
  std::unique_ptr<KVStore> store = OpenStore(config, &error);
  if (!store) {
    (void)wire::SendMessage(pipes.results_fd, wire::kOpenFailed,
                            "reopening after kill -9: " + error);
    return 0;
  }
  if (!wire::Send(pipes.results_fd, {wire::kReady, 0, keys.size()})) return 0;
  store->ThreadInit(0);
  std::vector<char> value(config.value_size);
  for (uint64_t key : keys) {
    // Poisoned, so a Read that returns kOk without copying is caught.
    std::fill(value.begin(), value.end(), static_cast<char>(0xdb));
    Status status = store->Read(key, value.data());
    wire::Record record{wire::kRead, static_cast<uint32_t>(status), key};
    if (!wire::Send(pipes.results_fd, record)) return 0;
    if (status == Status::kOk &&
        !wire::WriteFully(pipes.results_fd, value.data(), value.size())) {
      return 0;
    }
  }
  store->ThreadExit(0);
  store->Close();
  (void)wire::Send(pipes.results_fd, {wire::kDone, 0, 0});
  return 0;
}

}  // namespace jitskit::harness
