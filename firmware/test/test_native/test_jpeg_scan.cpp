#include <doctest.h>
#include <jpeg_scan.h>

#include <stddef.h>

#include <algorithm>
#include <vector>

namespace {

std::vector<uint8_t> fifo(std::vector<uint8_t> lead, std::vector<uint8_t> jpeg,
                          std::vector<uint8_t> pad) {
  std::vector<uint8_t> out = lead;
  out.insert(out.end(), jpeg.begin(), jpeg.end());
  out.insert(out.end(), pad.begin(), pad.end());
  return out;
}

const std::vector<uint8_t> kJpeg = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0xFF,
                                    0x00, 0x12, 0xFF, 0xD9};

void feed_in_chunks(JpegScan& scan, const std::vector<uint8_t>& data, size_t chunk) {
  for (size_t i = 0; i < data.size(); i += chunk) {
    const size_t n = std::min(chunk, data.size() - i);
    if (scan.feed(data.data() + i, (uint16_t)n)) break;
  }
}

}  // namespace

TEST_CASE("JPEG at byte 0 (no dummy byte), padding ignored") {
  const auto data = fifo({}, kJpeg, {0x00, 0xFF, 0xD9, 0x55});
  JpegScan scan;
  CHECK(scan.feed(data.data(), (uint16_t)data.size()));
  CHECK(scan.start() == 0);
  CHECK(scan.length() == kJpeg.size());
  CHECK(scan.scanned() == kJpeg.size());  // stops at the end marker
}

TEST_CASE("JPEG after a dummy byte, whatever its value") {
  for (uint8_t dummy : {0x00, 0xFF, 0xD8, 0x42}) {
    CAPTURE(dummy);
    const auto data = fifo({dummy}, kJpeg, std::vector<uint8_t>(100, 0xAA));
    JpegScan scan;
    CHECK(scan.feed(data.data(), (uint16_t)data.size()));
    CHECK(scan.start() == 1);
    CHECK(scan.length() == kJpeg.size());
  }
}

TEST_CASE("markers split across chunks are found at every chunk size") {
  const auto data = fifo({0x00, 0x11}, kJpeg, std::vector<uint8_t>(40, 0));
  for (size_t chunk = 1; chunk <= data.size(); ++chunk) {
    CAPTURE(chunk);
    JpegScan scan;
    feed_in_chunks(scan, data, chunk);
    REQUIRE(scan.complete());
    CHECK(scan.start() == 2);
    CHECK(scan.length() == kJpeg.size());
  }
}

TEST_CASE("FF D9 before the start marker is not an end") {
  const auto data = fifo({0xFF, 0xD9, 0x00}, kJpeg, {});
  JpegScan scan;
  CHECK(scan.feed(data.data(), (uint16_t)data.size()));
  CHECK(scan.start() == 3);
  CHECK(scan.length() == kJpeg.size());
}

TEST_CASE("fill bytes before a marker: FF FF D8 starts at the FF next to D8") {
  const std::vector<uint8_t> data = {0xFF, 0xFF, 0xD8, 0xFF, 0xFF, 0xD9};
  JpegScan scan;
  CHECK(scan.feed(data.data(), (uint16_t)data.size()));
  CHECK(scan.start() == 1);
  CHECK(scan.length() == 5);
}

TEST_CASE("D8 of the start marker cannot pair with a following D9") {
  const std::vector<uint8_t> data = {0xFF, 0xD8, 0xD9, 0x00, 0xFF, 0xD9};
  JpegScan scan;
  CHECK(scan.feed(data.data(), (uint16_t)data.size()));
  CHECK(scan.length() == 6);
}

