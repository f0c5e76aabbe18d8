// DHCP client over the W5500's UDP socket: acquires an address (DISCOVER, OFFER, REQUEST, ACK),
// renews it with the granting server from T1, rebinds with any server from T2, and starts over
// when the lease expires. Applies the address, mask and gateway to the chip.
#pragma once
#include <dhcp_codec.h>
#include <dhcp_lease.h>
#include <stdint.h>

#include "net_buffer.h"

class DhcpClient {
 public:
  DhcpClient(const uint8_t* mac, NetBuffer buffer) : mac_(mac), buf_(buffer) {}
  // Tries for at most timeout_ms; false if no server granted an address.
  bool acquire(uint32_t now_s, uint32_t timeout_ms, uint32_t xid_seed);
  // Keeps the lease alive; call often. Returns false when there is no address (anymore).
  bool maintain(uint32_t now_s, uint32_t timeout_ms);
  bool bound() const { return bound_; }
  const uint8_t* dns_server() const { return dns_; }
  uint16_t renewals() const { return renewals_; }  // leases renewed or rebound since boot

 private:
  uint8_t exchange(uint8_t type, const uint8_t* ciaddr, const uint8_t* requested,
                   const uint8_t* server, const uint8_t* to, uint32_t wait_ms, dhcp::Reply* reply);
  void bind(const dhcp::Reply& reply, uint32_t now_s);
  void unbind();

  // A member of the global CameraBoard: its members start at zero (static storage), and only the
  // others are initialised here (each initialiser is code in the global constructor).
  const uint8_t* mac_;
  NetBuffer buf_;
  uint32_t xid_ = 1;
  bool bound_;
  uint8_t ip_[4];
  uint8_t server_[4];
  uint8_t dns_[4];
  dhcp::Lease lease_;
  uint32_t next_try_s_;
  uint16_t renewals_;
};
