#include "camera_app.h"

#include <Arduino.h>
#include <arduchip.h>
#include <avr/wdt.h>
#include <dns_resolver.h>
#include <frame_counter.h>
#include <http_status.h>
#include <sccb.h>
#include <spi_bus.h>
#include <w5500.h>

#include "board.h"

namespace {

void print_P(const char* s) { Serial.print(reinterpret_cast<const __FlashStringHelper*>(s)); }

void log_frame(uint16_t frame) {
  Serial.print(F("frame "));
  Serial.print(frame);
  Serial.print(F(": "));
}

const uint32_t kNetworkRetryMs = 60000;  // while there is no network, try again this often
const uint16_t kCounterEeprom = 0;       // auth::FrameCounter's 16 bytes of EEPROM
// The route the service verifies the signature against; proxies in front may add a prefix to
// CONFIG_PATH (the CloudFront origin path), the signed path stays the route's.
const char kSignedMethod[] PROGMEM = "POST";
const char kSignedPath[] PROGMEM = "/frames";
const char kAuthorization[] PROGMEM = "Authorization";

}  // namespace

CameraApp::CameraApp(const AppConfig& config, NetBuffer buffer)
    : cfg_(config), buf_(buffer), dhcp_(config.mac, buffer) {}

void CameraApp::boot() {
  print_P(cfg_.target.user_agent_P);
  Serial.print(F(" boot, reset: "));
  print_P(board::reset_cause_P());
  Serial.println();
  log_settings();
  spi::begin();
  w5500::begin();
  arduchip::begin();
  sccb::begin();
  uint32_t seed = micros();
  for (uint8_t i = 0; i < 6; ++i) seed = seed * 31 + cfg_.mac[i];
  random_ = (seed ^ ((uint32_t)analogRead(A0) << 16)) | 1;
  camera_ok_ = bring_up_camera();
  bring_up_network();
  schedule_.start(millis(), cfg_.interval_ms, true);  // the first frame right away
}

void CameraApp::log_settings() {
  const HttpTarget& t = cfg_.target;
  Serial.print(F("config: host="));
  print_P(t.host_P);
  Serial.print(F(" port="));
  Serial.print(t.port);
  Serial.print(F(" path="));
  print_P(t.path_P);
  Serial.print(F(" camera="));
  print_P(t.camera_id_P);
  Serial.print(F(" secret="));
  Serial.print(cfg_.secret_length ? F("set") : F("UNSET (requests go unsigned)"));
  Serial.print(F(" counter="));
  Serial.println(auth::FrameCounter(kCounterEeprom).current());
  Serial.print(F("config: interval="));
  Serial.print(cfg_.interval_ms / 1000);
  Serial.print(F("s resolution="));
  Serial.print(ov2640::width(cfg_.resolution));
  Serial.print('x');
  Serial.print(ov2640::height(cfg_.resolution));
  Serial.print(F(" quality="));
  Serial.print(cfg_.jpeg_quality);
  Serial.print(F(" mac="));
  for (uint8_t i = 0; i < 6; ++i) {
    if (i) Serial.print(':');
    if (cfg_.mac[i] < 16) Serial.print('0');
    Serial.print(cfg_.mac[i], HEX);
  }
  Serial.println();
  Serial.print(F("config: timeouts ms capture="));
  Serial.print(cfg_.capture_timeout_ms);
  Serial.print(F(" dhcp="));
  Serial.print(cfg_.dhcp_timeout_ms);
  Serial.print(F(" dns="));
  Serial.print(cfg_.dns_timeout_ms);
  Serial.print(F(" connect="));
  Serial.print(cfg_.upload.connect_ms);
  Serial.print(F(" send="));
  Serial.print(cfg_.upload.send_ms);
  Serial.print(F(" response="));
  Serial.println(cfg_.upload.response_ms);
  Serial.print(F("config: retry base="));
  Serial.print(cfg_.retry.base_ms);
  Serial.print(F("ms max="));
  Serial.print(cfg_.retry.cap_ms);
  Serial.print(F("ms budget="));
  Serial.print(cfg_.retry.budget_ms / 1000);
  Serial.print(F("s capture_attempts="));
  Serial.println(cfg_.capture_attempts);
}

bool CameraApp::bring_up_camera() {
  if (!arduchip::reset_and_check()) {
    Serial.println(F("camera: ArduChip does not answer on SPI (test register)"));
    return false;
  }
  const uint16_t id = ov2640::product_id();
  if ((id >> 8) != 0x26) {
    Serial.print(F("camera: OV2640 not found on I2C, id 0x"));
    Serial.println(id, HEX);
    return false;
  }
  if (!ov2640::init_jpeg(cfg_.resolution, cfg_.jpeg_quality)) {
    Serial.println(F("camera: OV2640 JPEG set-up failed"));
    return false;
  }
  Serial.print(F("camera: ok, OV2640 id 0x"));
  Serial.println(id, HEX);
  note_camera_bus();
  return true;
}

