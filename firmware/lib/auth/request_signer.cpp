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

void put_P(ByteSink sink, void *context, const char *text_P) {
  for (char c; (c = char(pgm_read_byte(text_P))) != 0; text_P++) put(sink, context, &c, 1);
}

void put_u32(ByteSink sink, void *context, uint32_t value) {
  char digits[11];
  put(sink, context, digits, format_u32(digits, value));
}

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

// Appends text (from flash when in_flash) at out[*used], keeping room for the NUL.
bool append(char *out, size_t cap, size_t *used, const char *text, bool in_flash) {
  for (char c; (c = in_flash ? char(pgm_read_byte(text)) : *text) != 0; text++) {
    if (*used + 1 >= cap) return false;
    out[(*used)++] = c;
  }
  out[*used] = 0;
  return true;
}

}  // namespace

void string_to_sign(ByteSink sink, void *context, const char *method_P, const char *path_P,
                    const char *camera_P, uint32_t counter, uint32_t age_s,
                    uint32_t content_length, const uint8_t body_sha256[Sha256::kDigestSize],
                    const char *health) {
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
  for (uint8_t i = 0; i < Sha256::kDigestSize; i++) {  // hex digits two at a time: no 64-byte buffer
    const char two[2] = {hex_digit(body_sha256[i] >> 4), hex_digit(body_sha256[i])};
    put(sink, context, two, 2);
  }
  put(sink, context, &newline, 1);
  put(sink, context, health, strlen(health));
}

void sign_request(uint8_t signature[Sha256::kDigestSize], const uint8_t *key_P, uint8_t key_length,
                  const char *method_P, const char *path_P, const char *camera_P, uint32_t counter,
                  uint32_t age_s, uint32_t content_length,
                  const uint8_t body_sha256[Sha256::kDigestSize], const char *health) {
  HmacSha256 mac;
  mac.begin(key_P, key_length);
  string_to_sign(hmac_sink, &mac, method_P, path_P, camera_P, counter, age_s, content_length,
                 body_sha256, health);
  mac.finish(signature);
}

size_t authorization_value(char *out, size_t cap, const char *camera_P, uint32_t counter,
                           uint32_t age_s, const uint8_t signature[Sha256::kDigestSize]) {
  char counter_digits[11], age_digits[11];
  format_u32(counter_digits, counter);
  format_u32(age_digits, age_s);
  size_t used = 0;
  if (cap == 0) return 0;
  out[0] = 0;
  bool ok = append(out, cap, &used, kScheme, true) && append(out, cap, &used, camera_P, true) &&
            append(out, cap, &used, kCounter, true) &&
            append(out, cap, &used, counter_digits, false) &&
            append(out, cap, &used, kAge, true) && append(out, cap, &used, age_digits, false) &&
            append(out, cap, &used, kSignature, true) && used + kSignatureChars < cap;
  if (ok) {
    for (uint8_t i = 0; i < Sha256::kDigestSize; i++) {
      out[used++] = hex_digit(signature[i] >> 4);
      out[used++] = hex_digit(signature[i]);
    }
    out[used] = 0;
  } else {
    out[0] = 0;
    return 0;
  }
  return used;
}

}  // namespace auth
