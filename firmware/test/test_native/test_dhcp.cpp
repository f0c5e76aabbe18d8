#include <dhcp_codec.h>
#include <dhcp_lease.h>
#include <doctest.h>
#include <string.h>

#include <vector>

using namespace dhcp;

namespace {

const uint8_t kMac[6] = {0x02, 0x53, 0x4D, 0x00, 0x00, 0x01};

// A server reply laid out by hand from RFC 2131 figure 1 and RFC 2132.
std::vector<uint8_t> reply(uint8_t type, uint32_t xid, std::vector<uint8_t> options) {
  std::vector<uint8_t> p(240, 0);
  p[0] = 2;
  p[1] = 1;
  p[2] = 6;
  p[4] = (uint8_t)(xid >> 24);
  p[5] = (uint8_t)(xid >> 16);
  p[6] = (uint8_t)(xid >> 8);
  p[7] = (uint8_t)xid;
  const uint8_t yiaddr[4] = {192, 168, 1, 50};
  memcpy(&p[16], yiaddr, 4);
  memcpy(&p[28], kMac, 6);
  const uint8_t cookie[4] = {0x63, 0x82, 0x53, 0x63};
  memcpy(&p[236], cookie, 4);
  p.push_back(53);
  p.push_back(1);
  p.push_back(type);
  p.insert(p.end(), options.begin(), options.end());
  p.push_back(255);
  return p;
}

const std::vector<uint8_t> kLeaseOptions = {
    54, 4, 192, 168, 1, 1,            // server id
    1, 4, 255, 255, 255, 0,           // subnet
    3, 8, 192, 168, 1, 1, 10, 0, 0, 1,  // two routers: the first is used
    6, 4, 9, 9, 9, 9,                 // DNS
    51, 4, 0, 0, 0x0E, 0x10,          // lease 3600 s
};

}  // namespace

TEST_CASE("DISCOVER: fixed fields and options, byte by byte") {
  Request r = {};
  r.type = kDiscover;
  r.xid = 0x12345678;
  r.mac = kMac;
  r.broadcast = true;
  uint8_t buf[548];
  const uint16_t n = build(buf, sizeof(buf), r);
  REQUIRE(n == 300);
  CHECK(buf[0] == 1);
  CHECK(buf[1] == 1);
  CHECK(buf[2] == 6);
  CHECK(buf[3] == 0);
  const uint8_t xid[4] = {0x12, 0x34, 0x56, 0x78};
  CHECK(memcmp(buf + 4, xid, 4) == 0);
  CHECK(buf[10] == 0x80);
  CHECK(buf[11] == 0);
  CHECK(memcmp(buf + 28, kMac, 6) == 0);
  const uint8_t cookie[4] = {99, 130, 83, 99};
  CHECK(memcmp(buf + 236, cookie, 4) == 0);
  const uint8_t options[] = {53, 1, 1, 61, 7, 1, 0x02, 0x53, 0x4D, 0, 0, 1,
                             55, 6, 1, 3, 6, 51, 58, 59, 255};
  CHECK(memcmp(buf + 240, options, sizeof(options)) == 0);
  for (uint16_t i = 240 + sizeof(options); i < n; ++i) CHECK(buf[i] == 0);
}

TEST_CASE("REQUEST while selecting carries the offered address and the server id") {
  Request r = {};
  r.type = kRequest;
  r.xid = 7;
  r.mac = kMac;
  const uint8_t ip[4] = {192, 168, 1, 50}, server[4] = {192, 168, 1, 1};
  memcpy(r.requested_ip, ip, 4);
  memcpy(r.server_id, server, 4);
  uint8_t buf[548];
  REQUIRE(build(buf, sizeof(buf), r) == 300);
  const uint8_t options[] = {53, 1, 3, 61, 7, 1, 0x02, 0x53, 0x4D, 0, 0, 1,
                             50, 4, 192, 168, 1, 50, 54, 4, 192, 168, 1, 1};
  CHECK(memcmp(buf + 240, options, sizeof(options)) == 0);
  CHECK(buf[10] == 0);  // unicast reply allowed
}

TEST_CASE("REQUEST when renewing: ciaddr set, no requested ip, no server id") {
  Request r = {};
  r.type = kRequest;
  r.xid = 8;
  r.mac = kMac;
  const uint8_t ip[4] = {10, 1, 2, 3};
  memcpy(r.ciaddr, ip, 4);
  uint8_t buf[548];
  REQUIRE(build(buf, sizeof(buf), r) == 300);
  CHECK(memcmp(buf + 12, ip, 4) == 0);
  CHECK(buf[240 + 12] == 55);  // straight from the client id to the parameter list
}

TEST_CASE("build refuses a buffer below the BOOTP minimum") {
  Request r = {};
  r.type = kDiscover;
  r.mac = kMac;
  uint8_t buf[299];
  CHECK(build(buf, sizeof(buf), r) == 0);
}