// Logs what the ArduChip driver learned about the module when it changes (arduchip.h): the SPI
// clock it settled on and the FIFO control bit that rewinds the read pointer.
void CameraApp::note_camera_bus() {
  const uint8_t bit = arduchip::rewind_bit();
  const uint8_t clock = arduchip::clock();
  if (bit == rewind_bit_ && clock == camera_clock_) return;
  rewind_bit_ = bit;
  camera_clock_ = clock;
  Serial.print(F("camera: SPI "));
  Serial.print(clock == spi::k8MHz ? 8 : 4);
  Serial.print(F(" MHz, FIFO rewind bit 0x"));
  Serial.println(bit, HEX);
}

bool CameraApp::bring_up_network() {
  net_try_ms_ = millis();
  if (!chip_ok_) {
    chip_ok_ = w5500::reset();
    if (!chip_ok_) {
      Serial.println(F("net: W5500 does not answer"));
      return false;
    }
    w5500::set_mac(cfg_.mac);
    Serial.print(F("net: W5500 ok, link "));
    Serial.println(w5500::link_up() ? F("up") : F("down"));
  }
  return dhcp_.acquire(uptime_.seconds(), cfg_.dhcp_timeout_ms, xorshift32(&random_));
}

void CameraApp::wait(uint32_t ms) {
  wait_from_ms_ = millis();
  wait_ms_ = ms;
}

void CameraApp::poll() {
  wdt_reset();
  const uint32_t now = millis();
  uptime_.update(now);
  if (dhcp_.bound()) {
    dhcp_.maintain(uptime_.seconds(), cfg_.dhcp_timeout_ms);
  } else if (phase_ == kIdle && elapsed_at_least(now, net_try_ms_, kNetworkRetryMs)) {
    bring_up_network();
  }
  if (wait_ms_) {
    if (!elapsed_at_least(millis(), wait_from_ms_, wait_ms_)) return;
    wait_ms_ = 0;  // done: a stale start time must not block again after millis() wraps
  }
  switch (phase_) {
    case kIdle:
      if (schedule_.due(millis())) {
        ++frame_;
        failures_ = 0;
        phase_ = kCapture;
      }
      break;
    case kCapture: capture(); break;
    case kUpload: upload(); break;
  }
}

void CameraApp::capture() {
  CaptureError err = CaptureError::kTimeout;
  uint8_t digest[auth::Sha256::kDigestSize];
  const bool rescan = rescan_;
  rescan_ = false;
  if (camera_ok_ || (camera_ok_ = bring_up_camera())) err = capture_hashed(!rescan, digest);
  // A FIFO that makes no sense at 8 MHz (a length out of range, no JPEG, reads that disagree):
  // the module's bus may not keep up, so 4 MHz from now on. Only a capture that never completes
  // says nothing about the bus.
  if (err != CaptureError::kNone && err != CaptureError::kTimeout) arduchip::slow_down();
  note_camera_bus();
  if (err == CaptureError::kNone) {
    if (cfg_.secret_length) {
      log_frame(frame_);
      sign_frame(digest);
    }
    log_frame(frame_);
    Serial.print(F("captured, JPEG "));
    Serial.print(frame_extent_.length);
    Serial.print(F(" bytes at "));
    Serial.print(frame_extent_.start);
    Serial.print(F(" of FIFO "));
    Serial.print(frame_extent_.fifo_length);
    Serial.print(F(", burst lead-in "));
    Serial.println(frame_extent_.lead_in);
    phase_ = kUpload;
    if (!rescan) {  // a rescan goes on with the same frame's attempts and retry budget
      failures_ = 0;
      first_try_ms_ = millis();
    }
    return;
  }
  log_frame(frame_);
  Serial.print(F("capture failed: "));
  print_P(camera_ok_ ? capture_error_name(err) : PSTR("camera not ready"));
  camera_ok_ = false;  // set the camera up again before the next try
  if (++failures_ >= cfg_.capture_attempts) {
    Serial.println(F("; resetting the board"));
    Serial.flush();
    board::reboot();
  }
  const uint32_t delay_ms = backoff_delay_ms(cfg_.retry, failures_, xorshift32(&random_));
  Serial.print(F("; retry in "));
  Serial.print(delay_ms);
  Serial.println(F(" ms"));
  wait(delay_ms);
}

