#include "dns_codec.h"

#include <pgm.h>
#include <string.h>

namespace dns {
namespace {

const uint16_t kHeader = 12;
const uint16_t kTypeA = 1;
const uint16_t kClassIn = 1;

uint16_t get16(const uint8_t* p) { return (uint16_t)((p[0] << 8) | p[1]); }

void put16(uint8_t* p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

// Returns the offset just past the name at `at` (labels, ending in a zero or in a compression
// pointer), or 0 if it runs off the message or uses a reserved label type.
uint16_t skip_name(const uint8_t* buf, uint16_t len, uint16_t at) {
  while (at < len) {
    const uint8_t n = buf[at];
    if (n == 0) return (uint16_t)(at + 1);
    if ((n & 0xC0) == 0xC0) return at + 2 <= len ? (uint16_t)(at + 2) : 0;
    if (n & 0xC0) return 0;
    at = (uint16_t)(at + 1 + n);
  }
  return 0;
}

}  // namespace

uint16_t build_query(uint8_t* buf, uint16_t cap, uint16_t id, const char* name_P) {
  const uint16_t name_len = (uint16_t)strlen_P(name_P);
  // Header, one length byte per label (name_len + 1 covers them), the root, type and class.
  if (name_len == 0 || name_len > 253 || cap < kHeader + name_len + 2 + 4) return 0;
  memset(buf, 0, kHeader);
  put16(buf, id);
  buf[2] = 0x01;  // RD: recursion desired
  buf[5] = 1;     // QDCOUNT
  uint16_t at = kHeader;
  uint16_t label_at = at++;
  uint8_t label_len = 0;
  for (uint16_t i = 0; i < name_len; ++i) {
    const char c = (char)pgm_read_byte(name_P + i);
    if (c == '.') {
      if (label_len == 0) return 0;  // empty label: ".." or a leading dot
      buf[label_at] = label_len;
      label_at = at++;
      label_len = 0;
    } else {
      if (++label_len > 63) return 0;
      buf[at++] = (uint8_t)c;
    }
  }
  if (label_len) {
    buf[label_at] = label_len;
    buf[at++] = 0;
  } else {
    buf[label_at] = 0;  // the trailing dot's slot is the root
  }
  put16(buf + at, kTypeA);
  put16(buf + at + 2, kClassIn);
  return (uint16_t)(at + 4);
}

Result parse_response(const uint8_t* buf, uint16_t len, uint16_t id, uint8_t ip[4],
                      uint32_t* ttl_s) {
  if (len < kHeader) return kMalformed;
  if (get16(buf) != id || !(buf[2] & 0x80)) return kNotOurs;
  if ((buf[3] & 0x0F) != 0) return kServerError;
  uint16_t at = kHeader;
  for (uint16_t q = get16(buf + 4); q; --q) {
    at = skip_name(buf, len, at);
    if (at == 0 || at + 4 > len) return kMalformed;
    at = (uint16_t)(at + 4);
  }
  for (uint16_t a = get16(buf + 6); a; --a) {
    at = skip_name(buf, len, at);
    if (at == 0 || at + 10 > len) return kMalformed;
    const uint16_t type = get16(buf + at);
    const uint16_t klass = get16(buf + at + 2);
    const uint32_t ttl = ((uint32_t)get16(buf + at + 4) << 16) | get16(buf + at + 6);
    const uint16_t rdlength = get16(buf + at + 8);
    at = (uint16_t)(at + 10);
    if (rdlength > len - at) return kMalformed;
    if (type == kTypeA && klass == kClassIn && rdlength == 4) {
      memcpy(ip, buf + at, 4);
      *ttl_s = ttl;
      return kOk;
    }
    at = (uint16_t)(at + rdlength);  // a CNAME or another type: the A record may follow
  }
  return kNoAddress;
}

bool parse_ipv4(const char* text_P, uint8_t ip[4]) {
  uint8_t part = 0;
  uint16_t value = 0;
  uint8_t digits = 0;
  for (;; ++text_P) {
    const char c = (char)pgm_read_byte(text_P);
    if (c >= '0' && c <= '9') {
      value = (uint16_t)(value * 10 + (c - '0'));
      if (++digits > 3 || value > 255) return false;
    } else if ((c == '.' || c == 0) && digits && part < 4) {
      ip[part++] = (uint8_t)value;
      value = 0;
      digits = 0;
      if (c == 0) return part == 4;
    } else {
      return false;
    }
  }
}

}  // namespace dns
