// The camera's credential: the signature over the request and the Authorization value (the
// service's side: chalicelib/auth.py; test_native/test_auth.cpp checks both agree).
//   string to sign = "SM1\n" METHOD "\n" PATH "\n" ID "\n" COUNTER "\n" AGE "\n" CONTENT_LENGTH "\n"
//                    hex(SHA256(body)) "\n" HEALTH
// HEALTH is the Stopmotion-Health header's value as sent, "" without one: written by a TextSource
// (text_buf.h), so the firmware never holds it whole.
//   Authorization: SM1-HMAC-SHA256 Camera=<id>, Counter=<decimal>, Age=<decimal>,
//                  Signature=<64 lowercase hex>
// AGE is the whole seconds from the frame's capture to this attempt: every attempt signs its own
// (the counter and the body stay), and the service dates the frame by arrival minus age.
// Strings whose names end in _P live in flash (PSTR/PROGMEM).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <text_buf.h>

#include "sha256.h"

namespace auth {

const uint8_t kSignatureChars = 64;  // the signature as lowercase hex
// The longest value authorization_value() writes, without its terminating NUL.
const uint8_t kAuthorizationMax = 45 + 32 + 10 + 6 + 10 + kSignatureChars;  // 167

// The route every upload is signed for, whatever prefix a proxy adds in front of it (the service's
// chalicelib/protocol/upload.py METHOD and ROUTE; tests/firmware checks they agree). In flash.
extern const char kSignedMethod_P[];
extern const char kSignedPath_P[];

// Receives the string to sign piece by piece (the HMAC when signing; a host tool prints it).
typedef ::ByteSink ByteSink;

// Hands the string to sign to sink, in order, without ever holding it whole.
void string_to_sign(ByteSink sink, void *context, const char *method_P, const char *path_P,
                    const char *camera_P, uint32_t counter, uint32_t age_s,
                    uint32_t content_length, const uint8_t body_sha256[Sha256::kDigestSize],
                    const TextSource &health);

// Writes the 32-byte signature (the HMAC) into signature. Uses about 130 bytes of stack.
void sign_request(uint8_t signature[Sha256::kDigestSize], const uint8_t *key_P, uint8_t key_length,
                  const char *method_P, const char *path_P, const char *camera_P, uint32_t counter,
                  uint32_t age_s, uint32_t content_length,
                  const uint8_t body_sha256[Sha256::kDigestSize], const TextSource &health);

// The Authorization header's value, written piece by piece (a TextSource's write, from: a
// Credential), so the request head gets it without a buffer of its own.
struct Credential {
  const char *camera_P;
  uint32_t counter;
  uint32_t age_s;
  const uint8_t *signature;  // kDigestSize bytes
};
void write_authorization(const void *credential, ByteSink sink, void *context);

// Writes the Authorization header's value and a NUL into out; returns its length, 0 if cap is short.
size_t authorization_value(char *out, size_t cap, const char *camera_P, uint32_t counter,
                           uint32_t age_s, const uint8_t signature[Sha256::kDigestSize]);


}  // namespace auth
