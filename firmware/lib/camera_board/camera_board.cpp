#include "camera_board.h"

#include <Arduino.h>
#include <arduchip.h>
#include <avr/eeprom.h>
#include <avr/wdt.h>
#include <ctype.h>
#include <dns_resolver.h>
#include <frame_counter.h>
#include <hmac_sha256.h>
#include <http_status.h>
#include <sccb.h>
#include <spi_bus.h>
#include <text_buf.h>
#include <w5500.h>

#include "board.h"
#include "serial_log.h"

namespace {

const uint16_t kCounterEeprom = 0;  // auth::FrameCounter's 16 bytes of EEPROM
const char kAuthorization[] PROGMEM = "Authorization";
const char kHealth[] PROGMEM = "Stopmotion-Health";  // chalicelib/protocol/upload.py HEALTH_HEADER

// The frame in the FIFO until the service has it (or the card), in EEPROM after the counter: a
// reset of the board leaves the camera's FIFO powered, so the boot can send that frame instead of
// losing it. length 0: none. clock: the camera clock when written, so it goes on across resets.
struct FifoRecord {
  uint32_t counter, length, sum, captured, clock, check;
};
uint8_t* const kRecordEeprom = reinterpret_cast<uint8_t*>(16);
// The boot count (the health report's boots), after the record: one write per boot. Kept
// complemented, so an erased EEPROM (0xFF bytes) holds 0 boots and the first boot is 1.
const uint16_t kBootsEeprom = 16 + sizeof(FifoRecord);

uint32_t record_check(const FifoRecord& r) {
  return card::check_of(reinterpret_cast<const uint8_t*>(&r), sizeof r - 4);
}

bool read_record(FifoRecord* r) {
  eeprom_read_block(r, kRecordEeprom, sizeof *r);
  return r->check == record_check(*r);
}

void write_record(FifoRecord r) {
  r.check = record_check(r);
  eeprom_update_block(&r, kRecordEeprom, sizeof r);
}

uint32_t sum_value(const FrameSum& s) { return s.a | (uint32_t)s.b << 16; }

// Streams a kept frame's data blocks off the card (upload_frame's FrameSource), checking their
// FrameSum against its header's: the last chunk is withheld when they differ.

bool stream_card(const void* from, uint8_t* buf, uint16_t cap, FrameSink sink, void* context) {
  const CardSpan& span = *static_cast<const CardSpan*>(from);
  (void)cap;  // the board's buffer is one block (main.cpp)
  FrameSum sum;
  uint32_t block = span.first_block;
  for (uint32_t left = span.length; left;) {
    wdt_reset();
    if (sd::read_block(block++, buf) != sd::Error::kNone) return false;
    const uint16_t part = left < card::kBlockBytes ? (uint16_t)left : card::kBlockBytes;
    sum.add(buf, part);
    if (left == part && sum != span.sum) return false;
    if (!sink(context, buf, part)) return false;
    left -= part;
  }
  return true;
}

// Writes each chunk of the FIFO's frame (a whole block, the last one partly stale) to the card.
bool write_block(void* next_block, const uint8_t* data, uint16_t) {
  uint32_t& block = *static_cast<uint32_t*>(next_block);
  return sd::write_block(block++, data) == sd::Error::kNone;
}

}  // namespace

CameraBoard::CameraBoard(const CameraConfig& config, NetBuffer buffer)
    : cfg_(config), buf_(buffer), dhcp_(config.mac, buffer) {}

uint32_t CameraBoard::millis() { return ::millis(); }
void CameraBoard::kick_watchdog() { wdt_reset(); }
void CameraBoard::reboot() { board::reboot(); }
uint32_t CameraBoard::random() { return xorshift32(&random_); }
void CameraBoard::print_P(const char* s) {
  serial_log.print(reinterpret_cast<const __FlashStringHelper*>(s));
}
void CameraBoard::print(uint32_t n) { serial_log.print(n); }
void CameraBoard::println() { serial_log.println(); }
void CameraBoard::flush() { serial_log.flush(); }

