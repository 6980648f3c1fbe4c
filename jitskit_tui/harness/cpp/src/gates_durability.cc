// durability-writer / durability-verify: threads upsert integrity-coded values
// and log each acknowledgement; after the engine kills the writer with
// SIGKILL, the verifier reopens the store and checks the log against it.
//
// Thread t writes seq = 1, 2, 3, ... to its own keys in turn: seq s goes to
// slot (s - 1) % K, so which write a key should hold is computable from the
// last acknowledged seq alone.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gate_report.h"
#include "gates.h"
#include "integrity.h"
#include "jsonout.h"
#include "rng.h"
#include "store_session.h"

namespace jitskit::harness {
namespace {

constexpr int kUsageError = 2;

struct Layout {
  uint32_t threads = 1;
  uint64_t keys_per_thread = 16;
  uint32_t value_size = 32;
  KeyMap keys{0};

  static Layout FromConfig(const Config& config) {
    Layout layout;
    layout.threads = config.threads;
    layout.keys_per_thread = std::max<uint64_t>(
        16, std::min<uint64_t>(1024, config.record_count / config.threads));
    layout.value_size = config.value_size;
    layout.keys = KeyMap(config.seed ^ 0xd1b54a32d192ed03ULL);
    return layout;
  }
  uint64_t Key(uint32_t thread, uint64_t slot) const {
    return keys.KeyOf(uint64_t{thread} * keys_per_thread + slot);
  }
  uint64_t SlotOf(uint64_t seq) const { return (seq - 1) % keys_per_thread; }
  // The last write to `slot` among seqs 1..upto; 0 when there is none.
  uint64_t LastWriteTo(uint64_t slot, uint64_t upto) const {
    if (upto < slot + 1) return 0;
    return upto - ((upto - 1 - slot) % keys_per_thread);
  }
};

bool WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

void Marker(const char* kind, uint32_t thread, uint64_t seq) {
  char path[96];
  std::snprintf(path, sizeof(path), "/.jitskit-%s/%u/%" PRIu64, kind, thread,
                seq);
  // The result is irrelevant: the call is a marker in a syscall trace.
  (void)access(path, F_OK);
}

bool SameFile(int fd, const struct stat& expected) {
  struct stat now {};
  return fstat(fd, &now) == 0 && now.st_dev == expected.st_dev &&
         now.st_ino == expected.st_ino;
}

// Leaves the verdict in the ack log itself (reopened by path), so the
// verifier fails the gate, then exits with kTamperedExit.
[[noreturn]] void ReportTampering(const std::string& ack_path,
                                  const std::string& reason) {
  int fd = open(ack_path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd >= 0) {
    std::string line = "tampered " + reason + "\n";
    ssize_t ignored = write(fd, line.data(), line.size());
    (void)ignored;
    close(fd);
  }
  ExitTampered(reason + " (ack log tampering by the store)");
}

void WriterThread(KVStore* store, const Layout& layout, const GateCodec& codec,
                  const std::string& ack_path, int ack_fd,
                  const struct stat& ack_identity, bool markers,
                  uint32_t thread, const std::atomic<bool>& stop) {
  store->ThreadInit(thread);
  std::vector<char> value(layout.value_size);
  char line[96];
  for (uint64_t seq = 1; !stop.load(std::memory_order_relaxed); ++seq) {
    uint64_t key = layout.Key(thread, layout.SlotOf(seq));
    codec.Encode(value.data(), key, seq);
    if (markers) Marker("op", thread, seq);
    Status status = store->Upsert(key, value.data());
    if (status != Status::kOk) {
      std::fprintf(stderr,
                   "jitskit-harness: durability-writer: Upsert of key %s "
                   "(thread %u, seq %" PRIu64 ") returned %s; thread stops\n",
                   HexKey(key).c_str(), thread, seq, StatusName(status));
      break;
    }
    if (markers) Marker("ack", thread, seq);
    int length = std::snprintf(line, sizeof(line), "ack %u %" PRIu64 " %s\n",
                               thread, seq, HexKey(key).c_str());
    if (seq % 64 == 1 && !SameFile(ack_fd, ack_identity)) {
      ReportTampering(ack_path, "the ack log descriptor was closed or replaced "
                                "while the writer ran");
    }
    // One write(2) per acknowledgement, so a kill leaves whole lines.
    if (write(ack_fd, line, static_cast<size_t>(length)) != length) {
      ReportTampering(ack_path, "appending to the ack log failed (errno " +
                                    std::to_string(errno) + ")");
    }
  }
  store->ThreadExit(thread);
}

struct AckLog {
  Secret secret{};
  Layout layout;
  std::vector<uint64_t> last_acked;  // per thread
  uint64_t acks = 0;
  std::string tampered;  // the writer's reason, when it found tampering
};

// Reads the header and every whole ack line; a torn last line is ignored.
bool ReadAckLog(const std::string& path, const Config& config, AckLog* log,
                std::string* error) {
  std::ifstream file(path);
  if (!file) {
    *error = "cannot read the ack log " + path;
    return false;
  }
  std::string header;
  std::getline(file, header);
  std::istringstream fields(header);
  std::string magic, secret_field, threads_field, keys_field, size_field;
  fields >> magic >> secret_field >> threads_field >> keys_field >> size_field;
  log->layout = Layout::FromConfig(config);
  if (magic != "jitskit-ack-log-v1" || secret_field.rfind("secret=", 0) != 0 ||
      !SecretFromHex(secret_field.substr(7), &log->secret)) {
    *error = "the ack log " + path + " has no valid header (was the writer "
             "killed before it started, or is this another file?)";
    return false;
  }
  std::string expected = "threads=" + std::to_string(log->layout.threads);
  std::string expected_keys =
      "keys_per_thread=" + std::to_string(log->layout.keys_per_thread);
  std::string expected_size =
      "value_size=" + std::to_string(log->layout.value_size);
  if (threads_field != expected || keys_field != expected_keys ||
      size_field != expected_size) {
    *error = "the ack log " + path + " was written with a different config (" +
             threads_field + " " + keys_field + " " + size_field + ")";
    return false;
  }
  log->last_acked.assign(log->layout.threads, 0);
  std::string line;
  while (std::getline(file, line)) {
    if (line.rfind("tampered ", 0) == 0 && log->tampered.empty()) {
      log->tampered = line.substr(9);
    }
    unsigned thread = 0;
    unsigned long long seq = 0;
    if (std::sscanf(line.c_str(), "ack %u %llu", &thread, &seq) != 2 ||
        thread >= log->layout.threads) {
      continue;
    }
    ++log->acks;
    if (seq > log->last_acked[thread]) log->last_acked[thread] = seq;
  }
  return true;
}

}  // namespace

int RunDurabilityWriter(const Config& config, const std::string& ack_log,
                        bool markers) {
  Layout layout = Layout::FromConfig(config);
  Secret secret = DrawSecret();
  GateCodec codec(secret, config.value_size);
  int fd = open(ack_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
                0644);
  if (fd < 0) {
    std::fprintf(stderr, "jitskit-harness: cannot create the ack log %s: %s\n",
                 ack_log.c_str(), std::strerror(errno));
    return kUsageError;
  }
  std::string header = "jitskit-ack-log-v1 secret=" + SecretToHex(secret) +
                       " threads=" + std::to_string(layout.threads) +
                       " keys_per_thread=" + std::to_string(layout.keys_per_thread) +
                       " value_size=" + std::to_string(layout.value_size) + "\n";
  if (!WriteAll(fd, header)) {
    std::fprintf(stderr, "jitskit-harness: cannot write the ack log %s\n",
                 ack_log.c_str());
    return kUsageError;
  }
  struct stat identity {};
  if (fstat(fd, &identity) != 0) {
    std::fprintf(stderr, "jitskit-harness: cannot stat the ack log %s\n",
                 ack_log.c_str());
    return kUsageError;
  }
  std::string error;
  std::unique_ptr<KVStore> store = OpenStore(config, &error);
  if (!store) {
    EmitGate("durability", false, error);
    close(fd);
    return 0;
  }
  EmitPhase("run");
  std::atomic<bool> stop{false};
  std::vector<std::thread> pool;
  for (uint32_t t = 0; t < layout.threads; ++t) {
    pool.emplace_back(WriterThread, store.get(), std::cref(layout),
                      std::cref(codec), std::cref(ack_log), fd,
                      std::cref(identity), markers, t, std::cref(stop));
  }
  // Runs until killed; duration_s, when set, is a safety cap.
  if (config.duration_s > 0) {
    std::this_thread::sleep_for(
        std::chrono::duration<double>(config.duration_s));
    stop.store(true);
  }
  for (std::thread& thread : pool) thread.join();
  store->Close();
  close(fd);
  return 0;
}

int RunDurabilityVerify(const Config& config, const std::string& ack_log) {
  AckLog log;
  std::string error;
  if (!ReadAckLog(ack_log, config, &log, &error)) {
    EmitGate("durability", false, error);
    return 0;
  }
  EmitPhase("verify");
  if (!log.tampered.empty()) {
    EmitGate("durability", false,
             "ack log tampering: the writer found that " + log.tampered +
                 "; the store must not touch the harness's descriptors");
    return 0;
  }
  if (log.acks == 0) {
    EmitGate("durability", false,
             "the writer acknowledged no writes before it was killed: Upsert "
             "failed or was too slow to finish one (see the writer's stderr)");
    return 0;
  }
  std::unique_ptr<KVStore> store = OpenStore(config, &error);
  if (!store) {
    EmitGate("durability", false, "reopening after kill -9: " + error);
    return 0;
  }
  store->ThreadInit(0);
  const Layout& layout = log.layout;
  GateCodec codec(log.secret, layout.value_size);
  FailureLog failures;
  failures.SetHeadlineOrder({"ack log gap", "lost acknowledged write"});
  std::vector<char> value(layout.value_size);
  const std::string after = " after kill -9 and reopen";
  for (uint32_t t = 0; t < layout.threads; ++t) {
    uint64_t acked = log.last_acked[t];
    std::vector<uint64_t> seen(layout.keys_per_thread, 0);
    uint64_t newest = 0;
    for (uint64_t slot = 0; slot < layout.keys_per_thread; ++slot) {
      uint64_t key = layout.Key(t, slot);
      // Poisoned, so a Read that returns kOk without copying is caught.
      std::fill(value.begin(), value.end(), static_cast<char>(0xdb));
      Status status = store->Read(key, value.data());
      std::string who = "key " + HexKey(key) + " of writer thread " + std::to_string(t);
      if (status == Status::kNotFound) continue;
      if (status != Status::kOk) {
        failures.Add("read failed", "Read of " + who + after + " returned " +
                                        StatusName(status));
        continue;
      }
      GateCodec::Decoded decoded = codec.Decode(key, value.data());
      if (decoded.kind != GateCodec::Kind::kValid) {
        failures.Add(std::string(KindName(decoded.kind)) + " value",
                     "Read of " + who + after + " returned a " +
                         KindName(decoded.kind) +
                         " value (not one whole value written for this key)");
        continue;
      }
      uint64_t seq = decoded.version;
      if (seq == 0 || layout.SlotOf(seq) != slot) {
        failures.Add("fabricated value",
                     "Read of " + who + after + " returned seq " +
                         std::to_string(seq) + ", which was never written to it");
        continue;
      }
      if (seq > acked + 1) {
        // The writer starts seq s + 1 only after logging s, so the store can
        // hold at most one write past the log's last line per thread.
        failures.Add("ack log gap",
                     who + " holds seq " + std::to_string(seq) +
                         ", but the ack log's last acknowledgement from that "
                         "thread is seq " + std::to_string(acked) +
                         ": acknowledged writes were not recorded in the ack "
                         "log (its descriptor was tampered with?)");
      }
      seen[slot] = seq;
      newest = std::max(newest, seq);
    }
    for (uint64_t slot = 0; slot < layout.keys_per_thread; ++slot) {
      uint64_t key = layout.Key(t, slot);
      uint64_t due = layout.LastWriteTo(slot, acked);
      std::string holds = seen[slot] == 0 ? "is missing"
                                          : "holds seq " + std::to_string(seen[slot]);
      if (seen[slot] < due) {
        failures.Add("lost acknowledged write",
                     "writer thread " + std::to_string(t) + "'s Upsert seq " +
                         std::to_string(due) + " to key " + HexKey(key) +
                         " was acknowledged, but" + after + " the key " + holds);
        continue;
      }
      uint64_t behind = layout.LastWriteTo(slot, newest);
      if (seen[slot] < behind) {
        failures.Add("write missing behind a later one",
                     "writer thread " + std::to_string(t) + "'s Upsert seq " +
                         std::to_string(behind) + " to key " + HexKey(key) +
                         " is lost (the key " + holds + ") while its later seq " +
                         std::to_string(newest) + " survived" + after);
      }
    }
  }
  store->ThreadExit(0);
  store->Close();
  std::string detail = std::to_string(log.acks) + " acknowledged writes from " +
                       std::to_string(layout.threads) + " threads over " +
                       std::to_string(layout.keys_per_thread) +
                       " keys each: all present" + after +
                       ", none missing behind a later one";
  ReportGate("durability", failures, detail);
  return 0;
}

}  // namespace jitskit::harness
