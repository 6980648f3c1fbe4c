// Integrity codes: whole values verify; foreign, torn and made-up ones do not.
#include <algorithm>
#include <string>
#include <vector>

#include "integrity.h"
#include "unit.h"

namespace {

using namespace jitskit::harness;

void BenchValuesVerify() {
  Secret secret = DrawSecret();
  BenchCodec codec(secret, 100);
  std::vector<char> value(100);
  codec.Prepare(value.data(), 7 % codec.variants());
  codec.Stamp(value.data(), 42, 7);
  StoreU64(value.data(), 123);  // read-modify-write may change the counter
  unit::Expect(codec.Check(42, value.data()) == BenchCodec::Verdict::kValid,
               "a stamped value verifies, whatever its counter");
  unit::Expect(codec.Check(43, value.data()) == BenchCodec::Verdict::kForeign,
               "another key's value is foreign");
  value[60] ^= 1;
  unit::Expect(codec.Check(42, value.data()) == BenchCodec::Verdict::kCorrupt,
               "a flipped tail byte is caught");
  std::vector<char> zero(100, 0);
  StoreU64(zero.data(), 5);
  unit::Expect(codec.Check(42, zero.data()) == BenchCodec::Verdict::kZeroFilled,
               "a value created by read-modify-write is recognised");
  BenchCodec other(DrawSecret(), 100);
  std::vector<char> forged(100);
  other.Prepare(forged.data(), 7 % other.variants());
  other.Stamp(forged.data(), 42, 7);
  unit::Expect(codec.Check(42, forged.data()) == BenchCodec::Verdict::kCorrupt,
               "a value coded with another secret is rejected");
}

void BenchValuesCatchPartialCopies() {
  BenchCodec codec(DrawSecret(), 256);
  unit::Expect(codec.variants() >= 2 && (codec.variants() & (codec.variants() - 1)) == 0,
               "a power-of-two number of bodies");
  std::vector<char> old_value(256);
  std::vector<char> new_value(256);
  codec.Prepare(old_value.data(), 7 % codec.variants());
  codec.Stamp(old_value.data(), 42, 7);
  codec.Prepare(new_value.data(), 8 % codec.variants());
  codec.Stamp(new_value.data(), 42, 8);
  unit::Expect(codec.Check(42, new_value.data()) == BenchCodec::Verdict::kValid,
               "the new value verifies");
  // A store that copies only the first 32 bytes of an overwrite.
  std::vector<char> partial = old_value;
  std::copy(new_value.begin(), new_value.begin() + 32, partial.begin());
  unit::Expect(codec.Check(42, partial.data()) == BenchCodec::Verdict::kCorrupt,
               "a new header over an old body is caught");
  BenchCodec large(DrawSecret(), 1 << 20);
  unit::Expect(large.variants() == 4, "1 MiB values get 4 bodies (4 MiB per thread)");
}

void GateValuesDecode() {
  for (uint32_t size : {32u, 37u, 100u, 4096u}) {
    GateCodec codec(DrawSecret(), size);
    std::vector<char> v5(size);
    std::vector<char> v6(size);
    codec.Encode(v5.data(), 9, 5);
    codec.Encode(v6.data(), 9, 6);
    GateCodec::Decoded d = codec.Decode(9, v5.data());
    unit::Expect(d.kind == GateCodec::Kind::kValid && d.version == 5,
                 "whole value decodes to its version, size " + std::to_string(size));
    d = codec.Decode(10, v5.data());
    unit::Expect(d.kind == GateCodec::Kind::kForeign && d.other_key == 9,
                 "another key's value is foreign");
    // Every split point of a copy racing with an overwrite is torn.
    bool all_torn = true;
    for (uint32_t cut = 1; cut < size; ++cut) {
      std::vector<char> mixed(v6.begin(), v6.begin() + cut);
      mixed.insert(mixed.end(), v5.begin() + cut, v5.end());
      // With a random secret the last bytes of the two versions agree now and then
      // (1 in 256 for the last byte): such a mix is the whole of version 6, not torn.
      if (mixed == v6 || mixed == v5) continue;
      GateCodec::Kind kind = codec.Decode(9, mixed.data()).kind;
      if (kind == GateCodec::Kind::kValid) all_torn = false;
      if (kind != GateCodec::Kind::kTorn && kind != GateCodec::Kind::kFabricated) {
        all_torn = false;
      }
    }
    unit::Expect(all_torn, "no mix of two versions passes as whole, size " +
                               std::to_string(size));
    std::vector<char> tail_torn = v5;
    for (uint32_t i = size - 4; i < size; ++i) tail_torn[i] = v6[i];
    if (size > 36) {
      unit::Expect(codec.Decode(9, tail_torn.data()).kind == GateCodec::Kind::kTorn,
                   "a value whose tail comes from another write is torn");
    }
    std::vector<char> junk(size, 'x');
    unit::Expect(codec.Decode(9, junk.data()).kind == GateCodec::Kind::kFabricated,
                 "junk is fabricated");
  }
}

void SecretsAreFreshAndRoundTrip() {
  Secret a = DrawSecret();
  Secret b = DrawSecret();
  unit::Expect(a.words[0] != b.words[0] || a.words[1] != b.words[1],
               "each draw is a new secret");
  Secret back{};
  unit::Expect(SecretFromHex(SecretToHex(a), &back) &&
                   back.words[0] == a.words[0] && back.words[3] == a.words[3],
               "hex round trip");
  unit::Expect(!SecretFromHex("zz", &back), "bad hex is rejected");
}

const unit::TestCase kTests[] = {
    {"integrity: bench values", BenchValuesVerify},
    {"integrity: bench values catch partial copies", BenchValuesCatchPartialCopies},
    {"integrity: gate values", GateValuesDecode},
    {"integrity: secrets", SecretsAreFreshAndRoundTrip},
};

}  // namespace
