// The ArduCAM Mini 2MP Plus's ArduChip (CPLD + 8 MB FIFO) over SPI, chip select D7.
// A transaction is: select, one address byte (bit 7 set = write), data, deselect.
// Registers (the vendor's ArduCAM.h): 0x00 test (echoes what was written), 0x01 frames to capture
// minus 1, 0x04 FIFO control (bit0 clear capture-done flag, bit1 start capture, bit4 reset the read
// pointer, bit5 reset the write pointer), 0x07 CPLD reset (0x80 then 0x00), 0x41 status (bit3
// capture done), 0x42-0x44 FIFO length (23 bits), 0x3C burst FIFO read.
//
// Two things the documents disagree on are checked at run time instead of trusted:
// - which FIFO control bit rewinds the read pointer: the vendor's header says bit4, two application
//   notes say bit5. rewind() uses bit4 until use_other_rewind() is called (frame_capture does when
//   the bytes read after a rewind are not the frame's start) and then the other.
// - the SPI clock: 8 MHz is the ArduChip's maximum, but the vendor tested the UNO at 4 MHz, and the
//   module's level shifters sit in between. The bus check and the re-read checks run at 8 MHz first;
//   slow_down() drops to 4 MHz for good when they fail.
//
// Burst reads: each transaction that starts with 0x3C streams FIFO bytes from the read pointer
// for as long as the chip stays selected; the read pointer survives deselection, so a pass over
// the frame may be cut into several transactions (the SPI bus is shared with the W5500). Older
// module revisions start the first burst after a read-pointer reset with a dummy byte; frame_capture
// measures it per frame.
#pragma once
#include <spi_bus.h>
#include <stdint.h>

namespace arduchip {

void begin();
// Resets the CPLD and checks the bus with the test register, at 8 MHz and, if that fails, at 4 MHz.
// False if the camera does not echo at either.
bool reset_and_check();
// The same bus check without the CPLD reset, which may clear the FIFO (undocumented): the boot uses
// it to read a frame a reset of the board (not of the camera) left in the FIFO.
bool check();
void start_capture();          // clears the done flag and starts one capture
bool capture_done();
uint32_t fifo_length();        // bytes written into the FIFO (more than the JPEG: it is padded)
void rewind();                 // read pointer back to the start of the frame
void use_other_rewind();       // the other FIFO control bit from now on
uint8_t rewind_bit();          // the FIFO control bit rewind() writes (0x10 or 0x20)
void slow_down();              // 4 MHz from now on
spi::Clock clock();
// One burst transaction: reads n bytes from the read pointer.
void read_burst(uint8_t* dst, uint16_t n);
// A burst kept open across calls (the scan pass, which does not touch the W5500 meanwhile).
void burst_begin();
void burst_continue(uint8_t* dst, uint16_t n);
void burst_end();

}  // namespace arduchip
