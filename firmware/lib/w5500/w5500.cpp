#include "w5500.h"

#include <Arduino.h>
#include <spi_bus.h>

namespace w5500 {
namespace {

inline void select() {
  spi::set_clock(spi::k8MHz);
  PORTB &= ~_BV(PB2);
}
inline void deselect() { PORTB |= _BV(PB2); }

void frame(uint16_t offset, uint8_t control) {
  select();
  spi::transfer((uint8_t)(offset >> 8));
  spi::transfer((uint8_t)offset);
  spi::transfer(control);
}

uint16_t read16(uint16_t offset, uint8_t block) {
  uint8_t b[2];
  read(offset, block, b, 2);
  return (uint16_t)((b[0] << 8) | b[1]);
}

// The datasheet asks for Sn_TX_FSR and Sn_RX_RSR to be read until two reads agree.
uint16_t read16_stable(uint16_t offset, uint8_t block) {
  uint16_t a = read16(offset, block);
  for (uint8_t i = 0; i < 8; ++i) {
    const uint16_t b = read16(offset, block);
    if (a == b) break;
    a = b;
  }
  return a;
}

// Copies n bytes at buffer pointer `ptr` of a socket buffer of `kb` KB, splitting at the end.
void buffer_io(uint8_t block, uint8_t kb, uint16_t ptr, uint8_t* data, uint16_t n, bool to_chip) {
  const uint16_t size = (uint16_t)kb << 10;
  while (n) {
    const uint16_t at = ptr & (size - 1);
    uint16_t part = size - at;
    if (part > n) part = n;
    if (to_chip) {
      write(at, block, data, part);
    } else if (data) {
      read(at, block, data, part);
    }
    if (data) data += part;
    ptr = (uint16_t)(ptr + part);
    n = (uint16_t)(n - part);
  }
}

}  // namespace

void begin() {
  deselect();
  DDRB |= _BV(PB2);
}

void read(uint16_t offset, uint8_t block, uint8_t* dst, uint16_t n) {
  frame(offset, (uint8_t)(block << 3));
  spi::read_block(dst, n);
  deselect();
}

void write(uint16_t offset, uint8_t block, const uint8_t* src, uint16_t n) {
  frame(offset, (uint8_t)((block << 3) | 0x04));
  spi::write_block(src, n);
  deselect();
}

uint8_t read8(uint16_t offset, uint8_t block) {
  uint8_t v;
  read(offset, block, &v, 1);
  return v;
}

void write8(uint16_t offset, uint8_t block, uint8_t value) { write(offset, block, &value, 1); }

void write16(uint16_t offset, uint8_t block, uint16_t value) {
  const uint8_t b[2] = {(uint8_t)(value >> 8), (uint8_t)value};
  write(offset, block, b, 2);
}

bool reset() {
  write8(kMR, 0, 0x80);
  const uint32_t start = millis();
  while (read8(kMR, 0) & 0x80) {
    if (millis() - start > 100) return false;
  }
  if (read8(kVERSIONR, 0) != 0x04) return false;
  for (uint8_t s = 1; s < 8; ++s) {  // release the other sockets' memory before handing it out
    write8(kSnTXBUF_SIZE, reg_block(s), 0);
    write8(kSnRXBUF_SIZE, reg_block(s), 0);
  }
  write8(kSnTXBUF_SIZE, reg_block(0), kTxKb);
  write8(kSnRXBUF_SIZE, reg_block(0), kRxKb);
  write16(kRTR, 0, 2000);  // 200 ms first retransmission timeout (units of 100 us)
  write8(kRCR, 0, 8);      // retransmissions before Sn_IR TIMEOUT
  return true;
}

uint8_t phy() { return read8(kPHYCFGR, 0); }
bool link_up() { return phy() & 0x01; }

void set_mac(const uint8_t mac[6]) { write(kSHAR, 0, mac, 6); }

void set_network(const uint8_t ip[4], const uint8_t subnet[4], const uint8_t gateway[4]) {
  write(kSIPR, 0, ip, 4);
  write(kSUBR, 0, subnet, 4);
  write(kGAR, 0, gateway, 4);
}

uint8_t status(uint8_t s) { return read8(kSnSR, reg_block(s)); }
uint8_t socket_ir(uint8_t s) { return read8(kSnIR, reg_block(s)); }
void clear_interrupts(uint8_t s, uint8_t bits) { write8(kSnIR, reg_block(s), bits); }

void command(uint8_t s, uint8_t cmd) {
  write8(kSnCR, reg_block(s), cmd);
  const uint32_t start = millis();
  while (read8(kSnCR, reg_block(s)) && millis() - start < 100) {
  }
}

uint16_t tx_free(uint8_t s) { return read16_stable(kSnTX_FSR, reg_block(s)); }
uint16_t rx_available(uint8_t s) { return read16_stable(kSnRX_RSR, reg_block(s)); }

uint16_t tx_pointer(uint8_t s) { return read16(kSnTX_WR, reg_block(s)); }
uint16_t rx_pointer(uint8_t s) { return read16(kSnRX_RD, reg_block(s)); }

void tx_append(uint8_t s, uint16_t* ptr, const uint8_t* src, uint16_t n) {
  buffer_io(tx_block(s), kTxKb, *ptr, const_cast<uint8_t*>(src), n, true);
  *ptr = (uint16_t)(*ptr + n);
  write16(kSnTX_WR, reg_block(s), *ptr);
}

void rx_take(uint8_t s, uint16_t* ptr, uint8_t* dst, uint16_t n) {
  buffer_io(rx_block(s), kRxKb, *ptr, dst, n, false);
  *ptr = (uint16_t)(*ptr + n);
}

void rx_release(uint8_t s, uint16_t ptr) {
  write16(kSnRX_RD, reg_block(s), ptr);
  command(s, kRecv);
}

bool open(uint8_t s, uint8_t mode, uint16_t port, uint8_t expect) {
  command(s, kClose);
  clear_interrupts(s, 0xFF);
  write8(kSnMR, reg_block(s), mode);
  write16(kSnPORT, reg_block(s), port);
  command(s, kOpen);
  return status(s) == expect;
}

}  // namespace w5500