__attribute__((noinline)) void CameraBoard::begin() {
  // What the health report says of this boot, from here on.
  health_.fw_P = strchr_P(cfg_.target.user_agent_P, '/') + 1;  // "stopmotion-cam/<version>"
  health_.reset_P = board::reset_cause_P();
  print_P(cfg_.target.user_agent_P);
  serial_log.print(F(" boot, reset: "));
  print_P(health_.reset_P);
  serial_log.println();
  log_settings();
  spi::begin();
  sd::begin();
  w5500::begin();
  arduchip::begin();
  sccb::begin();
  FifoRecord r;
  if (read_record(&r)) clock_at_boot_ = r.clock;
  uint32_t* const boots = reinterpret_cast<uint32_t*>(kBootsEeprom);
  health_.boots = ~eeprom_read_dword(boots) + 1;
  eeprom_update_dword(boots, ~health_.boots);
  open_card();
  uint32_t seed = micros();
  for (uint8_t i = 0; i < 6; ++i) seed = seed * 31 + cfg_.mac[i];
  random_ = (seed ^ ((uint32_t)analogRead(A0) << 16)) | 1;
}

__attribute__((noinline)) void CameraBoard::log_settings() {
  const HttpTarget& t = cfg_.target;
  serial_log.print(F("config: host="));
  print_P(t.host_P);
  serial_log.print(F(" port="));
  serial_log.print(t.port);
  serial_log.print(F(" path="));
  print_P(t.path_P);
  serial_log.print(F(" camera="));
  print_P(cfg_.camera_id_P);
  serial_log.print(F(" counter="));
  serial_log.println(auth::FrameCounter(kCounterEeprom).current());
  serial_log.print(F("config: interval="));
  serial_log.print(cfg_.policy.interval_ms / 1000);
  serial_log.print(F("s resolution="));
  serial_log.print(ov2640::width(cfg_.resolution));
  serial_log.print('x');
  serial_log.print(ov2640::height(cfg_.resolution));
  serial_log.print(F(" quality="));
  serial_log.print(cfg_.jpeg_quality);
  serial_log.print(F(" mac="));
  for (uint8_t i = 0; i < 6; ++i) {
    if (i) serial_log.print(':');
    if (cfg_.mac[i] < 16) serial_log.print('0');
    serial_log.print(cfg_.mac[i], HEX);
  }
  serial_log.println();
  // Where each of these lies in the configuration: a table, smaller than eight copies.
  static const uint8_t kMs[] PROGMEM = {
      offsetof(CameraConfig, capture_timeout_ms), offsetof(CameraConfig, dhcp_timeout_ms),
      offsetof(CameraConfig, dns_timeout_ms),     offsetof(CameraConfig, upload.connect_ms),
      offsetof(CameraConfig, upload.send_ms),     offsetof(CameraConfig, upload.response_ms),
      offsetof(CameraConfig, policy.retry.base_ms), offsetof(CameraConfig, policy.retry.cap_ms)};
  serial_log.print(F("config: ms capture dhcp dns connect send response retry max:"));
  for (uint8_t i = 0; i < sizeof kMs; ++i) {
    uint32_t v;
    memcpy(&v, reinterpret_cast<const uint8_t*>(&cfg_) + pgm_read_byte(&kMs[i]), sizeof v);
    serial_log.print(' ');
    serial_log.print(v);
  }
  serial_log.print(F("; capture_attempts="));
  serial_log.println(cfg_.policy.capture_attempts);
}

