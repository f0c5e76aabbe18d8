// WIZnet W5500 over SPI: variable-length frames (16-bit offset, control byte = block << 3 |
// write << 2 | mode 00, then data), chip select D10. Register map from the W5500 datasheet.
// Everything is polled; the INTn pin is not used.
#pragma once
#include <stdint.h>

namespace w5500 {

// Common registers (block 0).
enum : uint16_t {
  kMR = 0x0000, kGAR = 0x0001, kSUBR = 0x0005, kSHAR = 0x0009, kSIPR = 0x000F,
  kRTR = 0x0019, kRCR = 0x001B, kPHYCFGR = 0x002E, kVERSIONR = 0x0039,
};

// Socket registers (block s*4+1).
enum : uint16_t {
  kSnMR = 0x00, kSnCR = 0x01, kSnIR = 0x02, kSnSR = 0x03, kSnPORT = 0x04, kSnDIPR = 0x0C,
  kSnDPORT = 0x10, kSnRXBUF_SIZE = 0x1E, kSnTXBUF_SIZE = 0x1F, kSnTX_FSR = 0x20,
  kSnTX_WR = 0x24, kSnRX_RSR = 0x26, kSnRX_RD = 0x28,
};

enum : uint8_t {  // Sn_MR protocol
  kModeTcp = 0x01, kModeUdp = 0x02,
};
enum : uint8_t {  // Sn_CR commands
  kOpen = 0x01, kConnect = 0x04, kDiscon = 0x08, kClose = 0x10, kSend = 0x20, kRecv = 0x40,
};
enum : uint8_t {  // Sn_IR bits
  kIrCon = 0x01, kIrDiscon = 0x02, kIrRecv = 0x04, kIrTimeout = 0x08, kIrSendOk = 0x10,
};
enum : uint8_t {  // Sn_SR states
  kClosed = 0x00, kInit = 0x13, kEstablished = 0x17, kCloseWait = 0x1C, kUdp = 0x22,
};

// Socket plan: one hardware socket, 0, with all 16 KB of TX memory, serves in turn the UDP
// exchanges (DHCP, DNS) and the TCP upload, which never overlap in this firmware. The W5500 takes
// one SEND at a time (the next only after SEND_OK, when all of it is acknowledged), so about half
// the TX memory is on the wire per round trip: measured in the simulator at 30 ms RTT, 8 KB gave
// 130 KB/s and 16 KB about twice that (the stock library's 2 KB: about 65 KB/s at best).
// Sockets 1-7 get no memory.
const uint8_t kTcpSocket = 0;
const uint8_t kUdpSocket = 0;
const uint8_t kTxKb = 16;
const uint8_t kRxKb = 2;

void begin();
// Software reset through MR, then checks VERSIONR (0x04), sets the socket memory plan and the
// retransmission timers. False if the chip does not answer.
bool reset();
bool link_up();
// PHYCFGR (datasheet 2.2 common registers): bit 0 link up, bit 1 100 Mbit/s (else 10), bit 2 full
// duplex.
uint8_t phy();
void set_mac(const uint8_t mac[6]);
void set_network(const uint8_t ip[4], const uint8_t subnet[4], const uint8_t gateway[4]);

void read(uint16_t offset, uint8_t block, uint8_t* dst, uint16_t n);
void write(uint16_t offset, uint8_t block, const uint8_t* src, uint16_t n);
uint8_t read8(uint16_t offset, uint8_t block);
void write8(uint16_t offset, uint8_t block, uint8_t value);
void write16(uint16_t offset, uint8_t block, uint16_t value);

inline uint8_t reg_block(uint8_t s) { return (uint8_t)(s * 4 + 1); }
inline uint8_t tx_block(uint8_t s) { return (uint8_t)(s * 4 + 2); }
inline uint8_t rx_block(uint8_t s) { return (uint8_t)(s * 4 + 3); }

// Socket helpers.
uint8_t status(uint8_t s);
uint8_t socket_ir(uint8_t s);
void clear_interrupts(uint8_t s, uint8_t bits);
void command(uint8_t s, uint8_t cmd);  // writes Sn_CR and waits until the chip has taken it
uint16_t tx_free(uint8_t s);           // Sn_TX_FSR, read until two reads agree
uint16_t rx_available(uint8_t s);      // Sn_RX_RSR, likewise

// Buffer pointers. Sn_TX_WR and Sn_RX_RD take effect only at SEND and RECV: until then a read
// returns the value as of the last command, and Sn_TX_FSR does not count bytes written but not yet
// sent (facts.md; the Arduino Ethernet library relies on it). So a driver reads each pointer once,
// keeps its own copy, and writes the copy back before the command: right on either behaviour.
uint16_t tx_pointer(uint8_t s);  // Sn_TX_WR as of the last SEND
uint16_t rx_pointer(uint8_t s);  // Sn_RX_RD as of the last RECV
// Copies n bytes into TX memory at *ptr (split at the end of the socket's buffer), advances *ptr
// and writes it to Sn_TX_WR. The bytes go out at the next SEND.
void tx_append(uint8_t s, uint16_t* ptr, const uint8_t* src, uint16_t n);
// Copies n bytes from RX memory at *ptr (dst may be null to skip them) and advances *ptr.
void rx_take(uint8_t s, uint16_t* ptr, uint8_t* dst, uint16_t n);
// Writes Sn_RX_RD = ptr and issues RECV: the bytes before ptr are the chip's again.
void rx_release(uint8_t s, uint16_t ptr);
// Opens socket s in `mode` on local `port`; true once Sn_SR shows `expect`.
bool open(uint8_t s, uint8_t mode, uint16_t port, uint8_t expect);

}  // namespace w5500
