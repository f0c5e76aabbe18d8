// DNS (RFC 1035) for one job: ask for the IPv4 address (A record) of a name and read the answer,
// following compressed names. Also accepts a dotted-quad literal so a host may be an address.
#pragma once
#include <stdint.h>

namespace dns {

const uint16_t kPort = 53;

// Writes a recursive A/IN query for name_P (in flash; a trailing dot is allowed) into buf.
// Returns its length, or 0 if the name is not a valid host name or does not fit.
uint16_t build_query(uint8_t* buf, uint16_t cap, uint16_t id, const char* name_P);

enum Result : uint8_t {
  kOk,
  kNotOurs,      // not a response, or another id: keep waiting
  kServerError,  // RCODE not 0 (NXDOMAIN, SERVFAIL, ...)
  kNoAddress,    // a valid answer without an A record
  kMalformed,
};

// Finds the first A/IN record among the answers; ip gets its address, ttl_s its TTL.
Result parse_response(const uint8_t* buf, uint16_t len, uint16_t id, uint8_t ip[4],
                      uint32_t* ttl_s);

// Parses "a.b.c.d" (in flash) into ip; false if it is not exactly four decimal octets.
bool parse_ipv4(const char* text_P, uint8_t ip[4]);

}  // namespace dns
