// Conformance sketch: the unmodified Arduino SD library's Sd2Card (../shared/oracles/arduino-sd,
// src/utility/Sd2Card.cpp) driving the simulated card in the Ethernet Shield 2's slot (chip
// select D4). It prints lines that tests/conformance reads:
//   init ok type <t> | init failed <error code> <error data>   Sd2Card::init(SPI_HALF_SPEED, 4)
//   size <blocks>                     Sd2Card::cardSize() (from the CSD)
//   write <n> ok | write <n> failed <error code>               writeBlock(n) of pattern(n)
//   multi <n> <count> ok | multi ... failed <error code>       writeStart, writeData, writeStop
//   reinit ok | reinit failed <error code>                     init again after a failed write
//   read <n> <hex> | read <n> failed <error code>              readBlock(n), 512 bytes
//   done
// pattern(n) byte i is (n * 31 + i * 7) mod 256: the test computes the same.
#include <Arduino.h>
#include <SPI.h>
#include <utility/Sd2Card.h>

namespace {

Sd2Card card;
uint8_t buffer[512];
const uint8_t kChipSelect = 4;  // the shield's microSD slot (facts)

void fill(uint32_t block) {
  for (uint16_t i = 0; i < 512; ++i) buffer[i] = (uint8_t)(block * 31 + i * 7);
}

void print_hex(uint8_t b) {
  if (b < 16) Serial.print('0');
  Serial.print(b, HEX);
}

bool init_card(const __FlashStringHelper* what) {
  Serial.print(what);
  if (card.init(SPI_HALF_SPEED, kChipSelect)) {
    Serial.print(F(" ok type "));
    Serial.println(card.type());
    return true;
  }
  Serial.print(F(" failed "));
  Serial.print(card.errorCode());
  Serial.print(' ');
  Serial.println(card.errorData());
  return false;
}

void failed() {
  Serial.print(F(" failed "));
  Serial.println(card.errorCode());
  init_card(F("reinit"));  // a card that lost power needs its init again
}

void write_single(uint32_t block) {
  fill(block);
  Serial.print(F("write "));
  Serial.print(block);
  if (card.writeBlock(block, buffer)) {
    Serial.println(F(" ok"));
  } else {
    failed();
  }
}

void write_multi(uint32_t first, uint8_t count) {
  Serial.print(F("multi "));
  Serial.print(first);
  Serial.print(' ');
  Serial.print(count);
  bool ok = card.writeStart(first, count);
  for (uint8_t i = 0; ok && i < count; ++i) {
    fill(first + i);
    ok = card.writeData(buffer);
  }
  if (ok && card.writeStop()) {
    Serial.println(F(" ok"));
  } else {
    failed();
  }
}

void read(uint32_t block) {
  Serial.print(F("read "));
  Serial.print(block);
  if (!card.readBlock(block, buffer)) {
    Serial.print(F(" failed "));
    Serial.println(card.errorCode());
    return;
  }
  Serial.print(' ');
  for (uint16_t i = 0; i < 512; ++i) print_hex(buffer[i]);
  Serial.println();
}

}  // namespace

void setup() {
  Serial.begin(115200);
  pinMode(10, OUTPUT);  // the W5500 and the ArduCAM stay deselected
  digitalWrite(10, HIGH);
  pinMode(7, OUTPUT);
  digitalWrite(7, HIGH);
  if (init_card(F("init"))) {
    Serial.print(F("size "));
    Serial.println(card.cardSize());
    read(1);  // before any write: the image as it was
    write_single(1);
    write_single(2);
    write_multi(3, 3);
    for (uint32_t block = 1; block <= 6; ++block) read(block);
    read(card.cardSize() - 1);
  }
  Serial.println(F("done"));
}

void loop() {}
