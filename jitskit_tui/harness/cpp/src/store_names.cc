#include "store_names.h"

#include <cstdio>

namespace jitskit::harness {

const char* StatusName(Status status) {
  switch (status) {
    case Status::kOk:
      return "kOk";
    case Status::kNotFound:
      return "kNotFound";
    case Status::kNotSupported:
      return "kNotSupported";
    case Status::kError:
      return "kError";
  }
  return "an invalid Status value";
}

std::string HexKey(uint64_t key) {
  char text[24];
  std::snprintf(text, sizeof(text), "0x%016llx",
                static_cast<unsigned long long>(key));
  return text;
}

}  // namespace jitskit::harness
