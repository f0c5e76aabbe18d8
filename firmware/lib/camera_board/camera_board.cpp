#include "camera_board.h"

#include <Arduino.h>
#include <arduchip.h>
#include <avr/wdt.h>
#include <ctype.h>
#include <dns_resolver.h>
#include <frame_counter.h>
#include <hmac_sha256.h>
#include <http_status.h>
#include <sccb.h>
#include <spi_bus.h>
#include <w5500.h>

#include "board.h"

namespace {

const uint16_t kCounterEeprom = 0;  // auth::FrameCounter's 16 bytes of EEPROM
const char kAuthorization[] PROGMEM = "Authorization";

}  // namespace

CameraBoard::CameraBoard(const CameraConfig& config, NetBuffer buffer)
    : cfg_(config), buf_(buffer), dhcp_(config.mac, buffer) {}

uint32_t CameraBoard::millis() { return ::millis(); }
void CameraBoard::kick_watchdog() { wdt_reset(); }
void CameraBoard::reboot() { board::reboot(); }
uint32_t CameraBoard::random() { return xorshift32(&random_); }
void CameraBoard::print_P(const char* s) {
  Serial.print(reinterpret_cast<const __FlashStringHelper*>(s));
}
void CameraBoard::print(uint32_t n) { Serial.print(n); }
void CameraBoard::println() { Serial.println(); }
void CameraBoard::flush() { Serial.flush(); }

void CameraBoard::begin() {
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
}

void CameraBoard::log_settings() {
  const HttpTarget& t = cfg_.target;
  Serial.print(F("config: host="));
  print_P(t.host_P);
  Serial.print(F(" port="));
  Serial.print(t.port);
  Serial.print(F(" path="));
  print_P(t.path_P);
  Serial.print(F(" camera="));
  print_P(cfg_.camera_id_P);
  Serial.print(F(" secret="));
  Serial.print(cfg_.secret_length ? F("set") : F("UNSET (requests go unsigned)"));
  Serial.print(F(" counter="));
  Serial.println(auth::FrameCounter(kCounterEeprom).current());
  Serial.print(F("config: interval="));
  Serial.print(cfg_.policy.interval_ms / 1000);
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
  Serial.print(cfg_.policy.retry.base_ms);
  Serial.print(F("ms max="));
  Serial.print(cfg_.policy.retry.cap_ms);
  Serial.print(F("ms budget="));
  Serial.print(cfg_.policy.retry.budget_ms / 1000);
  Serial.print(F("s capture_attempts="));
  Serial.println(cfg_.policy.capture_attempts);
}

bool CameraBoard::bring_up_camera() {
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
  report_camera_bus();
  return true;
}

