// firmware/lib/auth on the host: SHA-256, HMAC, the request signer and the Authorization value
// against vectors that Python's hashlib/hmac and the service's own signing code wrote
// (auth_vectors.txt beside this file: tests/security/make_vectors.py), the EEPROM frame counter
// across reboots and torn writes, and the image hash over the firmware's JPEG scan.
#include <doctest.h>
#include <eeprom_host.h>
#include <frame_counter.h>
#include <hmac_sha256.h>
#include <image_hash.h>
#include <jpeg_scan.h>
#include <request_signer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <text_buf.h>

#include <algorithm>
#include <string>
#include <vector>

using auth::FrameCounter;
using auth::HmacSha256;
using auth::Sha256;

namespace {

std::vector<uint8_t> unhex(const std::string& text) {
  std::vector<uint8_t> out;
  if (text == "-") return out;
  for (size_t i = 0; i + 1 < text.size(); i += 2) {
    out.push_back(uint8_t(strtoul(text.substr(i, 2).c_str(), 0, 16)));
  }
  return out;
}

std::string hex(const uint8_t* bytes, size_t n) {
  std::string out;
  char two[3];
  for (size_t i = 0; i < n; i++) {
    snprintf(two, sizeof two, "%02x", bytes[i]);
    out += two;
  }
  return out;
}

std::vector<std::string> split(const std::string& line, size_t max_fields) {
  std::vector<std::string> out;
  size_t start = 0;
  while (out.size() + 1 < max_fields) {
    const size_t space = line.find(' ', start);
    if (space == std::string::npos) break;
    out.push_back(line.substr(start, space - start));
    start = space + 1;
  }
  out.push_back(line.substr(start));
  return out;
}

// The vectors file: AUTH_VECTORS if set (a test hands it a broken copy), else beside this source.
std::vector<std::string> vector_lines() {
  std::string path;
  if (const char* given = getenv("AUTH_VECTORS")) {
    path = given;
  } else {
    path = __FILE__;
    path = path.substr(0, path.find_last_of('/') + 1) + "auth_vectors.txt";
  }
  FILE* file = fopen(path.c_str(), "r");
  REQUIRE_MESSAGE(file != nullptr, "cannot open " << path);
  std::vector<std::string> lines;
  static char line[1 << 17];
  while (fgets(line, sizeof line, file)) {
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    lines.push_back(text);
  }
  fclose(file);
  return lines;
}

void check_sha256(const std::vector<std::string>& f) {
  const std::vector<uint8_t> message = unhex(f[1]);
  uint8_t digest[32];
  Sha256 sha;
  sha.begin();  // in one call
  sha.update(message.data(), message.size());
  sha.finish(digest);
  CHECK(hex(digest, 32) == f[2]);
  sha.begin();  // byte by byte, as the FIFO scan feeds it
  for (uint8_t b : message) sha.update(b);
  sha.finish(digest);
  CHECK(hex(digest, 32) == f[2]);
  sha.begin();  // in uneven chunks, through the flash reader (plain memory on the host)
  for (size_t at = 0, step = 1; at < message.size(); at += step, step = step % 97 + 7) {
    const size_t n = message.size() - at < step ? message.size() - at : step;
    sha.update_P(message.data() + at, n);
  }
  sha.finish(digest);
  CHECK(hex(digest, 32) == f[2]);
}

void check_hmac(const std::vector<std::string>& f) {
  const std::vector<uint8_t> key = unhex(f[1]), message = unhex(f[2]);
  uint8_t mac[32];
  HmacSha256 h;
  h.begin(key.data(), uint8_t(key.size()));
  h.update(message.data(), message.size());
  h.finish(mac);
  CHECK(hex(mac, 32) == f[3]);
}

void check_sign(const std::vector<std::string>& f) {
  const std::vector<uint8_t> key = unhex(f[1]), body_sha = unhex(f[8]);
  uint8_t signature[32];
  const TextSource health = {write_text, f[10] == "-" ? "" : f[10].c_str()};
  auth::sign_request(signature, key.data(), uint8_t(key.size()), f[2].c_str(), f[3].c_str(),
                     f[4].c_str(), uint32_t(strtoul(f[5].c_str(), 0, 10)),
                     uint32_t(strtoul(f[6].c_str(), 0, 10)),
                     uint32_t(strtoul(f[7].c_str(), 0, 10)), body_sha.data(), health);
  CHECK(hex(signature, 32) == f[9]);
}

void check_header(const std::vector<std::string>& f) {
  char value[auth::kAuthorizationMax + 1];
  const std::vector<uint8_t> signature = unhex(f[4]);
  const uint32_t counter = uint32_t(strtoul(f[2].c_str(), 0, 10));
  const uint32_t age = uint32_t(strtoul(f[3].c_str(), 0, 10));
  const size_t n = auth::authorization_value(value, sizeof value, f[1].c_str(), counter, age,
                                             signature.data());
  CHECK(n == f[5].size());
  CHECK(n <= auth::kAuthorizationMax);
  CHECK(std::string(value) == f[5]);
  CHECK(auth::authorization_value(value, n, f[1].c_str(), counter, age, signature.data()) == 0);
  CHECK(value[0] == 0);  // a buffer one short: refused, and empty
}

}  // namespace

