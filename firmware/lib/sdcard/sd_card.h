// The Ethernet Shield 2's microSD card in SPI mode, chip select D4, read and written in raw 512-byte
// blocks (no file system). Protocol facts (SD Physical Layer Simplified Specification, SPI mode;
// ../shared/docs/facts.md): at most 400 kHz until the card is ready, >= 74 clocks with CS high,
// CMD0 (CRC 0x95) to idle, CMD8 (0x1AA, CRC 0x87) tells SDv2 from v1, ACMD41 (HCS for v2) until
// idle clears, CMD58's OCR CCS bit says block (SDHC) or byte addressing, CMD9's CSD the capacity.
// A block goes out as token 0xFE + 512 bytes + 2 CRC bytes; the card answers a data response
// (xxx0 0101 = accepted) and holds MISO low while busy. The card keeps CS low for a whole block, so
// the bus is never shared with the W5500 or the camera in the middle of one. Every wait has a
// deadline: a card that is absent, slow or broken gives an error, never a hang.
#pragma once
#include <stdint.h>

namespace sd {

const uint16_t kBlockBytes = 512;

enum class Error : uint8_t {
  kNone,
  kNoCard,    // nothing answers CMD0 (the slot is empty)
  kInit,      // the card answered but would not become ready (or is one we do not speak)
  kTimeout,   // a read token or the end of a write's busy did not come in time
  kRejected,  // the card refused a command or a block (data response not "accepted")
  kRange,     // a block number past the card's end
};

const char* error_name(Error e);  // in flash

void begin();  // the select pin, deselected
// Brings the card up; afterwards blocks() is its size. Safe to call again after an error or a
// power cut (a card pulled and put back).
Error init();
bool ready();
uint32_t blocks();
Error read_block(uint32_t block, uint8_t* dst);
Error write_block(uint32_t block, const uint8_t* src);

}  // namespace sd
