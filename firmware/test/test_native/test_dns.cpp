#include <dns_codec.h>
#include <doctest.h>
#include <string.h>

#include <string>
#include <vector>

using namespace dns;

namespace {

// A response laid out by hand (RFC 1035 4.1): the question, then answers using compression
// pointers to offset 12 (the question's name).
std::vector<uint8_t> response(uint16_t id, uint8_t rcode, std::vector<uint8_t> answers,
                              uint8_t ancount) {
  std::vector<uint8_t> p = {(uint8_t)(id >> 8), (uint8_t)id, 0x81, (uint8_t)(0x80 | rcode),
                            0, 1, 0, ancount, 0, 0, 0, 0};
  const uint8_t q[] = {3, 'c', 'a', 'm', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
                       0, 1, 0, 1};
  p.insert(p.end(), q, q + sizeof(q));
  p.insert(p.end(), answers.begin(), answers.end());
  return p;
}

const std::vector<uint8_t> kA = {0xC0, 12, 0, 1, 0, 1, 0, 0, 0x0E, 0x10, 0, 4, 93, 184, 216, 34};
// A CNAME to "d1.example.com" written as the label "d1" plus a pointer to "example.com" (offset 16).
const std::vector<uint8_t> kCname = {0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 5, 2, 'd', '1', 0xC0, 16};
const std::vector<uint8_t> kCnameA = {0xC0, 33, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 10, 0, 0, 7};

}  // namespace

TEST_CASE("query for cam.example.com, byte by byte") {
  uint8_t buf[64];
  const uint16_t n = build_query(buf, sizeof(buf), 0xBEEF, "cam.example.com");
  const uint8_t want[] = {0xBE, 0xEF, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                          3, 'c', 'a', 'm', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm',
                          0, 0, 1, 0, 1};
  REQUIRE(n == sizeof(want));
  CHECK(memcmp(buf, want, n) == 0);
  uint8_t dotted[64];
  CHECK(build_query(dotted, sizeof(dotted), 0xBEEF, "cam.example.com.") == n);
  CHECK(memcmp(dotted, want, n) == 0);
}

TEST_CASE("invalid names and short buffers give 0") {
  uint8_t buf[300];
  CHECK(build_query(buf, sizeof(buf), 1, "") == 0);
  CHECK(build_query(buf, sizeof(buf), 1, ".") == 0);
  CHECK(build_query(buf, sizeof(buf), 1, "a..b") == 0);
  CHECK(build_query(buf, sizeof(buf), 1, ".a") == 0);
  const std::string label64(64, 'x');
  CHECK(build_query(buf, sizeof(buf), 1, label64.c_str()) == 0);
  const std::string label63(63, 'x');
  CHECK(build_query(buf, sizeof(buf), 1, label63.c_str()) == 12 + 65 + 4);
  CHECK(build_query(buf, 20, 1, "cam.example.com") == 0);
}

TEST_CASE("an A answer with a compressed name") {
  const auto p = response(0x1234, 0, kA, 1);
  uint8_t ip[4];
  uint32_t ttl = 0;
  REQUIRE(parse_response(p.data(), (uint16_t)p.size(), 0x1234, ip, &ttl) == kOk);
  const uint8_t want[4] = {93, 184, 216, 34};
  CHECK(memcmp(ip, want, 4) == 0);
  CHECK(ttl == 3600);
}

TEST_CASE("a CNAME first, then the A record") {
  std::vector<uint8_t> answers = kCname;
  answers.insert(answers.end(), kCnameA.begin(), kCnameA.end());
  const auto p = response(7, 0, answers, 2);
  uint8_t ip[4];
  uint32_t ttl;
  REQUIRE(parse_response(p.data(), (uint16_t)p.size(), 7, ip, &ttl) == kOk);
  const uint8_t want[4] = {10, 0, 0, 7};
  CHECK(memcmp(ip, want, 4) == 0);
  CHECK(ttl == 30);
}

TEST_CASE("errors: other id, a query, NXDOMAIN, no A record, truncation") {
  uint8_t ip[4];
  uint32_t ttl;
  auto p = response(7, 0, kA, 1);
  CHECK(parse_response(p.data(), (uint16_t)p.size(), 8, ip, &ttl) == kNotOurs);
  p[2] &= 0x7F;  // QR = 0: a query, not a response
  CHECK(parse_response(p.data(), (uint16_t)p.size(), 7, ip, &ttl) == kNotOurs);
  const auto nx = response(7, 3, {}, 0);
  CHECK(parse_response(nx.data(), (uint16_t)nx.size(), 7, ip, &ttl) == kServerError);
  const auto cname_only = response(7, 0, kCname, 1);
  CHECK(parse_response(cname_only.data(), (uint16_t)cname_only.size(), 7, ip, &ttl) == kNoAddress);
  const auto full = response(7, 0, kA, 1);
  for (uint16_t n = 0; n < full.size(); ++n) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + n);
    CAPTURE(n);
    const Result r = parse_response(cut.data(), n, 7, ip, &ttl);
    CHECK((r == kMalformed || r == kNotOurs));
  }
}

TEST_CASE("reserved label types are malformed") {
  std::vector<uint8_t> answers = kA;
  answers[0] = 0x80;  // 10xxxxxx is reserved
  const auto p = response(7, 0, answers, 1);
  uint8_t ip[4];
  uint32_t ttl;
  CHECK(parse_response(p.data(), (uint16_t)p.size(), 7, ip, &ttl) == kMalformed);
}

TEST_CASE("dotted-quad literals") {
  uint8_t ip[4];
  REQUIRE(parse_ipv4("127.0.0.1", ip));
  const uint8_t want[4] = {127, 0, 0, 1};
  CHECK(memcmp(ip, want, 4) == 0);
  CHECK(parse_ipv4("255.255.255.255", ip));
  CHECK_FALSE(parse_ipv4("256.0.0.1", ip));
  CHECK_FALSE(parse_ipv4("1.2.3", ip));
  CHECK_FALSE(parse_ipv4("1.2.3.4.5", ip));
  CHECK_FALSE(parse_ipv4("1..3.4", ip));
  CHECK_FALSE(parse_ipv4("1.2.3.4.", ip));
  CHECK_FALSE(parse_ipv4("0001.2.3.4", ip));
  CHECK_FALSE(parse_ipv4("cam.example.com", ip));
  CHECK_FALSE(parse_ipv4("", ip));
}
