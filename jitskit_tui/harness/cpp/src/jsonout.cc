#include "jsonout.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <mutex>

namespace jitskit::harness {

std::string JsonEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size() + 2);
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

void JsonObject::AddKey(const char* key) {
  if (!body_.empty()) body_ += ",";
  body_ += "\"" + JsonEscape(key) + "\":";
}

JsonObject& JsonObject::AddString(const char* key, const std::string& value) {
  AddKey(key);
  body_ += "\"" + JsonEscape(value) + "\"";
  return *this;
}

JsonObject& JsonObject::AddUint(const char* key, uint64_t value) {
  AddKey(key);
  body_ += std::to_string(value);
  return *this;
}

JsonObject& JsonObject::AddDouble(const char* key, double value,
                                  int decimals) {
  AddKey(key);
  if (!std::isfinite(value)) {
    body_ += "null";
    return *this;
  }
  char number[64];
  std::snprintf(number, sizeof(number), "%.*f", decimals, value);
  body_ += number;
  return *this;
}

JsonObject& JsonObject::AddBool(const char* key, bool value) {
  AddKey(key);
  body_ += value ? "true" : "false";
  return *this;
}

JsonObject& JsonObject::AddObject(const char* key, const JsonObject& value) {
  AddKey(key);
  body_ += value.str();
  return *this;
}

namespace {

int json_fd = STDOUT_FILENO;
struct stat json_identity {};
bool claimed = false;
std::string token;

bool SameFile(int fd, const struct stat& expected) {
  struct stat now {};
  return fstat(fd, &now) == 0 && now.st_dev == expected.st_dev &&
         now.st_ino == expected.st_ino && now.st_mode == expected.st_mode;
}

}  // namespace

bool ClaimStdout() {
  std::fflush(stdout);
  int fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 64);
  if (fd < 0) return false;
  if (fstat(fd, &json_identity) != 0 ||
      dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    close(fd);
    return false;
  }
  json_fd = fd;
  claimed = true;
  return true;
}

bool ReadToken(int fd) {
  char buffer[128];
  size_t length = 0;
  while (length < sizeof(buffer)) {
    ssize_t n = read(fd, buffer + length, sizeof(buffer) - length);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    length += static_cast<size_t>(n);
  }
  close(fd);
  std::string text(buffer, length);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  if (text.size() < 16 || text.size() > 64) return false;
  for (char c : text) {
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                 (c >= 'A' && c <= 'Z');
    if (!alnum) return false;
  }
  token = text;
  return true;
}

void ExitTampered(const std::string& reason) {
  std::string message = "jitskit-harness: " + reason + "\n";
  ssize_t ignored = write(STDERR_FILENO, message.data(), message.size());
  (void)ignored;
  _exit(kTamperedExit);
}

void CheckOutputIntact() {
  if (claimed && !SameFile(json_fd, json_identity)) {
    ExitTampered(
        "the harness's JSON output descriptor was closed or replaced during "
        "the run (output tampering by the store); no verdict can be trusted");
  }
}

void EmitLine(const JsonObject& object) {
  static std::mutex mutex;
  std::string line = object.str() + "\n";
  if (!token.empty()) {
    line = "{\"token\":\"" + token + "\"," + line.substr(1);
  }
  std::lock_guard<std::mutex> lock(mutex);
  CheckOutputIntact();
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = write(json_fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ExitTampered("cannot write to the harness's JSON output (errno " +
                   std::to_string(errno) + ")");
    }
    done += static_cast<size_t>(n);
  }
}

void EmitPhase(const char* phase) {
  JsonObject event;
  event.AddString("event", "phase").AddString("phase", phase);
  EmitLine(event);
}

void EmitGate(const char* name, bool passed, const std::string& detail) {
  JsonObject event;
  event.AddString("event", "gate")
      .AddString("name", name)
      .AddBool("passed", passed)
      .AddString("detail", detail);
  EmitLine(event);
}

}  // namespace jitskit::harness
