#include "concurrency_model.h"

#include "store_session.h"

namespace jitskit::harness {

bool CaughtUntouched(const char* value, uint32_t value_size, uint64_t key,
                     const std::string& who, FailureLog& failures) {
  if (!StillPoisoned(value, value_size)) return false;
  failures.Add("fabricated value",
               who + " of key " + HexKey(key) +
                   " returned kOk but left the output buffer untouched (it "
                   "still holds the poison bytes the harness put there); a "
                   "successful call must copy the value out");
  return true;
}

bool CheckRegisterRead(const Register& reg, const GateCodec& codec,
                       uint64_t acked, uint64_t begun, const char* value,
                       const std::string& who, FailureLog& failures) {
  std::string key = HexKey(reg.key);
  if (value != nullptr &&
      CaughtUntouched(value, codec.value_size(), reg.key, who, failures)) {
    return false;
  }
  if (value == nullptr) {
    // Absent is possible if some state between acked and begun is absent.
    bool absent_possible =
        !reg.PresentAfter(acked) || (reg.deletable && begun > acked);
    if (absent_possible) return true;
    failures.Add("stale read",
                 who + " of key " + key + " returned kNotFound (stale), but version " +
                     std::to_string(reg.VersionAfter(acked)) +
                     " was acknowledged before the read began and not deleted");
    return false;
  }
  GateCodec::Decoded decoded = codec.Decode(reg.key, value);
  switch (decoded.kind) {
    case GateCodec::Kind::kForeign:
      failures.Add("foreign value", who + " of key " + key +
                                        " returned the value written for key " +
                                        HexKey(decoded.other_key));
      return false;
    case GateCodec::Kind::kFabricated:
      failures.Add("fabricated value",
                   who + " of key " + key +
                       " returned bytes never written for it by any Upsert "
                       "(the integrity code does not verify with this run's "
                       "secret)");
      return false;
    case GateCodec::Kind::kTorn:
      failures.Add("torn read",
                   who + " of key " + key +
                       " returned a torn value: parts of version " +
                       std::to_string(decoded.version) +
                       " mixed with another write's bytes (or bytes not yet "
                       "written) while its owner was writing it; a value must "
                       "be copied in and out atomically");
      return false;
    case GateCodec::Kind::kValid:
      break;
  }
  uint64_t version = decoded.version;
  uint64_t op = version == 0 ? 0 : reg.OpOfVersion(version);
  if (version == 0 || op > begun) {
    failures.Add("fabricated value",
                 who + " of key " + key + " returned version " +
                     std::to_string(version) +
                     ", which no writer had started (latest started: " +
                     std::to_string(reg.VersionAfter(begun)) + ")");
    return false;
  }
  if (op >= acked) return true;
  if (reg.PresentAfter(acked)) {
    failures.Add("stale read",
                 who + " of key " + key + " returned version " +
                     std::to_string(version) + " after version " +
                     std::to_string(reg.VersionAfter(acked)) +
                     " was acknowledged");
  } else {
    failures.Add("deleted key came back",
                 who + " of key " + key + " returned version " +
                     std::to_string(version) +
                     " after its Delete was acknowledged");
  }
  return false;
}

uint64_t CheckCounterValue(const Counter& counter, const char* value,
                           uint32_t value_size, const std::string& who,
                           FailureLog& failures) {
  std::string key = HexKey(counter.key);
  if (CaughtUntouched(value, value_size, counter.key, who, failures)) {
    return UINT64_MAX;
  }
  if (!ZeroFrom(value, 8, value_size)) {
    failures.Add("counter bytes corrupted",
                 who + " of counter key " + key +
                     " returned non-zero bytes after the 8-byte counter; "
                     "read-modify-write must leave them as they were (zero "
                     "for a key it created)");
    return UINT64_MAX;
  }
  uint64_t total = LoadU64(value);
  if (total % counter.increment != 0) {
    failures.Add("torn counter",
                 who + " of counter key " + key + " returned " +
                     std::to_string(total) + ", not a multiple of its only "
                     "increment " + std::to_string(counter.increment) +
                     " (a torn or partial update)");
    return UINT64_MAX;
  }
  return total / counter.increment;
}

}  // namespace jitskit::harness
