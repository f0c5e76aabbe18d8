// The firmware's own OV2640 set-up (firmware/lib/arducam) for each resolution it offers, on the
// simulated sensor: the differential test compares the registers it leaves with the vendor's.
// Prints "init <i> ok|failed" after each, as arducam_conformance.cpp does.
#include <Arduino.h>
#include <arduchip.h>
#include <ov2640.h>
#include <sccb.h>
#include <spi_bus.h>

#include "conformance_config.h"

void setup() {
  Serial.begin(115200);
  spi::begin();
  arduchip::begin();
  sccb::begin();
  for (uint8_t r = ov2640::k640x480; r <= ov2640::k1600x1200; ++r) {
    const bool ok = ov2640::init_jpeg((ov2640::Resolution)r, CONF_QUALITY);
    Serial.print(F("init "));
    Serial.print(r);
    Serial.println(ok ? F(" ok") : F(" failed"));
    delay(100);
  }
}

void loop() {}
