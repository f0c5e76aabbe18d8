"""The shield's SD chip select on the simulated board: PD4 (D4) reaches the card model, an empty
slot answers 0xFF, and any two selects low at once count as a bus conflict."""

from __future__ import annotations

import pytest

from simboard import firmware, sketch
from simboard.arducam import Camera
from simboard.rig import rig
from simboard.sdcard import SdCard

pytestmark = pytest.mark.hil

# A bare sketch: 80 clocks with every select high, CMD0 with D4 low (prints the first response
# byte with bit 7 clear, or FF), then one byte with D4 and D10 low together.
SKETCH = r"""
#include <Arduino.h>
#include <SPI.h>
uint8_t command0() {
  const uint8_t frame[] = {0x40, 0, 0, 0, 0, 0x95};
  for (uint8_t b : frame) SPI.transfer(b);
  uint8_t r = 0xFF;
  for (uint8_t i = 0; i < 8 && (r & 0x80); ++i) r = SPI.transfer(0xFF);
  return r;
}
void setup() {
  Serial.begin(115200);
  const uint8_t selects[] = {4, 7, 10};
  for (uint8_t pin : selects) { pinMode(pin, OUTPUT); digitalWrite(pin, HIGH); }
  SPI.begin();
  SPI.beginTransaction(SPISettings(250000, MSBFIRST, SPI_MODE0));
  for (uint8_t i = 0; i < 10; ++i) SPI.transfer(0xFF);
  digitalWrite(4, LOW);
  Serial.print(F("cmd0 "));
  Serial.println(command0(), HEX);
  digitalWrite(10, LOW);
  SPI.transfer(0xFF);
  digitalWrite(10, HIGH);
  digitalWrite(4, HIGH);
  Serial.println(F("done"));
}
void loop() {}
"""


@pytest.fixture(scope="module")
def select_sketch(tmp_path_factory):
    out = tmp_path_factory.mktemp("sd-select")
    source = out / "sd_select.cpp"
    source.write_text(SKETCH)
    return sketch.build([source], [sketch.library("SPI")], out)


@pytest.mark.parametrize("slot, answer", [("card", "cmd0 1"), ("empty", "cmd0 FF")])
def test_d4_reaches_the_card_and_two_selects_conflict(select_sketch, slot, answer):
    card = SdCard(bytearray(1 << 20)) if slot == "card" else None
    with rig(select_sketch, firmware.static_ram_end(select_sketch), Camera(b""), 1,
             "unused.test", sd=card) as (board, _):
        board.wait_for_log("^done", 10)
        assert answer in board.log_text()
        assert board.bus_conflicts == 1
    if card is not None:
        assert card.commands == ["CMD0"] and card.violations == []
