// The camera sketch: wires the configuration into the parts under lib/ and runs them.
#include <Arduino.h>
#include <board.h>
#include <camera_board.h>
#include <camera_policy.h>
#include <frame_upload.h>

#include "camera_config.h"
#include "serial_log.h"

namespace {

const char kHost[] PROGMEM = CONFIG_HOST;
const char kPath[] PROGMEM = CONFIG_PATH;
const char kCameraId[] PROGMEM = CONFIG_CAMERA_ID;
const char kUserAgent[] PROGMEM = "stopmotion-cam/" FIRMWARE_VERSION;  // the health's fw after /
const uint8_t kSecret[] PROGMEM = CONFIG_CAMERA_SECRET;
static_assert(sizeof(kSecret) == CameraConfig::kSecretBytes,
              "CONFIG_CAMERA_SECRET: the 32 bytes `stopmotion camera add` prints");
const uint8_t kMac[6] = CONFIG_MAC;

const CameraConfig kConfig = {
    {kHost, CONFIG_PORT, kPath, kUserAgent},
    kCameraId,
    kSecret,
    CONFIG_RESOLUTION,
    CONFIG_JPEG_QUALITY,
    kMac,
    CONFIG_CAPTURE_TIMEOUT_MS,
    CONFIG_DHCP_TIMEOUT_MS,
    CONFIG_DNS_TIMEOUT_MS,
    {CONFIG_CONNECT_TIMEOUT_MS, CONFIG_SEND_TIMEOUT_MS, CONFIG_RESPONSE_TIMEOUT_MS},
    {
        CONFIG_INTERVAL_S * 1000UL,
        {CONFIG_RETRY_BASE_MS, CONFIG_RETRY_MAX_MS},
        CONFIG_CAPTURE_ATTEMPTS,
    },
};

// The one streaming buffer: DHCP and DNS packets, the request head, FIFO-to-W5500 chunks, card
// blocks (so 512 bytes exactly: one block).
uint8_t buffer[card::kBlockBytes];
static_assert(sizeof(CONFIG_HOST) - 1 + sizeof(CONFIG_PATH) - 1 + sizeof(CONFIG_CAMERA_ID) - 1 +
                      (CONFIG_PORT == 80 ? 0 : 6) + kHeadBytesBesidesConfig <= sizeof(buffer),
              "CONFIG_HOST, CONFIG_PATH and CONFIG_CAMERA_ID are too long together for the request "
              "head's 512 bytes: shorten one (a camera id of a few letters leaves room)");
CameraBoard camera_board(kConfig, {buffer, sizeof(buffer)});
CameraPolicy<CameraBoard> camera(camera_board, kConfig.policy);

}  // namespace

void setup() {
  board::arm_watchdog();
  serial_log.begin(115200);
  camera.boot();
}

void loop() { camera.poll(); }
