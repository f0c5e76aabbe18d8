// The ArduCAM Mini 2MP Plus's ArduChip (CPLD + 8 MB FIFO) over SPI, chip select D7.
// A transaction is: select, one address byte (bit 7 set = write), data, deselect.
// Registers: 0x00 test (echoes what was written), 0x01 frames to capture minus 1, 0x04 FIFO
// control (bit0 clear capture-done flag, bit1 start capture, bit4 reset write pointer, bit5 reset
// read pointer), 0x07 CPLD reset (0x80 then 0x00), 0x41 status (bit3 capture done), 0x42-0x44
// FIFO length (23 bits), 0x3C burst FIFO read.
//
// Burst reads: each transaction that starts with 0x3C streams FIFO bytes from the read pointer
// for as long as the chip stays selected; the read pointer survives deselection, so a pass over
// the frame may be cut into several transactions (the SPI bus is shared with the W5500). Module
// revisions differ: some start a burst with a dummy byte, either only the first burst after a
// read-pointer reset or every burst, others never; frame_capture measures which, per frame.
#pragma once
#include <stdint.h>

namespace arduchip {

void begin();
// Resets the CPLD and checks the bus with the test register. False if the camera does not echo.
bool reset_and_check();
void start_capture();          // clears the done flag and starts one capture
bool capture_done();
uint32_t fifo_length();        // bytes written into the FIFO (more than the JPEG: it is padded)
void rewind();                 // read pointer back to the start of the frame
// One burst transaction: reads n bytes from the read pointer.
void read_burst(uint8_t* dst, uint16_t n);
// A burst kept open across calls (the scan pass, which does not touch the W5500 meanwhile).
void burst_begin();
void burst_continue(uint8_t* dst, uint16_t n);
void burst_end();

}  // namespace arduchip
