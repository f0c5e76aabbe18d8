// The OV2640 sensor on SCCB address 0x30: identity check and JPEG set-up. Register 0xFF selects
// the bank (0 = DSP, 1 = sensor). Output sizes are 4:3 crops of the full UXGA (1600x1200) window.
#pragma once
#include <stdint.h>

namespace ov2640 {

const uint8_t kAddress = 0x30;

enum Resolution : uint8_t { k640x480, k800x600, k1024x768, k1280x960, k1600x1200 };

uint16_t width(Resolution r);
uint16_t height(Resolution r);

// Reads the product id (bank 1, 0x0A/0x0B: 0x26 then 0x42 or 0x41). 0 if the sensor is silent.
uint16_t product_id();
// Soft reset, JPEG mode, the resolution, and the quantisation scale (2 = best .. 63 = smallest).
bool init_jpeg(Resolution r, uint8_t quality);

}  // namespace ov2640
