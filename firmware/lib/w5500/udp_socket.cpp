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
  uint16_t ptr = tx_pointer(S);
  tx_append(S, &ptr, data, n);
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

uint16_t receive(uint8_t* dst, uint16_t cap, uint16_t from_port, uint32_t start_ms,
                 uint32_t wait_ms) {
  while (millis() - start_ms < wait_ms) {
    wdt_reset();
    if (rx_available(S) < 8) continue;
    uint16_t ptr = rx_pointer(S);  // once per datagram: header and data follow from here
    uint8_t header[8];             // source address, source port, length
    rx_take(S, &ptr, header, 8);
    const uint16_t len = (uint16_t)((header[6] << 8) | header[7]);
    const uint16_t keep = len < cap ? len : cap;
    rx_take(S, &ptr, dst, keep);
    if (len > keep) rx_take(S, &ptr, nullptr, (uint16_t)(len - keep));
    rx_release(S, ptr);
    if (keep && (uint16_t)((header[4] << 8) | header[5]) == from_port) return keep;
  }
  return 0;
}

void close() { command(S, kClose); }

}  // namespace udp
