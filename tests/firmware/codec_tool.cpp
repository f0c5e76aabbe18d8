// Command-line face of the firmware's codecs, so the Python tests can check them against
// independent implementations (dnslib, scapy) and against the service's protocol package.
// Packets and texts travel as hex.
//   dns-query ID NAME               -> hex of the query
//   dns-parse ID HEX                -> "ok A.B.C.D TTL" or the error name
//   dhcp-build TYPE XID MAC CIADDR REQUESTED SERVER BROADCAST -> hex
//   dhcp-parse XID MAC HEX          -> "ok type=T yiaddr=.. server=.. subnet=.. router=.. dns=..
//                                       lease=.. t1=.. t2=.." or the error name
//   post-head HOST PORT PATH USER_AGENT LENGTH AUTHORIZATION|- HEALTH|-  -> hex of the upload's head
//   string-to-sign METHOD PATH CAMERA COUNTER AGE LENGTH SHA256_HEX HEALTH -> hex of the string to sign
//   health FW UP BOOTS RESET SRAM TRIES QUEUED LOST LEAD LINK DHCP SPI -> the Stopmotion-Health
//                                   value the firmware writes (lib/health) for these numbers
//   next-bounds                     -> "MIN MAX": the seconds a signed Next= is bounded to
//   authorization CAMERA COUNTER AGE SIGNATURE_HEX  -> the Authorization value
//   signed-route                    -> "METHOD PATH" the camera signs its uploads for
//   verdict STATUS                  -> "stored", "retry" or "reject": a signed status's meaning
#include <camera_steps.h>
#include <dhcp_codec.h>
#include <dns_codec.h>
#include <health.h>
#include <http_request.h>
#include <http_status.h>
#include <request_signer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <string>
#include <vector>

namespace {

std::vector<uint8_t> unhex(const char* s) {
  std::vector<uint8_t> out;
  for (size_t i = 0; s[i] && s[i + 1]; i += 2) {
    char byte[3] = {s[i], s[i + 1], 0};
    out.push_back((uint8_t)strtoul(byte, nullptr, 16));
  }
  return out;
}

void print_hex(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) printf("%02x", p[i]);
  printf("\n");
}

void ip_from(const char* text, uint8_t ip[4]) {
  unsigned a, b, c, d;
  if (sscanf(text, "%u.%u.%u.%u", &a, &b, &c, &d) != 4) exit(2);
  ip[0] = (uint8_t)a, ip[1] = (uint8_t)b, ip[2] = (uint8_t)c, ip[3] = (uint8_t)d;
}

