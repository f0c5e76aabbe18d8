#include "dhcp_client.h"

#include <Arduino.h>
#include <dhcp_codec.h>
#include <string.h>
#include <udp_socket.h>
#include <w5500.h>

#include "net_log.h"
#include "serial_log.h"

namespace {
const uint8_t kZero[4] = {0, 0, 0, 0};
const uint8_t kBroadcast[4] = {255, 255, 255, 255};
}  // namespace

// Sends one message and waits up to wait_ms for the matching reply; returns its type, or 0.
uint8_t DhcpClient::exchange(uint8_t type, const uint8_t* ciaddr, const uint8_t* requested,
                             const uint8_t* server, const uint8_t* to, uint32_t wait_ms,
                             dhcp::Reply* reply) {
  dhcp::Request req;
  req.type = (dhcp::MessageType)type;
  req.xid = xid_;
  req.secs = 0;
  req.mac = mac_;
  memcpy(req.ciaddr, ciaddr, 4);
  memcpy(req.requested_ip, requested, 4);
  memcpy(req.server_id, server, 4);
  req.broadcast = to == kBroadcast;
  const uint16_t n = dhcp::build(buf_.data, buf_.size, req);
  if (!udp::open(dhcp::kClientPort) || !udp::send_to(to, dhcp::kServerPort, buf_.data, n, 1000)) {
    return 0;
  }
  const uint32_t start = millis();
  uint16_t len;
  while ((len = udp::receive(buf_.data, buf_.size, dhcp::kServerPort, start, wait_ms)) != 0) {
    if (dhcp::parse(buf_.data, len, xid_, mac_, reply) == dhcp::kOk) {
      udp::close();
      return reply->type;
    }
  }
  udp::close();
  return 0;
}

bool DhcpClient::acquire(uint32_t now_s, uint32_t timeout_ms, uint32_t xid_seed) {
  unbind();
  xid_ = xid_seed;
  dhcp::Reply offer, ack;
  uint32_t wait_ms = 2000;
  const uint32_t start = millis();
  for (uint32_t spent; (spent = millis() - start) < timeout_ms;) {
    ++xid_;
    const uint32_t left = timeout_ms - spent;  // no exchange may outlast the overall timeout
    if (exchange(dhcp::kDiscover, kZero, kZero, kZero, kBroadcast, min(wait_ms, left), &offer) ==
        dhcp::kOffer) {
      const uint32_t rest = timeout_ms - min(timeout_ms, millis() - start);
      const uint8_t t = exchange(dhcp::kRequest, kZero, offer.yiaddr, offer.server_id, kBroadcast,
                                 min(wait_ms, rest), &ack);
      if (t == dhcp::kAck) {
        bind(ack, now_s + (millis() - start) / 1000);
        return true;
      }
      serial_log.println(t == dhcp::kNak ? F("dhcp: NAK, starting over") : F("dhcp: no ACK"));
    }
    if (wait_ms < 16000) wait_ms *= 2;  // RFC 2131 4.1: back off 4, 8, 16 ... seconds
  }
  serial_log.println(F("dhcp: no address"));
  return false;
}

bool DhcpClient::maintain(uint32_t now_s, uint32_t timeout_ms) {
  if (!bound_) return false;
  const dhcp::Phase phase = dhcp::lease_phase(lease_, now_s);
  if (phase == dhcp::kBound || (int32_t)(now_s - next_try_s_) < 0) return true;
  if (phase == dhcp::kExpired) {
    serial_log.println(F("dhcp: lease expired"));
    return acquire(now_s, timeout_ms, xid_ + 1);
  }
  ++xid_;
  dhcp::Reply ack;
  const bool renewing = phase == dhcp::kRenewing;
  serial_log.println(renewing ? F("dhcp: renewing") : F("dhcp: rebinding"));
  const uint8_t t = exchange(dhcp::kRequest, ip_, kZero, kZero, renewing ? server_ : kBroadcast,
                             4000, &ack);
  if (t == dhcp::kAck) {
    ++renewals_;
    bind(ack, now_s);
    return true;
  }
  if (t == dhcp::kNak) {
    serial_log.println(F("dhcp: NAK on renewal"));
    return acquire(now_s, timeout_ms, xid_ + 1);
  }
  next_try_s_ = now_s + dhcp::lease_retry_in_s(lease_, now_s);
  return true;
}

void DhcpClient::bind(const dhcp::Reply& reply, uint32_t now_s) {
  const dhcp::Reply* r = &reply;
  memcpy(ip_, r->yiaddr, 4);
  if (r->server_id[0]) memcpy(server_, r->server_id, 4);
  if (r->dns[0]) memcpy(dns_, r->dns, 4);
  lease_.bound_at_s = now_s;
  lease_.lease_s = r->lease_s ? r->lease_s : 3600;  // a lease without a time: assume an hour
  lease_.t1_s = r->lease_s ? r->t1_s : 1800;
  lease_.t2_s = r->lease_s ? r->t2_s : 3150;
  next_try_s_ = now_s;
  bound_ = true;
  w5500::set_network(ip_, r->subnet, r->router);
  serial_log.print(F("dhcp: bound "));
  log_ip(ip_);
  serial_log.print(F(" mask "));
  log_ip(r->subnet);
  serial_log.print(F(" gw "));
  log_ip(r->router);
  serial_log.print(F(" dns "));
  log_ip(dns_);
  serial_log.print(F(" lease "));
  serial_log.print(lease_.lease_s);
  serial_log.println('s');
}

void DhcpClient::unbind() {
  bound_ = false;
  memset(ip_, 0, 4);
  w5500::set_network(kZero, kZero, kZero);
}
