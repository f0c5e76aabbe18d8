// Datagrams on the W5500's UDP socket, for DHCP and DNS. Received datagrams carry the chip's
// 8-byte header (source address, port, length); a datagram longer than the caller's buffer is
// truncated and the rest discarded.
#pragma once
#include <stdint.h>

namespace udp {

bool open(uint16_t local_port);
// Sends one datagram; waits for SEND_OK (ARP included) at most timeout_ms.
bool send_to(const uint8_t ip[4], uint16_t port, const uint8_t* data, uint16_t n,
             uint32_t timeout_ms);
// Takes the next datagram if there is one: returns its length (capped at cap), 0 if none.
uint16_t receive(uint8_t* dst, uint16_t cap, uint8_t from_ip[4], uint16_t* from_port);
void close();

}  // namespace udp
