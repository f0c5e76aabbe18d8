// Conformance sketch: the unmodified ArduCAM library (../shared/oracles/arducam) on the simulated
// Mini 2MP Plus. It prints lines that tests/conformance reads:
//   init <i> ok            InitCAM() then OV2640_set_JPEG_size(kSizes[i]) and the JPEG quality:
//                          the test records the sensor's registers here
//   length <n>             a capture finished; the FIFO holds n bytes
//   pass <p>: <hex>        the bytes from FF D8 through FF D9 of read pass p: 1 in one burst,
//                          2 in 256-byte bursts after a read-pointer reset, 3 after another reset
// The test generates conformance_config.h (CONF_QUALITY, the JPEG quantisation scale).
#include <Arduino.h>
#include <ArduCAM.h>
#include <SPI.h>
#include <Wire.h>

#include "conformance_config.h"

namespace {

ArduCAM cam(OV2640, 7);
const uint8_t kSizes[] = {OV2640_640x480, OV2640_800x600, OV2640_1024x768, OV2640_1280x1024,
                          OV2640_1600x1200};

// Prints the JPEG in the stream as hex, one byte a call; returns true after its FF D9.
struct HexJpeg {
  uint8_t last = 0;
  bool inside = false;
  bool feed(uint8_t b) {
    if (!inside && last == 0xFF && b == 0xD8) {
      inside = true;
      print(0xFF);
    }
    if (inside) print(b);
    const bool end = inside && last == 0xFF && b == 0xD9;
    last = b;
    return end;
  }
  static void print(uint8_t b) {
    if (b < 16) Serial.print('0');
    Serial.print(b, HEX);
  }
};

void pass_in_one_burst(uint32_t length) {
  Serial.print(F("pass 1: "));
  HexJpeg hex;
  cam.CS_LOW();
  cam.set_fifo_burst();
  while (length--) {
    if (hex.feed(SPI.transfer(0x00))) break;
  }
  cam.CS_HIGH();
  Serial.println();
}

void pass_in_bursts(uint8_t pass, uint32_t length) {
  cam.write_reg(ARDUCHIP_FIFO, FIFO_RDPTR_RST_MASK);
  Serial.print(F("pass "));
  Serial.print(pass);
  Serial.print(F(": "));
  HexJpeg hex;
  bool done = false;
  while (length && !done) {  // as the vendor's Multi_Capture2SD example: a new burst each 256 bytes
    cam.CS_LOW();
    cam.set_fifo_burst();
    for (uint16_t i = 0; i < 256 && length && !done; ++i, --length) {
      done = hex.feed(SPI.transfer(0x00));
    }
    cam.CS_HIGH();
  }
  Serial.println();
}

}  // namespace

void setup() {
  Serial.begin(115200);
  pinMode(10, OUTPUT);  // the W5500 and the SD card stay deselected
  digitalWrite(10, HIGH);
  pinMode(4, OUTPUT);
  digitalWrite(4, HIGH);
  pinMode(7, OUTPUT);
  digitalWrite(7, HIGH);
  Wire.begin();
  SPI.begin();
  cam.write_reg(0x07, 0x80);  // CPLD reset, as the vendor's examples do
  delay(100);
  cam.write_reg(0x07, 0x00);
  delay(100);
  cam.write_reg(ARDUCHIP_TEST1, 0x55);
  Serial.print(F("spi: "));
  Serial.println(cam.read_reg(ARDUCHIP_TEST1), HEX);
  uint8_t vid = 0, pid = 0;
  cam.wrSensorReg8_8(0xff, 0x01);
  cam.rdSensorReg8_8(OV2640_CHIPID_HIGH, &vid);
  cam.rdSensorReg8_8(OV2640_CHIPID_LOW, &pid);
  Serial.print(F("sensor: "));
  Serial.print(vid, HEX);
  Serial.print(' ');
  Serial.println(pid, HEX);

  cam.set_format(JPEG);
  for (uint8_t i = 0; i < sizeof(kSizes); ++i) {
    cam.InitCAM();
    cam.OV2640_set_JPEG_size(kSizes[i]);
    cam.wrSensorReg8_8(0xff, 0x00);  // the library has no call for the quantisation scale
    cam.wrSensorReg8_8(0x44, CONF_QUALITY);
    Serial.print(F("init "));
    Serial.print(i);
    Serial.println(F(" ok"));
    delay(100);
  }

  cam.flush_fifo();
  cam.clear_fifo_flag();
  cam.start_capture();
  while (!cam.get_bit(ARDUCHIP_TRIG, CAP_DONE_MASK)) {
  }
  const uint32_t length = cam.read_fifo_length();
  Serial.print(F("length "));
  Serial.println(length);
  pass_in_one_burst(length);
  pass_in_bursts(2, length);
  pass_in_bursts(3, length);
  Serial.println(F("done"));
}

void loop() {}
