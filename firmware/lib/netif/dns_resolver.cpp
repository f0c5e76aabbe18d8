#include "dns_resolver.h"

#include <Arduino.h>
#include <dns_codec.h>
#include <udp_socket.h>

#include "net_log.h"
#include "serial_log.h"

namespace {

// One query and its answer; returns the codec's verdict (kNotOurs means nothing usable came).
dns::Result ask(const uint8_t server[4], NetBuffer buf, uint16_t n, uint16_t id,
                uint32_t wait_ms, uint8_t ip_out[4]) {
  if (!udp::send_to(server, dns::kPort, buf.data, n, 1000)) return dns::kNotOurs;
  const uint32_t start = millis();
  uint16_t len;
  while ((len = udp::receive(buf.data, buf.size, dns::kPort, start, wait_ms)) != 0) {
    uint32_t ttl;
    const dns::Result r = dns::parse_response(buf.data, len, id, ip_out, &ttl);
    if (r != dns::kNotOurs) return r;
  }
  return dns::kNotOurs;
}

}  // namespace

bool dns_resolve(const char* host_P, const uint8_t server[4], NetBuffer buf, uint32_t timeout_ms,
                 uint32_t random, uint8_t ip_out[4]) {
  if (dns::parse_ipv4(host_P, ip_out)) return true;
  if (!udp::open((uint16_t)(49152 + (random & 0x3FFF)))) return false;
  dns::Result r = dns::kNotOurs;
  for (uint8_t attempt = 0; attempt < 3 && r != dns::kOk; ++attempt) {
    const uint16_t id = (uint16_t)(random >> 16) + attempt;
    const uint16_t n = dns::build_query(buf.data, buf.size, id, host_P);
    if (n == 0) break;  // not a valid host name: asking again will not help
    r = ask(server, buf, n, id, timeout_ms / 3, ip_out);
  }
  udp::close();
  serial_log.print(F("dns: "));
  if (r == dns::kOk) {
    log_ip(ip_out);
    serial_log.println();
  } else {
    serial_log.println(r == dns::kServerError ? F("failed, server error")
                   : r == dns::kNoAddress ? F("failed, no address for the name")
                   : r == dns::kMalformed ? F("failed, malformed answer")
                                          : F("failed, no answer"));
  }
  return r == dns::kOk;
}
