#include "request_signer.h"

#include <pgm.h>
#include <string.h>
#include <text_buf.h>

#include "hmac_sha256.h"

namespace auth {

const char kSignedMethod_P[] PROGMEM = "POST";
const char kSignedPath_P[] PROGMEM = "/frames";

namespace {

const char kScheme[] PROGMEM = "SM1-HMAC-SHA256 Camera=";
const char kCounter[] PROGMEM = ", Counter=";
const char kAge[] PROGMEM = ", Age=";
const char kSignature[] PROGMEM = ", Signature=";

void put(ByteSink sink, void *context, const char *text, size_t n) {
  sink(context, reinterpret_cast<const uint8_t *>(text), n);
}

void put_P(ByteSink sink, void *context, const char *text_P) { sink_P(sink, context, text_P); }

void put_u32(ByteSink sink, void *context, uint32_t value) { sink_u32(sink, context, value); }

void hmac_sink(void *mac, const uint8_t *data, size_t n) {
  static_cast<HmacSha256 *>(mac)->update(data, n);
}

// Computed, not looked up in a PROGMEM table: avr-gcc 5.4's link-time optimiser merges a PROGMEM
// string with an identical one in RAM and then pgm_read_byte() reads flash at the RAM address
// (found by firmware/test/avr/auth_cycles.cpp, whose own hex table in RAM broke every signature).
char hex_digit(uint8_t nibble) {
  nibble &= 15;
  return char(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
}

// Bytes as lowercase hex digits, two at a time: no buffer of twice their length.
void put_hex(ByteSink sink, void *context, const uint8_t *bytes) {
  for (uint8_t i = 0; i < Sha256::kDigestSize; i++) {
    const char two[2] = {hex_digit(bytes[i] >> 4), hex_digit(bytes[i])};
    put(sink, context, two, 2);
  }
}

// A bounded buffer as a sink (authorization_value): remembers overflow.
struct Bounded {
  char *out;
  size_t cap, used;
  bool ok;
};

void bounded_sink(void *context, const uint8_t *data, size_t n) {
  Bounded &b = *static_cast<Bounded *>(context);
  for (; n; --n, ++data) {
    if (b.used + 1 >= b.cap) {
      b.ok = false;
      return;
    }
    b.out[b.used++] = char(*data);
  }
}

}  // namespace

void string_to_sign(ByteSink sink, void *context, const char *method_P, const char *path_P,
                    const char *camera_P, uint32_t counter, uint32_t age_s,
                    uint32_t content_length, const uint8_t body_sha256[Sha256::kDigestSize],
                    const TextSource &health) {
  const char newline = '\n';
  put(sink, context, "SM1\n", 4);
  put_P(sink, context, method_P);
  put(sink, context, &newline, 1);
  put_P(sink, context, path_P);
  put(sink, context, &newline, 1);
  put_P(sink, context, camera_P);
  put(sink, context, &newline, 1);
  put_u32(sink, context, counter);
  put(sink, context, &newline, 1);
  put_u32(sink, context, age_s);
  put(sink, context, &newline, 1);
  put_u32(sink, context, content_length);
  put(sink, context, &newline, 1);
  put_hex(sink, context, body_sha256);
  put(sink, context, &newline, 1);
  health.write(health.from, sink, context);
}

void sign_request(uint8_t signature[Sha256::kDigestSize], const uint8_t *key_P, uint8_t key_length,
                  const char *method_P, const char *path_P, const char *camera_P, uint32_t counter,
                  uint32_t age_s, uint32_t content_length,
                  const uint8_t body_sha256[Sha256::kDigestSize], const TextSource &health) {
  HmacSha256 mac;
  mac.begin(key_P, key_length);
  string_to_sign(hmac_sink, &mac, method_P, path_P, camera_P, counter, age_s, content_length,
                 body_sha256, health);
  mac.finish(signature);
}

void write_authorization(const void *from, ByteSink sink, void *context) {
  const Credential &c = *static_cast<const Credential *>(from);
  put_P(sink, context, kScheme);
  put_P(sink, context, c.camera_P);
  put_P(sink, context, kCounter);
  put_u32(sink, context, c.counter);
  put_P(sink, context, kAge);
  put_u32(sink, context, c.age_s);
  put_P(sink, context, kSignature);
  put_hex(sink, context, c.signature);
}

size_t authorization_value(char *out, size_t cap, const char *camera_P, uint32_t counter,
                           uint32_t age_s, const uint8_t signature[Sha256::kDigestSize]) {
  if (cap == 0) return 0;
  const Credential c = {camera_P, counter, age_s, signature};
  Bounded b = {out, cap, 0, true};
  write_authorization(&c, bounded_sink, &b);
  out[b.ok ? b.used : 0] = 0;
  return b.ok ? b.used : 0;
}

}  // namespace auth
