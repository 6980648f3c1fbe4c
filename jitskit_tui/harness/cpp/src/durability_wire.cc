#include "durability_wire.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace jitskit::harness::wire {

bool ReadFully(int fd, void* data, size_t size) {
  auto* bytes = static_cast<char*>(data);
  size_t done = 0;
  while (done < size) {
    ssize_t n = read(fd, bytes + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool WriteFully(int fd, const void* data, size_t size) {
  const auto* bytes = static_cast<const char*>(data);
  size_t done = 0;
  while (done < size) {
    ssize_t n = write(fd, bytes + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool Send(int fd, const Record& record) {
  return WriteFully(fd, &record, sizeof(record));
}

bool SendMessage(int fd, MessageKind kind, const std::string& text) {
  size_t length = text.size() < kMaxMessage ? text.size() : kMaxMessage;
  std::vector<char> buffer(sizeof(Record) + length);
  Record record{kMessage, kind, length};
  std::memcpy(buffer.data(), &record, sizeof(record));
  std::memcpy(buffer.data() + sizeof(record), text.data(), length);
  return WriteFully(fd, buffer.data(), buffer.size());
}

}  // namespace jitskit::harness::wire