TEST_CASE("auth vectors: SHA-256, HMAC, signatures and headers as Python computes them") {
  size_t checked = 0;
  for (const std::string& line : vector_lines()) {
    const std::vector<std::string> f = split(line, line.rfind("header", 0) == 0 ? 6 : 11);
    CAPTURE(line.substr(0, 60));
    if (f[0] == "sha256" && f.size() == 3) {
      check_sha256(f);
    } else if (f[0] == "hmac" && f.size() == 4) {
      check_hmac(f);
    } else if (f[0] == "sign" && f.size() == 11) {
      check_sign(f);
    } else if (f[0] == "header" && f.size() == 6) {
      check_header(f);
    } else {
      FAIL("unknown vector line");
    }
    ++checked;
  }
  CHECK(checked > 250);  // the whole file was read
}

TEST_CASE("the frame counter counts, survives reboots and torn writes, stays in its 16 bytes") {
  uint8_t* eeprom = auth::host_eeprom;
  memset(eeprom, 0xff, auth::kHostEepromBytes);  // a fresh chip
  FrameCounter counter(100);
  CHECK(counter.current() == 0);
  CHECK(counter.next() == 1);
  CHECK(counter.next() == 2);
  CHECK(FrameCounter(100).current() == 2);  // a reboot
  for (int i = 0; i < 1000; i++) counter.next();
  CHECK(counter.current() == 1002);
  CHECK(eeprom[99] == 0xff);
  CHECK(eeprom[116] == 0xff);
  for (int cut = 0; cut <= 8; cut++) {  // a reset in the middle of next(): every prefix it writes
    CAPTURE(cut);
    uint8_t before[auth::kHostEepromBytes], after[auth::kHostEepromBytes];
    memcpy(before, eeprom, sizeof before);
    const uint32_t old = counter.current(), fresh = counter.next();
    memcpy(after, eeprom, sizeof after);
    memcpy(eeprom, before, sizeof before);
    const int slot = memcmp(&before[100], &after[100], 8) != 0 ? 0 : 1;
    const int order[8] = {4, 5, 6, 7, 0, 1, 2, 3};  // next() writes the inverse first
    for (int i = 0; i < cut; i++) {
      const int at = 100 + 8 * slot + order[i];
      eeprom[at] = after[at];
    }
    const uint32_t seen = counter.current();
    CHECK((seen == old || seen == fresh));
    CHECK(counter.next() > old);  // never backwards
  }
  memset(eeprom, 0xff, auth::kHostEepromBytes);
  eeprom[100] = 0x12;  // one stray byte: the slot is invalid, not a huge counter
  CHECK(FrameCounter(100).current() == 0);
}

TEST_CASE("format_u32 writes every digit") {
  char digits[11];
  CHECK(format_u32(digits, 0) == 1);
  CHECK(strcmp(digits, "0") == 0);
  CHECK(format_u32(digits, 4294967295u) == 10);
  CHECK(strcmp(digits, "4294967295") == 0);
}

TEST_CASE("the image hash covers exactly the JPEG the scan finds, in chunks of every size") {
  std::vector<uint8_t> image = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0xFF, 0xD8};  // a stray SOI
  for (int i = 0; i < 700; i++) image.push_back(uint8_t(i * 37 % 255));       // no FF in the data
  image.push_back(0xFF);
  image.push_back(0xD9);
  uint8_t expected[32], got[32];
  Sha256 sha;
  sha.begin();
  sha.update(image.data(), image.size());
  sha.finish(expected);
  const std::vector<std::vector<uint8_t>> junks = {{}, {0x00}, {0xFF}, {0x12, 0xFF, 0xFF}};
  for (const auto& junk : junks) {
    std::vector<uint8_t> stream(junk);
    stream.insert(stream.end(), image.begin(), image.end());
    for (int i = 0; i < 300; i++) stream.push_back(i % 3 ? 0x00 : 0xFF);  // padding, FF D9 too
    stream.push_back(0xD9);
    for (uint16_t chunk = 1; chunk <= 520; chunk += (chunk < 80 ? 1 : 37)) {
      CAPTURE(junk.size());
      CAPTURE(chunk);
      JpegScan scan;
      auth::ImageHash hash;
      hash.begin();
      for (uint32_t offset = 0; offset < stream.size() && !scan.complete(); offset += chunk) {
        const uint16_t n = uint16_t(std::min<size_t>(chunk, stream.size() - offset));
        scan.feed(&stream[offset], n);
        hash.feed(&stream[offset], n, offset, scan.found_start(), scan.start(), scan.complete(),
                  scan.start() + scan.length());
      }
      hash.finish(got);
      CHECK(scan.complete());
      CHECK(scan.length() == image.size());
      CHECK(memcmp(got, expected, 32) == 0);
    }
  }
}
