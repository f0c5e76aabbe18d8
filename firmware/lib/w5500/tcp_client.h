// One TCP connection on the W5500's upload socket. Writes go into the socket's TX memory as soon
// as there is room, also while a SEND is on the wire; the next SEND is issued once the previous
// one has finished (SEND_OK), so several KB can be in flight instead of one write per round trip.
// The write pointer is our own copy, so appending while a SEND is pending is right whether the
// chip's Sn_TX_WR reads back at once or only after the SEND. Every wait has a deadline.
#pragma once
#include <stdint.h>

enum class NetError : uint8_t {
  kNone,
  kTimeout,  // no progress within the deadline
  kClosed,   // the peer closed or reset the connection, or TCP retransmission gave up
  kSocket,   // the chip refused to open the socket
};

class TcpClient {
 public:
  NetError connect(const uint8_t ip[4], uint16_t port, uint16_t local_port, uint32_t timeout_ms);
  // Queues n bytes; fails if no TX space frees up for stall_ms.
  NetError write(const uint8_t* data, uint16_t n, uint32_t stall_ms);
  // Waits until everything written has been sent and acknowledged.
  NetError flush(uint32_t timeout_ms);
  // Copies up to cap received bytes; returns how many (0 if none yet).
  uint16_t read(uint8_t* dst, uint16_t cap);
  // True while the peer may still send (connected, or closing with data left to read).
  bool readable();
  void close();

 private:
  NetError kick();  // starts a SEND if the previous one has finished and data is waiting
  uint16_t tx_wr_ = 0;   // our copy of Sn_TX_WR: where the next byte goes (w5500.h, pointers)
  uint16_t unsent_ = 0;  // bytes written since the last SEND
  bool sending_ = false;
};