// Logs what the ArduChip driver learned about the module when it changes (arduchip.h): the SPI
// clock it settled on and the FIFO control bit that rewinds the read pointer.
void CameraBoard::report_camera_bus() {
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

void CameraBoard::slow_camera_bus() { arduchip::slow_down(); }

bool CameraBoard::bring_up_network() {
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

bool CameraBoard::keep_network(uint32_t now_ms) {
  uptime_.update(now_ms);
  if (!dhcp_.bound()) return false;
  dhcp_.maintain(uptime_.seconds(), cfg_.dhcp_timeout_ms);
  return true;
}

// A new frame (or the one in the FIFO scanned again), and when a secret is set its signature.
CaptureError CameraBoard::capture(bool trigger, FrameExtent* frame) {
  uint8_t digest[auth::Sha256::kDigestSize];
  const CaptureError err = capture_hashed(trigger, frame, digest);
  if (err == CaptureError::kNone && cfg_.secret_length) sign_frame(*frame, digest);
  return err;
}

bool CameraBoard::frame_counter(uint32_t* counter) const {
  *counter = counter_;
  return cfg_.secret_length != 0;
}

// Captures with the image hashed during the scan pass (when signing). Not inlined: the hash state
// leaves the stack before sign_frame() puts the HMAC state there.
__attribute__((noinline)) CaptureError CameraBoard::capture_hashed(
    bool trigger, FrameExtent* frame, uint8_t digest[auth::Sha256::kDigestSize]) {
  auth::ImageHash hash;
  const CaptureError err = capture_frame(trigger, cfg_.capture_timeout_ms, buf_.data, buf_.size,
                                         frame, cfg_.secret_length ? &hash : nullptr);
  if (err == CaptureError::kNone && cfg_.secret_length) hash.finish(digest);
  return err;
}

// A new frame: the next counter, persisted before the first attempt, and the signature over the
// request that every retry of this frame sends again unchanged.
void CameraBoard::sign_frame(const FrameExtent& frame,
                             const uint8_t digest[auth::Sha256::kDigestSize]) {
  counter_ = auth::FrameCounter(kCounterEeprom).next();
  auth::sign_request(signature_, cfg_.secret_P, cfg_.secret_length, auth::kSignedMethod_P, auth::kSignedPath_P,
                     cfg_.camera_id_P, counter_, 0 /* TODO(lead): age */, frame.length, digest);
}

bool CameraBoard::resolve_host(uint8_t ip[4]) {
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

namespace {

// Whether text[at..] starts with the flash string s_P; advances at past it if so.
bool take_P(const char* text, uint16_t n, uint16_t* at, const char* s_P) {
  uint16_t i = *at;
  for (char c; (c = (char)pgm_read_byte(s_P)) != 0; ++s_P, ++i) {
    if (i >= n || text[i] != c) return false;
  }
  *at = i;
  return true;
}

// Whether text[at..] is the decimal value followed by a comma; advances at past the digits.
bool take_u32(const char* text, uint16_t n, uint16_t* at, uint32_t value) {
  char digits[11];
  const uint8_t len = auth::format_u32(digits, value);
  if (*at + len > n || memcmp(text + *at, digits, len) != 0) return false;
  *at += len;
  return *at < n && text[*at] == ',';
}

uint8_t hex_value(char c) { return (uint8_t)(c <= '9' ? c - '0' : c - 'a' + 10); }

}  // namespace

// The answer is the service's for this request: its MAC verifies with the camera's secret over
// "SM1-ANSWER\n" + id + "\n" + the value before ", Signature=", and it names this request's
// counter (which the request's own signature ties to the body) and the status line's status
// (answer.py). Not inlined: the HMAC state must not share the stack with the upload's buffers.
__attribute__((noinline)) bool CameraBoard::answer_signed(uint16_t status, const Answer& a) {
  static const char kCounter[] PROGMEM = "Counter=";
  static const char kStatus[] PROGMEM = ", Status=";
  static const char kSignature[] PROGMEM = ", Signature=";
  static const char kContext[] PROGMEM = "SM1-ANSWER\n";
  const uint16_t n = a.length;
  if (n < 12 + 64 || n > Answer::kCap) return false;
  const uint16_t signed_end = n - 64 - 12;  // ", Signature=" and 64 hex digits end the value
  uint16_t at = signed_end;
  if (!take_P(a.text, n, &at, kSignature)) return false;
  uint8_t expected[auth::Sha256::kDigestSize];
  {
    auth::HmacSha256 mac;
    mac.begin(cfg_.secret_P, cfg_.secret_length);
    for (const char* p = kContext; pgm_read_byte(p); ++p) mac.update((uint8_t)pgm_read_byte(p));
    for (const char* p = cfg_.camera_id_P; pgm_read_byte(p); ++p) {
      mac.update((uint8_t)pgm_read_byte(p));
    }
    mac.update((uint8_t)'\n');
    mac.update(a.text, signed_end);
    mac.finish(expected);
  }
  for (uint8_t i = 0; i < sizeof expected; ++i) {
    const char hi = a.text[at + 2 * i], lo = a.text[at + 2 * i + 1];
    if (!isxdigit(hi) || !isxdigit(lo) || isupper(hi) || isupper(lo)) return false;
    if ((uint8_t)(hex_value(hi) << 4 | hex_value(lo)) != expected[i]) return false;
  }
  at = 0;  // signed: now what it says must be about this request
  if (!take_P(a.text, n, &at, kCounter) || !take_u32(a.text, n, &at, counter_)) return false;
  if (!take_P(a.text, n, &at, kStatus) || !take_u32(a.text, n, &at, status)) return false;
  return true;
}

UploadResult CameraBoard::upload(const FrameExtent& frame) {
  const UploadResult r = send(frame);
  if (r.error != UploadError::kNone || !cfg_.secret_length) return r;  // unsigned: nothing to check
  const Answer& answer = *reinterpret_cast<const Answer*>(buf_.data);
  return answer_signed(r.status, answer) ? r : UploadResult{UploadError::kUntrusted, r.status};
}

__attribute__((noinline)) UploadResult CameraBoard::send(const FrameExtent& frame) {
  uint8_t ip[4];
  if (!resolve_host(ip)) return {UploadError::kNoHost, 0};
  char authorization[auth::kAuthorizationMax + 1];
  const HttpHeader credential = {kAuthorization, authorization};
  const uint8_t n_extra = cfg_.secret_length ? 1 : 0;
  if (n_extra) {
    auth::authorization_value(authorization, sizeof authorization, cfg_.camera_id_P,
                              counter_, 0 /* TODO(lead): age */, signature_);
  }
  return upload_frame(ip, (uint16_t)(49152 + (xorshift32(&random_) & 0x3FFF)), cfg_.target,
                      n_extra ? &credential : nullptr, n_extra, frame, cfg_.upload, buf_.data,
                      buf_.size);
}
