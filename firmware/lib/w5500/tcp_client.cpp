#include "tcp_client.h"

#include <Arduino.h>
#include <avr/wdt.h>

#include "w5500.h"

using namespace w5500;

namespace {
const uint8_t S = kTcpSocket;

NetError socket_fault() {
  if (socket_ir(S) & kIrTimeout) return NetError::kClosed;
  const uint8_t sr = status(S);
  return (sr == kEstablished || sr == kCloseWait) ? NetError::kNone : NetError::kClosed;
}
}  // namespace

NetError TcpClient::connect(const uint8_t ip[4], uint16_t port, uint16_t local_port,
                            uint32_t timeout_ms) {
  unsent_ = 0;
  sending_ = false;
  if (!open(S, kModeTcp, local_port, kInit)) return NetError::kSocket;
  w5500::write(kSnDIPR, reg_block(S), ip, 4);
  write16(kSnDPORT, reg_block(S), port);
  command(S, kConnect);
  const uint32_t start = millis();
  for (;;) {
    wdt_reset();
    const uint8_t sr = status(S);
    if (sr == kEstablished) {
      tx_wr_ = tx_pointer(S);  // the chip sets the pointers while connecting (datasheet)
      return NetError::kNone;
    }
    if (sr == kClosed || (socket_ir(S) & kIrTimeout)) {
      close();
      return NetError::kClosed;  // refused (RST) or no answer within the chip's retries
    }
    if (millis() - start >= timeout_ms) {
      close();
      return NetError::kTimeout;
    }
  }
}

NetError TcpClient::kick() {
  if (sending_) {
    if (!(socket_ir(S) & kIrSendOk)) return socket_fault();
    clear_interrupts(S, kIrSendOk);
    sending_ = false;
  }
  if (unsent_) {
    command(S, kSend);
    unsent_ = 0;
    sending_ = true;
  }
  return NetError::kNone;
}

NetError TcpClient::write(const uint8_t* data, uint16_t n, uint32_t stall_ms) {
  uint32_t progress = millis();
  while (n) {
    wdt_reset();
    NetError e = socket_fault();
    if (e != NetError::kNone) return e;
    // Sn_TX_FSR counts from Sn_TX_WR as of the last SEND back to what the peer acknowledged:
    // bytes written since are ours to take off. (A chip that counts them already makes this
    // conservative, never wrong.)
    const uint16_t free = tx_free(S);
    uint16_t room = free > unsent_ ? (uint16_t)(free - unsent_) : 0;
    if (room == 0) {
      e = kick();
      if (e != NetError::kNone) return e;
      if (millis() - progress >= stall_ms) return NetError::kTimeout;
      continue;
    }
    if (room > n) room = n;
    tx_append(S, &tx_wr_, data, room);
    data += room;
    n = (uint16_t)(n - room);
    unsent_ = (uint16_t)(unsent_ + room);
    progress = millis();
    e = kick();
    if (e != NetError::kNone) return e;
  }
  return NetError::kNone;
}

NetError TcpClient::flush(uint32_t timeout_ms) {
  const uint16_t size = (uint16_t)kTxKb << 10;
  const uint32_t start = millis();
  for (;;) {
    wdt_reset();
    const NetError e = kick();
    if (e != NetError::kNone) return e;
    if (!sending_ && !unsent_ && tx_free(S) == size) return NetError::kNone;
    if (millis() - start >= timeout_ms) return NetError::kTimeout;
  }
}

uint16_t TcpClient::read(uint8_t* dst, uint16_t cap) {
  const uint8_t sr = status(S);
  if (sr != kEstablished && sr != kCloseWait) return 0;  // RECV is only valid in these states
  uint16_t n = rx_available(S);
  if (n == 0) return 0;
  if (n > cap) n = cap;
  uint16_t ptr = rx_pointer(S);
  rx_take(S, &ptr, dst, n);
  rx_release(S, ptr);
  return n;
}

bool TcpClient::readable() {
  const uint8_t sr = status(S);
  return sr == kEstablished || ((sr == kCloseWait) && rx_available(S) > 0);
}

void TcpClient::close() {
  const uint8_t sr = status(S);
  if (sr == kEstablished || sr == kCloseWait) {  // a graceful FIN first
    command(S, kDiscon);
    const uint32_t start = millis();
    while (status(S) != kClosed && millis() - start < 500) wdt_reset();
  }
  command(S, kClose);
  clear_interrupts(S, 0xFF);
  sending_ = false;
  unsent_ = 0;
}
