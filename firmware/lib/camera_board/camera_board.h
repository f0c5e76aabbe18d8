// The camera's steps on the real board, for CameraPolicy (camera_policy.h, which decides when each
// runs and what its outcome means): the drivers (W5500, ArduCAM, DHCP, DNS, the upload and its
// signature), the clock, the watchdog and the serial log.
#pragma once
#include <camera_policy.h>
#include <camera_steps.h>
#include <card_queue.h>
#include <frame_upload.h>
#include <net_buffer.h>
#include <ov2640.h>
#include <stdint.h>

#include <dhcp_client.h>
#include <health.h>
#include <image_hash.h>
#include <interval.h>
#include <request_signer.h>
#include <sd_card.h>

struct CameraConfig {
  HttpTarget target;
  const char* camera_id_P;  // the id the camera signs as (the service reads it from the credential)
  static const uint8_t kSecretBytes = 32;
  const uint8_t* secret_P;  // the camera secret in flash (kSecretBytes): signs every request
  ov2640::Resolution resolution;
  uint8_t jpeg_quality;
  const uint8_t* mac;
  uint32_t capture_timeout_ms;
  uint32_t dhcp_timeout_ms;
  uint32_t dns_timeout_ms;
  UploadTimeouts upload;
  PolicyConfig policy;  // logged at boot with the rest
};

// A kept frame's data on the card: where its blocks start, its length and FrameSum.
struct CardSpan {
  uint32_t first_block;
  uint32_t length;
  FrameSum sum;
};

// The card as card::Queue reads and writes it (lib/card_queue).
struct SdBlocks {
  bool read(uint32_t block, uint8_t* buf) { return sd::read_block(block, buf) == sd::Error::kNone; }
  bool write(uint32_t block, const uint8_t* buf) {
    return sd::write_block(block, buf) == sd::Error::kNone;
  }
  uint32_t blocks() { return sd::blocks(); }
};

class CameraBoard {
 public:
  // buffer: the one streaming buffer, exactly one card block (card::kBlockBytes) long.
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
  bool restore_frame(FrameExtent* frame);
  bool bring_up_camera();
  bool bring_up_network();
  bool keep_network(uint32_t now_ms);
  bool network_up() const { return dhcp_.bound(); }
  CaptureError capture(bool trigger, FrameExtent* frame);
  uint32_t frame_counter() const { return counter_; }
  UploadResult hello();
  uint32_t next_capture_s() const { return next_s_ - 1; }  // 0 - 1: kNoNext
  void slow_camera_bus();
  void report_camera_bus();
  UploadResult upload(const FrameExtent& frame, uint8_t tries);
  void frame_done();
  bool keep_frame(const FrameExtent& frame);
  uint32_t frames_kept();
  UploadResult upload_kept(uint32_t* counter, uint8_t tries);
  void kept_done(bool lost);
  void count_lost();
  uint32_t frames_lost() const { return lost_; }

 private:
  void log_settings();
  bool open_card();
  bool commit_kept(uint32_t at, const FrameExtent& frame);
  uint32_t clock();
  void remember_frame(uint32_t length, const FrameSum& sum);
  bool resolve_host(uint8_t ip[4]);
  CaptureError capture_hashed(bool trigger, FrameExtent* frame);
  bool answer_signed(uint32_t counter, uint16_t status, const Answer& answer);
  void set_clock(const Answer& answer);
  void take_health();
  bool sign_kept(uint32_t* counter, uint32_t* age, uint8_t* signature, CardSpan* span);
  UploadResult deliver(uint32_t counter, uint32_t age, const uint8_t* signature,
                       const FrameSource& body);
  void sign(uint8_t* signature, uint32_t counter, uint32_t age, uint32_t length,
            const uint8_t* digest);
  UploadResult post(const uint8_t ip[4], uint32_t counter, uint32_t age, const uint8_t* signature,
                    const FrameSource& body);

  // The one CameraBoard is a global (main.cpp), so its members start at zero (static storage);
  // only the others are initialised here: each initialiser is code in the global constructor.
  const CameraConfig& cfg_;
  NetBuffer buf_;
  DhcpClient dhcp_;
  UptimeSeconds uptime_;
  uint32_t random_ = 1;
  bool chip_ok_;
  uint8_t rewind_bit_;  // the ArduChip's rewind bit and SPI clock as last logged
  uint8_t camera_clock_ = 0xFF;
  uint8_t host_ip_[4];
  uint32_t clock_at_boot_;  // the camera clock (seconds, kept across resets in EEPROM)
  uint32_t lost_;           // frames lost since boot
  uint16_t lost_reported_;  // of those, the ones a report the service answered counted
  uint32_t next_s_;             // the last request's signed answer's Next= plus 1; 0: none
  Health health_;          // the numbers of this request's health report (signed and sent)
  // The frame in the FIFO: its counter, its capture time on the camera clock, its SHA-256.
  uint32_t counter_;
  uint32_t captured_;
  uint8_t digest_[auth::Sha256::kDigestSize];
  SdBlocks blocks_;
  card::Queue<SdBlocks> queue_{blocks_};
  bool card_ok_;
};