TEST_CASE("no start marker, or no end marker: not complete") {
  const std::vector<uint8_t> none(64, 0x00);
  JpegScan a;
  CHECK_FALSE(a.feed(none.data(), (uint16_t)none.size()));
  CHECK_FALSE(a.found_start());
  const std::vector<uint8_t> truncated = {0x00, 0xFF, 0xD8, 0x01, 0x02, 0xFF};
  JpegScan b;
  CHECK_FALSE(b.feed(truncated.data(), (uint16_t)truncated.size()));
  CHECK(b.found_start());
  CHECK_FALSE(b.complete());
}

TEST_CASE("the bytes right after FF D8 are kept, at every chunk size") {
  const auto data = fifo({0x00}, kJpeg, std::vector<uint8_t>(40, 0));
  for (size_t chunk = 1; chunk <= data.size(); ++chunk) {
    CAPTURE(chunk);
    JpegScan scan;
    feed_in_chunks(scan, data, chunk);
    REQUIRE(scan.head_length() == (uint8_t)JpegScan::kHeadBytes);
    CHECK(std::equal(scan.head(), scan.head() + JpegScan::kHeadBytes, kJpeg.begin() + 2));
  }
}

TEST_CASE("a JPEG shorter than the head keeps only its own bytes") {
  const std::vector<uint8_t> data = {0xFF, 0xD8, 0x01, 0xFF, 0xD9, 0x77, 0x77};
  JpegScan scan;
  CHECK(scan.feed(data.data(), (uint16_t)data.size()));
  CHECK(scan.head_length() == 3);
  CHECK(std::equal(scan.head(), scan.head() + 3, data.begin() + 2));
}

TEST_CASE("burst lead-in: a burst that continues the stream, or starts with one junk byte") {
  const uint8_t* head = kJpeg.data() + 2;  // FF E0 00 10 4A FF 00 12
  const uint8_t n = 8;
  CHECK(burst_lead_in(head, head, n) == 0);
  for (uint8_t junk : {0x00, 0xFF, 0xE0, 0x42}) {
    CAPTURE(junk);
    std::vector<uint8_t> got = {junk};
    got.insert(got.end(), head, head + n - 1);
    CHECK(burst_lead_in(head, got.data(), n) == 1);
  }
}

TEST_CASE("burst lead-in: anything else is unknown, never a guess") {
  const uint8_t* head = kJpeg.data() + 2;
  std::vector<uint8_t> two_junk = {0x00, 0x00};
  two_junk.insert(two_junk.end(), head, head + 6);
  CHECK(burst_lead_in(head, two_junk.data(), 8) == kLeadInUnknown);
  std::vector<uint8_t> changed(head, head + 8);
  changed[7] ^= 1;
  CHECK(burst_lead_in(head, changed.data(), 8) == kLeadInUnknown);
  const std::vector<uint8_t> run(8, 0xAA);  // fits both readings
  CHECK(burst_lead_in(run.data(), run.data(), 8) == kLeadInUnknown);
  CHECK(burst_lead_in(head, head, 1) == kLeadInUnknown);  // too short to tell
}

TEST_CASE("frame sum: a block gives the scan's byte-by-byte sums, however it is chunked") {
  std::vector<uint8_t> data(700);
  for (size_t i = 0; i < data.size(); ++i) data[i] = (uint8_t)(i * 37 + 11);
  data[100] = data[101] = 0xFF;  // sums past 2^16: both wrap
  FrameSum bytewise;
  uint32_t a = 0, b = 0;
  for (uint8_t byte : data) {
    bytewise.add(byte);
    a = (a + byte) & 0xFFFF;
    b = (b + a) & 0xFFFF;
  }
  CHECK(bytewise.a == a);
  CHECK(bytewise.b == b);
  for (size_t chunk : {1, 7, 512, 700}) {
    CAPTURE(chunk);
    FrameSum blocks;
    for (size_t i = 0; i < data.size(); i += chunk) {
      blocks.add(data.data() + i, (uint16_t)std::min(chunk, data.size() - i));
    }
    CHECK(blocks == bytewise);
  }
  FrameSum none;
  none.add(data.data(), 0);
  CHECK(none == FrameSum());
}