bool CameraBoard::bring_up_camera() {
  if (!arduchip::reset_and_check()) {
    serial_log.println(F("camera: ArduChip does not answer on SPI (test register)"));
    return false;
  }
  const uint16_t id = ov2640::product_id();
  if ((id >> 8) != 0x26) {
    serial_log.print(F("camera: OV2640 not found on I2C, id 0x"));
    serial_log.println(id, HEX);
    return false;
  }
  if (!ov2640::init_jpeg(cfg_.resolution, cfg_.jpeg_quality)) {
    serial_log.println(F("camera: OV2640 JPEG set-up failed"));
    return false;
  }
  serial_log.print(F("camera: ok, OV2640 id 0x"));
  serial_log.println(id, HEX);
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
  serial_log.print(F("camera: SPI "));
  serial_log.print(clock == spi::k8MHz ? 8 : 4);
  serial_log.print(F(" MHz, FIFO rewind bit 0x"));
  serial_log.println(bit, HEX);
}

void CameraBoard::slow_camera_bus() { arduchip::slow_down(); }

bool CameraBoard::bring_up_network() {
  if (!chip_ok_) {
    chip_ok_ = w5500::reset();
    if (!chip_ok_) {
      serial_log.println(F("net: W5500 does not answer"));
      return false;
    }
    w5500::set_mac(cfg_.mac);
    serial_log.print(F("net: W5500 ok, link "));
    serial_log.println(w5500::link_up() ? F("up") : F("down"));
  }
  return dhcp_.acquire(uptime_.seconds(), cfg_.dhcp_timeout_ms, xorshift32(&random_));
}

bool CameraBoard::keep_network(uint32_t now_ms) {
  uptime_.update(now_ms);
  if (!dhcp_.bound()) return false;
  dhcp_.maintain(uptime_.seconds(), cfg_.dhcp_timeout_ms);
  return true;
}

// The card, if one is in the slot with the queue's label (card_queue.h); logs what it found.
bool CameraBoard::open_card() {
  const sd::Error e = sd::init();
  card_ok_ = false;
  serial_log.print(F("card: "));
  if (e != sd::Error::kNone) {
    print_P(sd::error_name(e));
  } else {
    const card::Open o = queue_.open(buf_.data);
    card_ok_ = o == card::Open::kOk;
    if (o == card::Open::kNotOurs) {
      serial_log.print(F("no queue label (stopmotion card --format), not used"));
    } else if (!card_ok_) {
      serial_log.print(F("unreadable"));
    } else {
      serial_log.print(sd::blocks());
      serial_log.print(F(" blocks, "));
      serial_log.print(queue_.count());
      serial_log.print(F(" frames kept, "));
      serial_log.print(queue_.lost());
      serial_log.print(F(" lost"));
    }
  }
  serial_log.println();
  return card_ok_;
}

uint32_t CameraBoard::clock() {
  uptime_.update(::millis());
  return clock_at_boot_ + uptime_.seconds();
}

// The frame a reset of the board left in the camera's FIFO, if the EEPROM record says one was
// never acknowledged: scanned again without resetting the camera (a CPLD reset may clear the FIFO)
// and accepted only if its length and checksum match the record. A mismatch is a lost frame.
__attribute__((noinline)) bool CameraBoard::restore_frame(FrameExtent* frame) {
  FifoRecord r;
  if (!read_record(&r) || r.length == 0) return false;
  serial_log.print(F("frame counter "));
  serial_log.print(r.counter);
  bool found = false;
  if (arduchip::check()) {
    for (uint8_t tries = 0; tries < 2 && !found; ++tries) {
      if (tries) arduchip::use_other_rewind();  // the read pointer's reset bit is not documented
      found = capture_hashed(false, frame) == CaptureError::kNone && frame->length == r.length &&
              sum_value(frame->sum) == r.sum;
    }
  }
  if (!found) {
    serial_log.println(F(": not in the FIFO after the reset: lost"));
    count_lost();
    frame_done();
    return false;
  }
  serial_log.println(F(": still in the FIFO after the reset: sending it"));
  counter_ = r.counter;
  captured_ = r.captured;
  return true;
}

void CameraBoard::remember_frame(uint32_t length, const FrameSum& sum) {
  captured_ = clock();
  write_record({counter_, length, sum_value(sum), captured_, captured_, 0});
}

void CameraBoard::frame_done() { write_record({counter_, 0, 0, 0, clock(), 0}); }

