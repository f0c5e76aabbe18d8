#include "dhcp_codec.h"

#include <string.h>

namespace dhcp {
namespace {

// Fixed-part offsets (RFC 2131 figure 1).
enum : uint16_t {
  kOp = 0, kHtype = 1, kHlen = 2, kXid = 4, kSecs = 8, kFlags = 10, kCiaddr = 12, kYiaddr = 16,
  kChaddr = 28, kCookie = 236, kOptions = 240,
};
const uint8_t kMagic[4] = {99, 130, 83, 99};

enum : uint8_t {
  kOptPad = 0, kOptSubnet = 1, kOptRouter = 3, kOptDns = 6, kOptRequestedIp = 50, kOptLease = 51,
  kOptType = 53, kOptServerId = 54, kOptParams = 55, kOptT1 = 58, kOptT2 = 59, kOptClientId = 61,
  kOptEnd = 255,
};

void put32(uint8_t* p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

uint32_t get32(const uint8_t* p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

bool is_zero(const uint8_t* ip) { return (ip[0] | ip[1] | ip[2] | ip[3]) == 0; }

uint8_t* put_ip_option(uint8_t* p, uint8_t code, const uint8_t* ip) {
  *p++ = code;
  *p++ = 4;
  memcpy(p, ip, 4);
  return p + 4;
}

}  // namespace

uint16_t build(uint8_t* buf, uint16_t cap, const Request& r) {
  if (cap < kMinMessage) return 0;
  memset(buf, 0, kMinMessage);
  buf[kOp] = 1;     // BOOTREQUEST
  buf[kHtype] = 1;  // Ethernet
  buf[kHlen] = 6;
  put32(buf + kXid, r.xid);
  buf[kSecs] = (uint8_t)(r.secs >> 8);
  buf[kSecs + 1] = (uint8_t)r.secs;
  if (r.broadcast) buf[kFlags] = 0x80;
  memcpy(buf + kCiaddr, r.ciaddr, 4);
  memcpy(buf + kChaddr, r.mac, 6);
  memcpy(buf + kCookie, kMagic, 4);

  uint8_t* p = buf + kOptions;
  *p++ = kOptType;
  *p++ = 1;
  *p++ = r.type;
  *p++ = kOptClientId;
  *p++ = 7;
  *p++ = 1;  // hardware type Ethernet, then the MAC
  memcpy(p, r.mac, 6);
  p += 6;
  if (!is_zero(r.requested_ip)) p = put_ip_option(p, kOptRequestedIp, r.requested_ip);
  if (!is_zero(r.server_id)) p = put_ip_option(p, kOptServerId, r.server_id);
  static const uint8_t kParams[] = {kOptSubnet, kOptRouter, kOptDns, kOptLease, kOptT1, kOptT2};
  *p++ = kOptParams;
  *p++ = sizeof(kParams);
  memcpy(p, kParams, sizeof(kParams));
  p += sizeof(kParams);
  *p++ = kOptEnd;
  const uint16_t used = (uint16_t)(p - buf);
  return used < kMinMessage ? kMinMessage : used;  // the rest is zero padding
}

ParseResult parse(const uint8_t* buf, uint16_t len, uint32_t xid, const uint8_t* mac, Reply* out) {
  if (len < kOptions) return kMalformed;
  if (buf[kOp] != 2 || get32(buf + kXid) != xid || memcmp(buf + kChaddr, mac, 6) != 0) {
    return kNotForUs;
  }
  if (buf[kHtype] != 1 || buf[kHlen] != 6 || memcmp(buf + kCookie, kMagic, 4) != 0) {
    return kMalformed;
  }
  memset(out, 0, sizeof(*out));
  memcpy(out->yiaddr, buf + kYiaddr, 4);
  bool t1_seen = false, t2_seen = false;
  uint16_t i = kOptions;
  while (i < len) {
    const uint8_t code = buf[i++];
    if (code == kOptPad) continue;
    if (code == kOptEnd) break;
    if (i >= len) return kMalformed;
    const uint8_t n = buf[i++];
    if (n > len - i) return kMalformed;
    const uint8_t* v = buf + i;
    i = (uint16_t)(i + n);
    if (code == kOptType && n == 1) {
      out->type = (MessageType)v[0];
    } else if (n >= 4) {  // every other option we read is an address or a 32-bit time
      switch (code) {
        case kOptSubnet: memcpy(out->subnet, v, 4); break;
        case kOptRouter: memcpy(out->router, v, 4); break;  // first router
        case kOptDns: memcpy(out->dns, v, 4); break;        // first server
        case kOptServerId: memcpy(out->server_id, v, 4); break;
        case kOptLease: out->lease_s = get32(v); break;
        case kOptT1: out->t1_s = get32(v); t1_seen = true; break;
        case kOptT2: out->t2_s = get32(v); t2_seen = true; break;
        default: break;
      }
    }
  }
  if (out->type == 0) return kMalformed;
  if (!t1_seen) out->t1_s = out->lease_s == kInfinite ? kInfinite : out->lease_s / 2;
  if (!t2_seen) out->t2_s = out->lease_s == kInfinite ? kInfinite : out->lease_s - out->lease_s / 8;
  if (out->t2_s > out->lease_s) out->t2_s = out->lease_s;  // a server's odd timers cannot
  if (out->t1_s > out->t2_s) out->t1_s = out->t2_s;        // postpone renewal past expiry
  return kOk;
}

}  // namespace dhcp
