// Datagrams on the W5500's UDP socket, for DHCP and DNS. A received datagram longer than the
// caller's buffer is truncated and the rest discarded.
#pragma once
#include <stdint.h>

namespace udp {

bool open(uint16_t local_port);
// Sends one datagram; waits for SEND_OK (ARP included) at most timeout_ms.
bool send_to(const uint8_t ip[4], uint16_t port, const uint8_t* data, uint16_t n,
             uint32_t timeout_ms);
// Waits until wait_ms after start_ms for the next non-empty datagram from source port from_port
// (others are dropped): returns its length (capped at cap), 0 once the time is up.
uint16_t receive(uint8_t* dst, uint16_t cap, uint16_t from_port, uint32_t start_ms,
                 uint32_t wait_ms);
void close();

}  // namespace udp
