// One TCP connection on the W5500's upload socket. Writes go into the socket's TX memory as soon
// as there is room; a SEND is issued whenever the previous one has finished (SEND_OK), so several
// KB can be in flight instead of one write per round trip. Every wait has a deadline.
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
  uint16_t unsent_ = 0;
  bool sending_ = false;
};