TEST_CASE("ACK: address, mask, first router, DNS, lease and default T1/T2") {
  const auto p = reply(kAck, 0xCAFE, kLeaseOptions);
  Reply out;
  REQUIRE(parse(p.data(), (uint16_t)p.size(), 0xCAFE, kMac, &out) == kOk);
  CHECK(out.type == kAck);
  const uint8_t ip[4] = {192, 168, 1, 50}, mask[4] = {255, 255, 255, 0}, gw[4] = {192, 168, 1, 1};
  const uint8_t dns[4] = {9, 9, 9, 9};
  CHECK(memcmp(out.yiaddr, ip, 4) == 0);
  CHECK(memcmp(out.subnet, mask, 4) == 0);
  CHECK(memcmp(out.router, gw, 4) == 0);
  CHECK(memcmp(out.server_id, gw, 4) == 0);
  CHECK(memcmp(out.dns, dns, 4) == 0);
  CHECK(out.lease_s == 3600);
  CHECK(out.t1_s == 1800);
  CHECK(out.t2_s == 3150);
}

TEST_CASE("explicit T1/T2 are kept; pads are skipped; odd timers are clamped to the lease") {
  auto opts = kLeaseOptions;
  const std::vector<uint8_t> timers = {0, 0, 58, 4, 0, 0, 0, 100, 59, 4, 0, 0, 0, 200};
  opts.insert(opts.end(), timers.begin(), timers.end());
  auto p = reply(kAck, 1, opts);
  Reply out;
  REQUIRE(parse(p.data(), (uint16_t)p.size(), 1, kMac, &out) == kOk);
  CHECK(out.t1_s == 100);
  CHECK(out.t2_s == 200);
  const std::vector<uint8_t> odd = {51, 4, 0, 0, 0, 50, 58, 4, 0, 0, 0, 90, 59, 4, 0, 0, 0, 80};
  p = reply(kAck, 1, odd);
  REQUIRE(parse(p.data(), (uint16_t)p.size(), 1, kMac, &out) == kOk);
  CHECK(out.t2_s == 50);
  CHECK(out.t1_s == 50);
}

TEST_CASE("replies for someone else are told apart from broken ones") {
  const auto p = reply(kOffer, 5, kLeaseOptions);
  Reply out;
  CHECK(parse(p.data(), (uint16_t)p.size(), 6, kMac, &out) == kNotForUs);
  const uint8_t other[6] = {0x02, 0, 0, 0, 0, 9};
  CHECK(parse(p.data(), (uint16_t)p.size(), 5, other, &out) == kNotForUs);
  auto request = p;
  request[0] = 1;
  CHECK(parse(request.data(), (uint16_t)request.size(), 5, kMac, &out) == kNotForUs);
  auto bad_cookie = p;
  bad_cookie[236] = 0;
  CHECK(parse(bad_cookie.data(), (uint16_t)bad_cookie.size(), 5, kMac, &out) == kMalformed);
  CHECK(parse(p.data(), 239, 5, kMac, &out) == kMalformed);
}

TEST_CASE("an option running past the end, or no message type, is malformed") {
  auto p = reply(kOffer, 5, {});
  p.pop_back();          // drop the end option
  p.push_back(51);
  p.push_back(4);
  p.push_back(0);        // 4 announced, 1 present
  Reply out;
  CHECK(parse(p.data(), (uint16_t)p.size(), 5, kMac, &out) == kMalformed);
  auto q = reply(kOffer, 5, {});
  q[242] = 0;  // the type option's value: 0 is no type
  CHECK(parse(q.data(), (uint16_t)q.size(), 5, kMac, &out) == kMalformed);
}

TEST_CASE("every truncation of a valid reply parses or fails cleanly") {
  const auto p = reply(kAck, 3, kLeaseOptions);
  for (uint16_t n = 0; n <= p.size(); ++n) {
    std::vector<uint8_t> cut(p.begin(), p.begin() + n);  // exact size: ASan sees overreads
    Reply out;
    const ParseResult r = parse(cut.data(), n, 3, kMac, &out);
    CHECK((r == kOk || r == kMalformed));
  }
}

TEST_CASE("lease phases: bound, renewing at T1, rebinding at T2, expired at the end") {
  const Lease l = {1000, 3600, 1800, 3150};
  CHECK(lease_phase(l, 1000) == kBound);
  CHECK(lease_phase(l, 2799) == kBound);
  CHECK(lease_phase(l, 2800) == kRenewing);
  CHECK(lease_phase(l, 4149) == kRenewing);
  CHECK(lease_phase(l, 4150) == kRebinding);
  CHECK(lease_phase(l, 4599) == kRebinding);
  CHECK(lease_phase(l, 4600) == kExpired);
  const Lease forever = {0, kInfinite, kInfinite, kInfinite};
  CHECK(lease_phase(forever, 4000000000u) == kBound);
}

TEST_CASE("renewal retries: half the time left, at least 60 s, never past the phase") {
  const Lease l = {0, 3600, 1800, 3150};
  CHECK(lease_retry_in_s(l, 1800) == 675);   // (3150-1800)/2
  CHECK(lease_retry_in_s(l, 3100) == 50);    // 50 s left before T2
  CHECK(lease_retry_in_s(l, 3000) == 75);
  CHECK(lease_retry_in_s(l, 3150) == 225);   // rebinding: (3600-3150)/2
  CHECK(lease_retry_in_s(l, 3590) == 10);
}
