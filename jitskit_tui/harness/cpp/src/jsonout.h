// JSON-lines output: one object per line on stdout, flushed per line.
#ifndef JITSKIT_HARNESS_JSONOUT_H_
#define JITSKIT_HARNESS_JSONOUT_H_

#include <cstdint>
#include <string>

namespace jitskit::harness {

class JsonObject {
 public:
  JsonObject& AddString(const char* key, const std::string& value);
  JsonObject& AddUint(const char* key, uint64_t value);
  // Non-finite numbers are written as null.
  JsonObject& AddDouble(const char* key, double value, int decimals = 3);
  JsonObject& AddBool(const char* key, bool value);
  JsonObject& AddObject(const char* key, const JsonObject& value);
  std::string str() const { return "{" + body_ + "}"; }

 private:
  void AddKey(const char* key);
  std::string body_;
};

std::string JsonEscape(const std::string& text);

// Keeps a private duplicate of stdout for the harness's JSON lines and points
// fd 1 at stderr, so whatever the store prints cannot pass for a harness
// event. Call before the store is created; returns false if it could not.
bool ClaimStdout();

// Reads the run's token (written by the engine, then EOF) from `fd` and
// closes it; every later line carries it as "token". False when the
// descriptor is unreadable or held no plausible token (something read it
// first).
bool ReadToken(int fd);

// Exit status when the store interfered with the harness's own files or
// descriptors; the reason goes to stderr.
constexpr int kTamperedExit = 3;
[[noreturn]] void ExitTampered(const std::string& reason);

// Exits with kTamperedExit unless the JSON output descriptor is still the one
// ClaimStdout set up.
void CheckOutputIntact();

// Writes the object and a newline to the JSON output with one write(2) per
// line; thread-safe.
void EmitLine(const JsonObject& object);
void EmitPhase(const char* phase);
void EmitGate(const char* name, bool passed, const std::string& detail);

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_JSONOUT_H_