std::string ip_text(const uint8_t* ip) {
  char s[16];
  snprintf(s, sizeof(s), "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
  return s;
}

int dns_query(char** argv) {
  uint8_t buf[512];
  const uint16_t n = dns::build_query(buf, sizeof(buf), (uint16_t)strtoul(argv[0], nullptr, 0),
                                      argv[1]);
  if (n == 0) {
    printf("invalid\n");
    return 1;
  }
  print_hex(buf, n);
  return 0;
}

int dns_parse(char** argv) {
  const auto p = unhex(argv[1]);
  uint8_t ip[4];
  uint32_t ttl = 0;
  const dns::Result r = dns::parse_response(p.data(), (uint16_t)p.size(),
                                            (uint16_t)strtoul(argv[0], nullptr, 0), ip, &ttl);
  static const char* const kNames[] = {"ok", "notours", "servererror", "noaddress", "malformed"};
  if (r == dns::kOk) {
    printf("ok %s %u\n", ip_text(ip).c_str(), ttl);
  } else {
    printf("%s\n", kNames[r]);
  }
  return 0;
}

int dhcp_build(char** argv) {
  const auto mac = unhex(argv[2]);
  dhcp::Request r = {};
  r.type = (dhcp::MessageType)atoi(argv[0]);
  r.xid = (uint32_t)strtoul(argv[1], nullptr, 0);
  r.mac = mac.data();
  ip_from(argv[3], r.ciaddr);
  ip_from(argv[4], r.requested_ip);
  ip_from(argv[5], r.server_id);
  r.broadcast = atoi(argv[6]) != 0;
  uint8_t buf[576];
  const uint16_t n = dhcp::build(buf, sizeof(buf), r);
  print_hex(buf, n);
  return 0;
}

int dhcp_parse(char** argv) {
  const auto mac = unhex(argv[1]);
  const auto p = unhex(argv[2]);
  dhcp::Reply r;
  const dhcp::ParseResult res = dhcp::parse(p.data(), (uint16_t)p.size(),
                                            (uint32_t)strtoul(argv[0], nullptr, 0), mac.data(), &r);
  if (res != dhcp::kOk) {
    printf("%s\n", res == dhcp::kNotForUs ? "notforus" : "malformed");
    return 0;
  }
  printf("ok type=%u yiaddr=%s server=%s subnet=%s router=%s dns=%s lease=%u t1=%u t2=%u\n",
         r.type, ip_text(r.yiaddr).c_str(), ip_text(r.server_id).c_str(),
         ip_text(r.subnet).c_str(), ip_text(r.router).c_str(), ip_text(r.dns).c_str(), r.lease_s,
         r.t1_s, r.t2_s);
  return 0;
}

int post_head(char** argv) {
  const HttpTarget target = {argv[0], (uint16_t)atoi(argv[1]), argv[2], argv[3]};
  // As the board sends them: the Authorization, then the health (camera_board.cpp post()).
  HttpHeader headers[2];
  uint8_t n_headers = 0;
  if (strcmp(argv[5], "-") != 0) headers[n_headers++] = {"Authorization", {write_text, argv[5]}};
  if (strcmp(argv[6], "-") != 0) headers[n_headers++] = {"Stopmotion-Health", {write_text, argv[6]}};
  char buf[512];
  const uint16_t n = http_format_post_head(buf, sizeof(buf), target, strtoul(argv[4], nullptr, 0),
                                           headers, n_headers);
  if (n == 0) {
    printf("too-large\n");
    return 1;
  }
  print_hex(reinterpret_cast<const uint8_t*>(buf), n);
  return 0;
}

void append(void* text, const uint8_t* data, size_t n) {
  static_cast<std::string*>(text)->append(reinterpret_cast<const char*>(data), n);
}

int string_to_sign(char** argv) {
  const auto sha = unhex(argv[6]);
  if (sha.size() != 32) return 2;
  std::string text;
  const TextSource health = {write_text, argv[7]};
  auth::string_to_sign(append, &text, argv[0], argv[1], argv[2], strtoul(argv[3], nullptr, 0),
                       strtoul(argv[4], nullptr, 0), strtoul(argv[5], nullptr, 0), sha.data(),
                       health);
  print_hex(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  return 0;
}

int authorization(char** argv) {
  const auto signature = unhex(argv[3]);
  if (signature.size() != 32) return 2;
  char value[auth::kAuthorizationMax + 1];
  if (!auth::authorization_value(value, sizeof value, argv[0], strtoul(argv[1], nullptr, 0),
                                 strtoul(argv[2], nullptr, 0), signature.data())) {
    printf("too-long\n");
    return 1;
  }
  printf("%s\n", value);
  return 0;
}

int health(char** argv) {
  Health h;
  h.fw_P = argv[0];
  h.up_s = strtoul(argv[1], nullptr, 10);
  h.boots = strtoul(argv[2], nullptr, 10);
  h.reset_P = argv[3];
  h.sram = (uint16_t)strtoul(argv[4], nullptr, 10);
  h.tries = (uint8_t)strtoul(argv[5], nullptr, 10);
  h.queued = (uint16_t)strtoul(argv[6], nullptr, 10);
  h.lost = (uint16_t)strtoul(argv[7], nullptr, 10);
  h.lead = (uint8_t)strtoul(argv[8], nullptr, 10);
  h.link_P = argv[9];
  h.dhcp = (uint16_t)strtoul(argv[10], nullptr, 10);
  h.spi_khz = (uint16_t)strtoul(argv[11], nullptr, 10);
  std::string text;
  health_value(&h, append, &text);
  printf("%s\n", text.c_str());
  return 0;
}

int next_bounds(char**) {
  printf("%u %u\n", (unsigned)bounded_next_s(0), (unsigned)bounded_next_s(0xFFFFFFFEu));
  return 0;
}

int signed_route(char**) {
  printf("%s %s\n", auth::kSignedMethod_P, auth::kSignedPath_P);
  return 0;
}

int verdict(char** argv) {
  const HttpVerdict v = http_verdict((uint16_t)strtoul(argv[0], nullptr, 10));
  printf("%s\n", v == HttpVerdict::kStored ? "stored" : v == HttpVerdict::kRetry ? "retry" : "reject");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  struct Command {
    const char* name;
    int args;
    int (*run)(char**);
  };
  static const Command kCommands[] = {{"dns-query", 2, dns_query}, {"dns-parse", 2, dns_parse},
                                      {"dhcp-build", 7, dhcp_build}, {"dhcp-parse", 3, dhcp_parse},
                                      {"post-head", 7, post_head},
                                      {"string-to-sign", 8, string_to_sign},
                                      {"health", 12, health},
                                      {"next-bounds", 0, next_bounds},
                                      {"authorization", 4, authorization},
                                      {"signed-route", 0, signed_route},
                                      {"verdict", 1, verdict}};
  for (const Command& c : kCommands) {
    if (argc == c.args + 2 && strcmp(argv[1], c.name) == 0) return c.run(argv + 2);
  }
  fprintf(stderr, "usage: see the comment at the top of codec_tool.cpp\n");
  return 2;
}