// A new frame (or the one in the FIFO scanned again), and when a secret is set its counter: the
// next one, persisted before the first attempt, with the record that survives a reset.
CaptureError CameraBoard::capture(bool trigger, FrameExtent* frame) {
  const CaptureError err = capture_hashed(trigger, frame);
  if (err == CaptureError::kNone && trigger) {
    counter_ = auth::FrameCounter(kCounterEeprom).next();
    remember_frame(frame->length, frame->sum);
  }
  return err;
}

// Captures with the image hashed during the scan pass into digest_. Not inlined:
// the hash state leaves the stack before anything else needs it.
__attribute__((noinline)) CaptureError CameraBoard::capture_hashed(bool trigger,
                                                                   FrameExtent* frame) {
  auth::ImageHash hash;
  const CaptureError err = capture_frame(trigger, cfg_.capture_timeout_ms, buf_.data, buf_.size,
                                         frame, &hash);
  if (err == CaptureError::kNone) {
    hash.finish(digest_);
    health_.lead = frame->lead_in;
  }
  return err;
}

// Moves the frame in the FIFO to the card's queue: its blocks, then its header and the queue's
// state (card_queue.h). False, and logged, when there is no usable card.
__attribute__((noinline)) bool CameraBoard::keep_frame(const FrameExtent& frame) {
  if (!card_ok_ && !open_card()) return false;
  const uint32_t started = ::millis();
  const uint32_t lost_before = queue_.lost();
  const uint32_t at = queue_.reserve(frame.length, buf_.data);  // a full card drops its oldest
  lost_ += queue_.lost() - lost_before;
  uint32_t next = at + 1;
  const bool ok = at && stream_frame(frame, buf_.data, card::kBlockBytes, write_block, &next) &&
                  commit_kept(at, frame);
  serial_log.print(F("card: frame counter "));
  serial_log.print(counter_);
  if (!ok) {
    serial_log.println(F(" could not be written"));
    card_ok_ = false;  // tried again (init and all) at the next frame
    return false;
  }
  serial_log.print(F(" kept in "));
  serial_log.print(::millis() - started);
  serial_log.print(F(" ms, "));
  serial_log.print(queue_.count());
  serial_log.print(F(" kept, "));
  serial_log.print(queue_.lost());
  serial_log.println(F(" lost"));
  frame_done();
  return true;
}

// The header of the frame in the FIFO, on the stack only once its blocks are on the card.
__attribute__((noinline)) bool CameraBoard::commit_kept(uint32_t at, const FrameExtent& frame) {
  card::Frame f = {counter_, frame.length, captured_, {}, frame.sum};
  memcpy(f.sha256, digest_, sizeof f.sha256);
  return queue_.commit(at, f, buf_.data);
}

uint32_t CameraBoard::frames_kept() { return card_ok_ ? queue_.count() : 0; }

void CameraBoard::kept_done(bool lost) {
  if (lost) ++lost_;
  if (!queue_.pop(lost, buf_.data)) card_ok_ = false;
}

void CameraBoard::count_lost() {
  ++lost_;
  if (card_ok_) queue_.count_lost();  // written with the card's next state
}

bool CameraBoard::resolve_host(uint8_t ip[4]) {
  if (dns_resolve(cfg_.target.host_P, dhcp_.dns_server(), buf_, cfg_.dns_timeout_ms,
                  xorshift32(&random_), ip)) {
    memcpy(host_ip_, ip, 4);
    return true;
  }
  if (!host_ip_[0]) return false;
  memcpy(ip, host_ip_, 4);  // the name did not resolve now, but it did before
  serial_log.println(F("dns: using the last known address"));
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
  const uint8_t len = format_u32(digits, value);
  if (*at + len > n || memcmp(text + *at, digits, len) != 0) return false;
  *at += len;
  return *at < n && text[*at] == ',';
}

