// The camera's steps on the real board, for CameraPolicy (camera_policy.h, which decides when each
// runs and what its outcome means): the drivers (W5500, ArduCAM, DHCP, DNS, the upload and its
// signature), the clock, the watchdog and the serial log.
#pragma once
#include <camera_policy.h>
#include <camera_steps.h>
#include <frame_upload.h>
#include <net_buffer.h>
#include <ov2640.h>
#include <stdint.h>

#include <dhcp_client.h>
#include <image_hash.h>
#include <interval.h>
#include <request_signer.h>

struct CameraConfig {
  HttpTarget target;
  const char* camera_id_P;  // the id the camera signs as (the service reads it from the credential)
  const uint8_t* secret_P;  // the camera secret in flash: signs every request
  uint8_t secret_length;    // 32, or 0 when unset (requests go unsigned; the service refuses them)
  ov2640::Resolution resolution;
  uint8_t jpeg_quality;
  const uint8_t* mac;
  uint32_t capture_timeout_ms;
  uint32_t dhcp_timeout_ms;
  uint32_t dns_timeout_ms;
  UploadTimeouts upload;
  PolicyConfig policy;  // logged at boot with the rest
};

class CameraBoard {
 public:
  CameraBoard(const CameraConfig& config, NetBuffer buffer);

  uint32_t millis();
  void kick_watchdog();
  [[noreturn]] void reboot();
  uint32_t random();
  void print_P(const char* s);
  void print(uint32_t n);
  void println();
  void flush();

  void begin();
  bool bring_up_camera();
  bool bring_up_network();
  bool keep_network(uint32_t now_ms);
  bool network_up() const { return dhcp_.bound(); }
  CaptureError capture(bool trigger, FrameExtent* frame);
  bool frame_counter(uint32_t* counter) const;
  void slow_camera_bus();
  void report_camera_bus();
  UploadResult upload(const FrameExtent& frame);

 private:
  void log_settings();
  bool resolve_host(uint8_t ip[4]);
  CaptureError capture_hashed(bool trigger, FrameExtent* frame,
                              uint8_t digest[auth::Sha256::kDigestSize]);
  void sign_frame(const FrameExtent& frame, const uint8_t digest[auth::Sha256::kDigestSize]);
  bool answer_signed(uint16_t status, const Answer& answer);
  UploadResult send(const FrameExtent& frame);

  const CameraConfig& cfg_;
  NetBuffer buf_;
  DhcpClient dhcp_;
  UptimeSeconds uptime_;
  uint32_t random_ = 1;
  bool chip_ok_ = false;
  uint8_t rewind_bit_ = 0;  // the ArduChip's rewind bit and SPI clock as last logged
  uint8_t camera_clock_ = 0xFF;
  uint8_t host_ip_[4] = {0, 0, 0, 0};
  uint32_t counter_ = 0;                               // the current frame's freshness counter
  uint8_t signature_[auth::Sha256::kDigestSize] = {};  // its signature, reused by every retry
};
