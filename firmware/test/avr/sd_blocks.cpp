// The firmware's SD driver (firmware/lib/sdcard) on a card: tests/hil/test_sd_driver.py runs it on
// the simulated card model. It initialises the card, writes blocks 1..4 with a pattern, reads them
// back and prints one line a step:
//   init <error name> <blocks>       write <n> <error name>       read <n> <error name> <hex>
// then "done"; after a failed write it initialises the card again once and retries that block.
#include <Arduino.h>
#include <sd_card.h>
#include <spi_bus.h>

namespace {

uint8_t block[sd::kBlockBytes];

void print_error(sd::Error e) {
  Serial.print(reinterpret_cast<const __FlashStringHelper*>(sd::error_name(e)));
}

void fill(uint32_t n) {
  for (uint16_t i = 0; i < sd::kBlockBytes; ++i) block[i] = (uint8_t)(n * 31 + i * 7);
}

sd::Error init_card() {
  const sd::Error e = sd::init();
  Serial.print(F("init "));
  print_error(e);
  Serial.print(' ');
  Serial.println(sd::blocks());
  return e;
}

}  // namespace

void setup() {
  Serial.begin(115200);
  spi::begin();
  sd::begin();
  if (init_card() != sd::Error::kNone) {
    Serial.println(F("done"));
    return;
  }
  for (uint32_t n = 1; n <= 4; ++n) {
    fill(n);
    sd::Error e = sd::write_block(n, block);
    if (e != sd::Error::kNone && init_card() == sd::Error::kNone) {
      fill(n);
      e = sd::write_block(n, block);
    }
    Serial.print(F("write "));
    Serial.print(n);
    Serial.print(' ');
    print_error(e);
    Serial.println();
  }
  for (uint32_t n = 1; n <= 4; ++n) {
    const sd::Error e = sd::read_block(n, block);
    Serial.print(F("read "));
    Serial.print(n);
    Serial.print(' ');
    print_error(e);
    Serial.print(' ');
    for (uint16_t i = 0; i < 16 && e == sd::Error::kNone; ++i) {
      if (block[i] < 16) Serial.print('0');
      Serial.print(block[i], HEX);
    }
    Serial.println();
  }
  Serial.print(F("read past the end: "));
  print_error(sd::read_block(sd::blocks(), block));
  Serial.println();
  Serial.println(F("done"));
}

void loop() {}
