// Host check of firmware/lib/auth against the Python vectors (auth_vectors.txt) and of the EEPROM
// frame counter, and of the image hash over the firmware's JPEG scan.
// Usage: auth_host vectors FILE | counter | image. Prints "ok N checks" or FAIL lines.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <string>
#include <vector>

#include "frame_counter.h"
#include "hmac_sha256.h"
#include "image_hash.h"
#include "jpeg_scan.h"
#include "request_signer.h"

using auth::FrameCounter;
using auth::HmacSha256;
using auth::Sha256;

static int failures = 0, checks = 0;

static void expect(bool ok, const std::string &what) {
  checks++;
  if (!ok) {
    failures++;
    printf("FAIL %s\n", what.c_str());
  }
}

static std::vector<uint8_t> unhex(const std::string &text) {
  std::vector<uint8_t> out;
  if (text == "-") return out;
  for (size_t i = 0; i + 1 < text.size(); i += 2) out.push_back(uint8_t(strtoul(text.substr(i, 2).c_str(), 0, 16)));
  return out;
}

static std::string hex(const uint8_t *bytes, size_t n) {
  std::string out;
  char two[3];
  for (size_t i = 0; i < n; i++) {
    snprintf(two, sizeof two, "%02x", bytes[i]);
    out += two;
  }
  return out;
}

static std::vector<std::string> split(const std::string &line, size_t max_fields) {
  std::vector<std::string> out;
  size_t start = 0;
  while (out.size() + 1 < max_fields) {
    size_t space = line.find(' ', start);
    if (space == std::string::npos) break;
    out.push_back(line.substr(start, space - start));
    start = space + 1;
  }
  out.push_back(line.substr(start));
  return out;
}

static void check_sha256(const std::vector<std::string> &f) {
  std::vector<uint8_t> message = unhex(f[1]);
  uint8_t digest[32];
  Sha256 sha;
  sha.begin();  // in one call
  sha.update(message.data(), message.size());
  sha.finish(digest);
  expect(hex(digest, 32) == f[2], "sha256 whole " + f[1].substr(0, 16));
  sha.begin();  // byte by byte, as the FIFO scan feeds it, then in uneven chunks
  for (uint8_t b : message) sha.update(b);
  sha.finish(digest);
  expect(hex(digest, 32) == f[2], "sha256 bytewise " + f[1].substr(0, 16));
  sha.begin();
  for (size_t at = 0, step = 1; at < message.size(); at += step, step = step % 97 + 7) {
    size_t n = message.size() - at < step ? message.size() - at : step;
    sha.update_P(message.data() + at, n);
  }
  sha.finish(digest);
  expect(hex(digest, 32) == f[2], "sha256 chunked " + f[1].substr(0, 16));
}

static void check_hmac(const std::vector<std::string> &f) {
  std::vector<uint8_t> key = unhex(f[1]), message = unhex(f[2]);
  uint8_t mac[32];
  HmacSha256 h;
  h.begin(key.data(), uint8_t(key.size()));
  h.update(message.data(), message.size());
  h.finish(mac);
  expect(hex(mac, 32) == f[3], "hmac key " + f[1].substr(0, 16));
}

static void check_sign(const std::vector<std::string> &f) {
  std::vector<uint8_t> key = unhex(f[1]), body_sha = unhex(f[7]);
  uint8_t signature[32];
  auth::sign_request(signature, key.data(), uint8_t(key.size()), f[2].c_str(), f[3].c_str(),
                     f[4].c_str(), uint32_t(strtoul(f[5].c_str(), 0, 10)),
                     uint32_t(strtoul(f[6].c_str(), 0, 10)), body_sha.data());
  expect(f[8] == hex(signature, 32), "sign " + f[4] + " " + f[5]);
}

static void check_header(const std::vector<std::string> &f) {
  char value[auth::kAuthorizationMax + 1];
  std::vector<uint8_t> signature = unhex(f[3]);
  size_t n = auth::authorization_value(value, sizeof value, f[1].c_str(),
                                       uint32_t(strtoul(f[2].c_str(), 0, 10)), signature.data());
  expect(n == f[4].size() && f[4] == value, "header " + f[1]);
  expect(auth::authorization_value(value, n, f[1].c_str(), uint32_t(strtoul(f[2].c_str(), 0, 10)),
                                   signature.data()) == 0 && value[0] == 0,
         "header refuses a short buffer");
}

static int run_vectors(const char *path) {
  FILE *file = fopen(path, "r");
  if (!file) {
    printf("FAIL cannot open %s\n", path);
    return 1;
  }
  static char line[1 << 17];
  while (fgets(line, sizeof line, file)) {
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    std::vector<std::string> f = split(text, text.rfind("header", 0) == 0 ? 5 : 9);
    if (f[0] == "sha256" && f.size() == 3) check_sha256(f);
    else if (f[0] == "hmac" && f.size() == 4) check_hmac(f);
    else if (f[0] == "sign" && f.size() == 9) check_sign(f);
    else if (f[0] == "header" && f.size() == 5) check_header(f);
    else expect(false, "unknown vector line " + text.substr(0, 40));
  }
  fclose(file);
  return 0;
}

