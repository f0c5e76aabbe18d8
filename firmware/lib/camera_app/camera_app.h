// The camera's job, one turn of the main loop at a time: at each interval capture a frame, upload
// it, retry the same frame (still in the FIFO) with backoff on a transient failure, and keep the
// network (DHCP lease) alive in between. Nothing here blocks longer than its configured timeout.
#pragma once
#include <backoff.h>
#include <frame_capture.h>
#include <frame_upload.h>
#include <interval.h>
#include <net_buffer.h>
#include <ov2640.h>
#include <stdint.h>

#include <dhcp_client.h>
#include <image_hash.h>
#include <request_signer.h>

struct AppConfig {
  HttpTarget target;
  const uint8_t* secret_P;  // the camera secret in flash (issue 6): signs every request
  uint8_t secret_length;    // 32, or 0 when unset (requests go unsigned; the service refuses them)
  uint32_t interval_ms;
  ov2640::Resolution resolution;
  uint8_t jpeg_quality;
  const uint8_t* mac;
  uint32_t capture_timeout_ms;
  uint32_t dhcp_timeout_ms;
  uint32_t dns_timeout_ms;
  UploadTimeouts upload;
  BackoffPolicy retry;
  uint8_t capture_attempts;
};

class CameraApp {
 public:
  CameraApp(const AppConfig& config, NetBuffer buffer);
  void boot();  // logs the settings, checks the camera, brings up the network
  void poll();  // call from loop()

 private:
  enum Phase : uint8_t { kIdle, kCapture, kUpload };

  void log_settings();
  bool bring_up_camera();
  bool bring_up_network();
  void capture();
  void upload();
  bool resolve_host(uint8_t ip[4]);
  CaptureError capture_hashed(bool trigger, uint8_t digest[auth::Sha256::kDigestSize]);
  void note_camera_bus();
  void sign_frame(const uint8_t digest[auth::Sha256::kDigestSize]);
  void wait(uint32_t ms);

  const AppConfig& cfg_;
  NetBuffer buf_;
  DhcpClient dhcp_;
  IntervalSchedule schedule_;
  UptimeSeconds uptime_;
  uint32_t random_ = 1;
  Phase phase_ = kIdle;
  bool camera_ok_ = false;
  bool chip_ok_ = false;
  bool rescan_ = false;        // the FIFO read back differently: scan the same frame again
  uint8_t rewind_bit_ = 0;     // the ArduChip's rewind bit and SPI clock as last logged
  uint8_t camera_clock_ = 0xFF;
  uint8_t failures_ = 0;       // of the current capture or upload
  uint16_t frame_ = 0;         // frames taken since boot
  uint32_t first_try_ms_ = 0;  // first upload attempt of the current frame
  uint32_t wait_from_ms_ = 0;
  uint32_t wait_ms_ = 0;
  uint32_t net_try_ms_ = 0;    // last attempt to bring up the network
  uint8_t host_ip_[4] = {0, 0, 0, 0};
  FrameExtent frame_extent_ = {};
  uint32_t counter_ = 0;                          // the current frame's freshness counter
  uint8_t signature_[auth::Sha256::kDigestSize] = {};  // its signature, reused by every retry
};