// The decimal that ends at text[*at] (exclusive) with the flash string name_P before it: value
// gets it and *at moves back to the name's start. False when the text there is not name, digits.
bool take_back_u32(const char* text, uint16_t* at, const char* name_P, uint32_t* value) {
  uint16_t i = *at;
  uint32_t v = 0, scale = 1;
  for (; i && isdigit(text[i - 1]) && scale <= 1000000000UL; scale *= 10) {
    v += (uint32_t)(text[--i] - '0') * scale;
  }
  const uint16_t name_length = strlen_P(name_P);
  if (i == *at || i < name_length) return false;
  uint16_t name = i - name_length;
  if (!take_P(text, i, &name, name_P)) return false;
  *at = i - name_length;
  *value = v;
  return true;
}

uint8_t hex_value(char c) { return (uint8_t)(c <= '9' ? c - '0' : c - 'a' + 10); }

}  // namespace

// The answer is the service's for this request: its MAC verifies with the camera's secret over
// "SM1-ANSWER\n" + id + "\n" + the value before ", Signature=", and it names this request's
// counter (which the request's own signature ties to the body) and the status line's status
// (answer.py). Not inlined: the HMAC state must not share the stack with the upload's buffers.
__attribute__((noinline)) bool CameraBoard::answer_signed(uint32_t counter, uint16_t status,
                                                          const Answer& a) {
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
    mac.begin(cfg_.secret_P, CameraConfig::kSecretBytes);
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
  if (!take_P(a.text, n, &at, kCounter) || !take_u32(a.text, n, &at, counter)) return false;
  if (!take_P(a.text, n, &at, kStatus) || !take_u32(a.text, n, &at, status)) return false;
  return true;
}

// The service's clock from a signed answer's Time=, which Next= follows at the end of its signed
// part (answer.py): the card keeps unix time minus the camera clock, so `stopmotion card` can date
// the frames it holds.
// Its Next= is the policy's (next_capture_s()).
void CameraBoard::set_clock(const Answer& a) {
  static const char kTime[] PROGMEM = "Time=";
  static const char kNext[] PROGMEM = ", Next=";
  uint16_t at = a.length - 64 - 12;  // answer_signed() checked the length
  uint32_t next_s, now;
  if (take_back_u32(a.text, &at, kNext, &next_s) && take_back_u32(a.text, &at, kTime, &now)) {
    queue_.set_anchor(now - clock());
    next_s_ = next_s + 1;  // Next= has at most 7 digits (answer.py)
  }
}

namespace {

bool stream_nothing(const void*, uint8_t*, uint16_t, FrameSink, void*) { return true; }

}  // namespace

