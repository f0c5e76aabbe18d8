// DHCP messages (RFC 2131 layout, RFC 2132 options) for a client: build DISCOVER and REQUEST,
// parse OFFER, ACK and NAK. Pure byte work, no I/O.
#pragma once
#include <stdint.h>

namespace dhcp {

enum MessageType : uint8_t {
  kDiscover = 1, kOffer = 2, kRequest = 3, kDecline = 4, kAck = 5, kNak = 6, kRelease = 7,
};

const uint16_t kServerPort = 67;
const uint16_t kClientPort = 68;
const uint16_t kMinMessage = 300;   // BOOTP minimum; some servers drop shorter requests
const uint32_t kInfinite = 0xFFFFFFFFUL;

struct Request {
  MessageType type;
  uint32_t xid;
  uint16_t secs;
  const uint8_t* mac;        // 6 bytes
  uint8_t ciaddr[4];         // our address when renewing or rebinding, else 0
  uint8_t requested_ip[4];   // option 50 when selecting, else 0 (omitted)
  uint8_t server_id[4];      // option 54 when selecting, else 0 (omitted)
  bool broadcast;            // flags bit: ask for a broadcast reply (we have no address yet)
};

// Writes the message into buf; returns its length (at least kMinMessage) or 0 if cap is too small.
uint16_t build(uint8_t* buf, uint16_t cap, const Request& request);

struct Reply {
  MessageType type;
  uint8_t yiaddr[4];
  uint8_t server_id[4];
  uint8_t subnet[4];
  uint8_t router[4];
  uint8_t dns[4];
  uint32_t lease_s;   // 0 when absent
  uint32_t t1_s;      // defaults to lease/2 when absent
  uint32_t t2_s;      // defaults to lease*7/8 when absent
};

enum ParseResult : uint8_t { kOk, kNotForUs, kMalformed };

// Parses a server message. kNotForUs: not a reply, other xid or other hardware address.
ParseResult parse(const uint8_t* buf, uint16_t len, uint32_t xid, const uint8_t* mac, Reply* out);

}  // namespace dhcp
