// The pipes between the durability supervisor and the store's processes
// (docs/harness-protocol.md, "Durability"). Every record starts with 16 bytes
// in the machine's byte order; the processes run on one machine.
//
// Supervisor -> writer, one pipe per writer thread: a ValueHeader (key, seq)
// then value_size bytes. Writer -> supervisor, one shared pipe: Records
// (kReady once the store is open, kAck per acknowledged Upsert, kMessage
// with text). Supervisor -> verifier: the keys to read, 8 bytes each, then
// EOF. Verifier -> supervisor: kReady, one kRead per key (status, key, then
// value_size bytes when the status is kOk), kDone; or a kMessage.
#ifndef JITSKIT_HARNESS_DURABILITY_WIRE_H_
#define JITSKIT_HARNESS_DURABILITY_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace jitskit::harness::wire {

enum RecordKind : uint32_t {
  kReady = 1,    // b: writer threads, or keys the verifier will read
  kAck = 2,      // a: thread, b: seq
  kMessage = 3,  // a: MessageKind, b: bytes of text that follow
  kRead = 4,     // a: Status, b: key; value_size bytes follow when kOk
  kDone = 5,
};

enum MessageKind : uint32_t {
  kOpenFailed = 1,
  kUpsertFailed = 2,
  kTampered = 3,
};

struct Record {
  uint32_t kind;
  uint32_t a;
  uint64_t b;
};
static_assert(sizeof(Record) == 16, "records are 16 bytes");

struct ValueHeader {
  uint64_t key;
  uint64_t seq;
};
static_assert(sizeof(ValueHeader) == 16, "value headers are 16 bytes");

// A message and its record fit in one atomic pipe write (PIPE_BUF >= 4096),
// so messages and acknowledgements from several threads never interleave.
constexpr size_t kMaxMessage = 2000;

// Blocking; retries on EINTR. False on EOF or an error before `size` bytes.
bool ReadFully(int fd, void* data, size_t size);
bool WriteFully(int fd, const void* data, size_t size);
bool Send(int fd, const Record& record);
// Truncates `text` to kMaxMessage bytes.
bool SendMessage(int fd, MessageKind kind, const std::string& text);

}  // namespace jitskit::harness::wire

#endif  // JITSKIT_HARNESS_DURABILITY_WIRE_H_