// The hello: the upload's request without a frame (Content-Length 0, Age 0, the SHA-256 of
// nothing), signed with a fresh counter (the service claims none for a hello, but a counter is
// never signed twice). digest_ is free: the policy says hello only while the FIFO holds no frame.
__attribute__((noinline)) UploadResult CameraBoard::hello() {
  // SHA-256 of no bytes (FIPS 180-4), a constant rather than a hash state on the stack.
  static const uint8_t kNothing[auth::Sha256::kDigestSize] PROGMEM = {
      0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
      0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
  memcpy_P(digest_, kNothing, sizeof digest_);
  const uint32_t counter = auth::FrameCounter(kCounterEeprom).next();
  uint8_t signature[auth::Sha256::kDigestSize];
  health_.tries = 1;
  sign(signature, counter, 0, 0, digest_);
  return deliver(counter, 0, signature, {0, stream_nothing, nullptr});
}

__attribute__((noinline)) UploadResult CameraBoard::upload(const FrameExtent& frame,
                                                           uint8_t tries) {
  health_.tries = tries;
  uint8_t signature[auth::Sha256::kDigestSize];
  const uint32_t age = clock() - captured_;
  sign(signature, counter_, age, frame.length, digest_);
  return deliver(counter_, age, signature, {frame.length, stream_fifo, &frame});
}

// The oldest frame on the card; counter gets its counter. kCardFailed when its header cannot be
// read (a damaged one empties the queue: card_queue.h).
__attribute__((noinline)) UploadResult CameraBoard::upload_kept(uint32_t* counter,
                                                                uint8_t tries) {
  health_.tries = tries;
  CardSpan span;
  uint8_t signature[auth::Sha256::kDigestSize];
  uint32_t age;
  if (!sign_kept(counter, &age, signature, &span)) {
    card_ok_ = false;
    return {UploadError::kCardFailed, 0};
  }
  return deliver(*counter, age, signature, {span.length, stream_card, &span});
}

// Reads the oldest kept frame's header and signs this attempt; the header (with the frame's
// SHA-256) leaves the stack before the upload starts.
__attribute__((noinline)) bool CameraBoard::sign_kept(uint32_t* counter, uint32_t* age,
                                                      uint8_t* signature, CardSpan* span) {
  card::Frame f;
  if (!queue_.head(&f, &span->first_block, buf_.data)) return false;
  *counter = f.counter;
  *age = clock() - f.captured;
  span->length = f.length;
  span->sum = f.sum;
  sign(signature, f.counter, *age, f.length, f.sha256);
  return true;
}

// The numbers of this request's health report that change (the others are set where they do;
// health_.tries by the caller): taken once, so the value signed is the value sent.
void CameraBoard::take_health() {
  Health& h = health_;
  h.up_s = clock() - clock_at_boot_;
  h.sram = board::free_sram_low_water();
  h.queued = (uint16_t)frames_kept();
  h.lost = (uint16_t)(lost_ - lost_reported_);
  const uint8_t phy = w5500::phy();
  h.link_P = !(phy & 1) ? PSTR("down") : phy & 2 ? PSTR("100M") : PSTR("10M");
  h.dhcp = dhcp_.renewals();
  h.spi_khz = arduchip::clock() == spi::k8MHz ? 8000 : 4000;
}

// Signs an attempt of the frame with this counter and age (the camera clock now minus at
// capture), this body and the health report: the HMAC states on a stack frame of their own.
__attribute__((noinline)) void CameraBoard::sign(uint8_t* signature, uint32_t counter,
                                                 uint32_t age, uint32_t length,
                                                 const uint8_t* digest) {
  take_health();
  const TextSource health = {health_value, &health_};
  auth::sign_request(signature, cfg_.secret_P, CameraConfig::kSecretBytes, auth::kSignedMethod_P,
                     auth::kSignedPath_P, cfg_.camera_id_P, counter, age, length, digest, health);
}

// Posts the body with its signed credential and checks that the answer is the service's
// (answer_signed), whose clock it then takes (set_clock). Each step is a function of its own, so
// the HMAC states and the request's buffers are never on the stack together.
__attribute__((noinline)) UploadResult CameraBoard::deliver(uint32_t counter, uint32_t age,
                                                            const uint8_t* signature,
                                                            const FrameSource& body) {
  uint8_t ip[4];
  next_s_ = 0;
  if (!resolve_host(ip)) return {UploadError::kNoHost, 0};
  const UploadResult r = post(ip, counter, age, signature, body);
  if (r.error != UploadError::kNone) return r;
  const Answer& answer = *reinterpret_cast<const Answer*>(buf_.data);
  if (!answer_signed(counter, r.status, answer)) return {UploadError::kUntrusted, r.status};
  set_clock(answer);
  lost_reported_ += health_.lost;  // the service has that report
  return r;
}

__attribute__((noinline)) UploadResult CameraBoard::post(const uint8_t ip[4], uint32_t counter,
                                                         uint32_t age, const uint8_t* signature,
                                                         const FrameSource& body) {
  const auth::Credential credential = {cfg_.camera_id_P, counter, age, signature};
  const HttpHeader headers[] = {{kAuthorization, {auth::write_authorization, &credential}},
                                {kHealth, {health_value, &health_}}};
  return upload_frame(ip, (uint16_t)(49152 + (xorshift32(&random_) & 0x3FFF)), cfg_.target,
                      headers, 2, body, cfg_.upload, buf_.data, buf_.size);
}