// Captures with the image hashed during the scan pass (when signing). Not inlined: the hash state
// leaves the stack before sign_frame() puts the HMAC state there.
__attribute__((noinline)) CaptureError CameraApp::capture_hashed(
    bool trigger, uint8_t digest[auth::Sha256::kDigestSize]) {
  auth::ImageHash hash;
  const CaptureError err = capture_frame(trigger, cfg_.capture_timeout_ms, buf_.data, buf_.size,
                                         &frame_extent_, cfg_.secret_length ? &hash : nullptr);
  if (err == CaptureError::kNone && cfg_.secret_length) hash.finish(digest);
  return err;
}

// A new frame: the next counter, persisted before the first attempt, and the signature over the
// request that every retry of this frame sends again unchanged.
void CameraApp::sign_frame(const uint8_t digest[auth::Sha256::kDigestSize]) {
  counter_ = auth::FrameCounter(kCounterEeprom).next();
  auth::sign_request(signature_, cfg_.secret_P, cfg_.secret_length, kSignedMethod, kSignedPath,
                     cfg_.target.camera_id_P, counter_, frame_extent_.length, digest);
  Serial.print(F("signed, counter "));
  Serial.println(counter_);
}

bool CameraApp::resolve_host(uint8_t ip[4]) {
  if (dns_resolve(cfg_.target.host_P, dhcp_.dns_server(), buf_, cfg_.dns_timeout_ms,
                  xorshift32(&random_), ip)) {
    memcpy(host_ip_, ip, 4);
    return true;
  }
  if (!host_ip_[0]) return false;
  memcpy(ip, host_ip_, 4);  // the name did not resolve now, but it did before
  Serial.println(F("dns: using the last known address"));
  return true;
}

void CameraApp::upload() {
  const uint32_t started = millis();
  uint8_t ip[4];
  UploadResult r = {UploadError::kConnect, 0};
  const char* no_route_P = nullptr;  // why the upload could not even start
  if (!dhcp_.bound() && !bring_up_network()) {
    no_route_P = PSTR("no network address (DHCP)");
  } else if (!resolve_host(ip)) {
    no_route_P = PSTR("host not resolved (DNS)");
  } else {
    char authorization[auth::kAuthorizationMax + 1];
    const HttpHeader credential = {kAuthorization, authorization};
    const uint8_t n_extra = cfg_.secret_length ? 1 : 0;
    if (n_extra) {
      auth::authorization_value(authorization, sizeof authorization, cfg_.target.camera_id_P,
                                counter_, signature_);
    }
    r = upload_frame(ip, (uint16_t)(49152 + (xorshift32(&random_) & 0x3FFF)), cfg_.target,
                     n_extra ? &credential : nullptr, n_extra, frame_extent_, cfg_.upload,
                     buf_.data, buf_.size);
  }
  ++failures_;
  log_frame(frame_);
  Serial.print(F("upload attempt "));
  Serial.print(failures_);
  Serial.print(F(": "));
  HttpVerdict verdict = HttpVerdict::kRetry;
  if (no_route_P) {
    print_P(no_route_P);
  } else if (r.error == UploadError::kNone) {
    verdict = http_verdict(r.status);
    Serial.print(F("HTTP "));
    Serial.print(r.status);
  } else {
    print_P(upload_error_name(r.error));
    if (r.error == UploadError::kHeadTooLarge) verdict = HttpVerdict::kReject;
    if (r.error == UploadError::kFrameLost) {
      // The FIFO read back differently from the scan: slow the camera's bus down and scan the
      // frame again (the signature covers the scan's bytes) before the next attempt.
      arduchip::slow_down();
      rescan_ = true;
    }
  }
  Serial.print(F(" in "));
  Serial.print(millis() - started);
  Serial.print(F(" ms"));
  if (verdict == HttpVerdict::kStored) {
    Serial.println(F(", stored"));
    phase_ = kIdle;
    return;
  }
  if (verdict == HttpVerdict::kReject) {
    Serial.println(F(", rejected: not retried"));
    phase_ = kIdle;
    return;
  }
  const uint32_t delay_ms = backoff_delay_ms(cfg_.retry, failures_, xorshift32(&random_));
  if (!backoff_allows(cfg_.retry, millis() - first_try_ms_, delay_ms)) {
    Serial.println(F(", retry budget spent: frame dropped"));
    phase_ = kIdle;
    rescan_ = false;
    return;
  }
  Serial.print(F(", retry in "));
  Serial.print(delay_ms);
  Serial.println(F(" ms"));
  if (rescan_) phase_ = kCapture;
  wait(delay_ms);
}
