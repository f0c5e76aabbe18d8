#include "udp_socket.h"

#include <Arduino.h>
#include <avr/wdt.h>

#include "w5500.h"

using namespace w5500;

namespace udp {
namespace {
const uint8_t S = kUdpSocket;
}

bool open(uint16_t local_port) { return w5500::open(S, kModeUdp, local_port, kUdp); }

bool send_to(const uint8_t ip[4], uint16_t port, const uint8_t* data, uint16_t n,
             uint32_t timeout_ms) {
  w5500::write(kSnDIPR, reg_block(S), ip, 4);
  write16(kSnDPORT, reg_block(S), port);
  tx_append(S, data, n);
  command(S, kSend);
  const uint32_t start = millis();
  for (;;) {
    wdt_reset();
    const uint8_t ir = socket_ir(S);
    if (ir & (kIrSendOk | kIrTimeout)) {
      clear_interrupts(S, kIrSendOk | kIrTimeout);
      return ir & kIrSendOk;
    }
    if (millis() - start >= timeout_ms) return false;
  }
}

uint16_t receive(uint8_t* dst, uint16_t cap, uint8_t from_ip[4], uint16_t* from_port) {
  if (rx_available(S) < 8) return 0;
  uint8_t header[8];
  rx_take(S, header, 8);
  const uint16_t len = (uint16_t)((header[6] << 8) | header[7]);
  const uint16_t keep = len < cap ? len : cap;
  rx_take(S, dst, keep);
  if (len > keep) rx_take(S, nullptr, (uint16_t)(len - keep));
  command(S, kRecv);
  for (uint8_t i = 0; i < 4; ++i) from_ip[i] = header[i];
  *from_port = (uint16_t)((header[4] << 8) | header[5]);
  return keep;
}

void close() { command(S, kClose); }

}  // namespace udp