static void run_counter() {
  memset(auth::host_eeprom, 0xff, sizeof auth::host_eeprom);  // a fresh chip
  FrameCounter counter(100);
  expect(counter.current() == 0, "erased EEPROM reads as 0");
  expect(counter.next() == 1 && counter.next() == 2 && counter.current() == 2, "counts 1, 2");
  expect(FrameCounter(100).current() == 2, "survives a reboot");
  for (int i = 0; i < 1000; i++) counter.next();
  expect(counter.current() == 1002, "1000 more");
  expect(auth::host_eeprom[99] == 0xff && auth::host_eeprom[116] == 0xff, "stays in its 16 bytes");
  // A reset in the middle of next(): every prefix of the 8 bytes it writes.
  for (int cut = 0; cut <= 8; cut++) {
    uint8_t before[1024], after[1024];
    memcpy(before, auth::host_eeprom, sizeof before);
    uint32_t old = counter.current(), fresh = counter.next();
    memcpy(after, auth::host_eeprom, sizeof after);
    // Rebuild the torn state: next() wrote one slot, its inverse (bytes 4-7) then its value (0-3).
    memcpy(auth::host_eeprom, before, sizeof before);
    int slot = memcmp(&before[100], &after[100], 8) != 0 ? 0 : 1;
    const int order[8] = {4, 5, 6, 7, 0, 1, 2, 3};
    for (int i = 0; i < cut; i++) {
      int at = 100 + 8 * slot + order[i];
      auth::host_eeprom[at] = after[at];
    }
    uint32_t seen = counter.current();
    expect(seen == old || seen == fresh, "torn write at byte " + std::to_string(cut));
    expect(counter.next() > old, "never goes backwards after a torn write " + std::to_string(cut));
  }
  memset(auth::host_eeprom, 0xff, sizeof auth::host_eeprom);
  auth::host_eeprom[100] = 0x12;  // one stray byte: the slot is invalid, not a huge counter
  expect(FrameCounter(100).current() == 0, "a corrupt slot is ignored");
  char digits[11];
  expect(auth::format_u32(digits, 0) == 1 && strcmp(digits, "0") == 0, "format 0");
  expect(auth::format_u32(digits, 4294967295u) == 10 && strcmp(digits, "4294967295") == 0, "format max");
}

// The scan pass: the firmware's JpegScan over junk + image + padding, fed in chunks of every size;
// ImageHash must hash exactly the image.
static void run_image_hash() {
  std::vector<uint8_t> image = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0xFF, 0xD8};  // a stray SOI
  for (int i = 0; i < 700; i++) image.push_back(uint8_t(i * 37 % 255));  // no FF in the data
  image.push_back(0xFF);
  image.push_back(0xD9);
  uint8_t expected[32], got[32];
  Sha256 sha;
  sha.begin();
  sha.update(image.data(), image.size());
  sha.finish(expected);
  const std::vector<std::vector<uint8_t>> junks = {{}, {0x00}, {0xFF}, {0x12, 0xFF, 0xFF}};
  for (const auto &junk : junks) {
    std::vector<uint8_t> stream(junk);
    stream.insert(stream.end(), image.begin(), image.end());
    for (int i = 0; i < 300; i++) stream.push_back(i % 3 ? 0x00 : 0xFF);  // padding, FF D9 too
    stream.push_back(0xD9);
    for (uint16_t chunk = 1; chunk <= 520; chunk += (chunk < 80 ? 1 : 37)) {
      JpegScan scan;
      auth::ImageHash hash;
      hash.begin();
      for (uint32_t offset = 0; offset < stream.size() && !scan.complete(); offset += chunk) {
        uint16_t n = uint16_t(std::min<size_t>(chunk, stream.size() - offset));
        scan.feed(&stream[offset], n);
        hash.feed(&stream[offset], n, offset, scan.found_start(), scan.start(), scan.complete(),
                  scan.start() + scan.length());
      }
      hash.finish(got);
      expect(scan.complete() && scan.length() == image.size() &&
                 memcmp(got, expected, 32) == 0,
             "image hash, junk " + std::to_string(junk.size()) + ", chunk " + std::to_string(chunk));
    }
  }
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "vectors") == 0) run_vectors(argv[2]);
  else if (argc == 2 && strcmp(argv[1], "counter") == 0) run_counter();
  else if (argc == 2 && strcmp(argv[1], "image") == 0) run_image_hash();
  else {
    printf("usage: auth_host vectors FILE | counter | image\n");
    return 2;
  }
  printf("%s %d checks, %d failed\n", failures ? "FAIL" : "ok", checks, failures);
  return failures ? 1 : 0;
}
