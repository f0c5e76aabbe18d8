#include <doctest.h>
#include <http_request.h>
#include <http_status.h>
#include <text_buf.h>

#include <string>

namespace {

const HttpTarget kTarget = {"d111.cloudfront.net", 80, "/frames", "stopmotion-cam/0.1.0"};

std::string head(const HttpTarget& t, uint32_t length, const HttpHeader* extra = nullptr,
                 uint8_t n = 0, uint16_t cap = 512) {
  char buf[512];
  const uint16_t len = http_format_post_head(buf, cap, t, length, extra, n);
  return std::string(buf, len);
}

int parse_status(const std::string& text) {
  HttpStatusParser p;
  for (char c : text) {
    const auto r = p.feed((uint8_t)c);
    if (r == HttpStatusParser::kDone) return p.status();
    if (r == HttpStatusParser::kMalformed) return -1;
  }
  return 0;  // needs more
}

}  // namespace

TEST_CASE("Content-Length covers 0 and 32-bit values") {
  CHECK(head(kTarget, 0).find("Content-Length: 0\r\n") != std::string::npos);
  CHECK(head(kTarget, 4294967295u).find("Content-Length: 4294967295\r\n") != std::string::npos);
}

TEST_CASE("a port other than 80 goes into Host") {
  HttpTarget t = kTarget;
  t.port = 8080;
  CHECK(head(t, 1).find("Host: d111.cloudfront.net:8080\r\n") != std::string::npos);
}

TEST_CASE("extra headers go after Content-Length, before Connection") {
  const HttpHeader extra[] = {{"Authorization", {write_text, "SM1 abc"}}, {"X-Other", {write_text, "1"}}};
  const std::string h = head(kTarget, 5, extra, 2);
  CHECK(h.find("Content-Length: 5\r\nAuthorization: SM1 abc\r\nX-Other: 1\r\n"
               "Connection: close\r\n\r\n") != std::string::npos);
}

TEST_CASE("a head that does not fit gives 0, never a partial head") {
  const std::string full = head(kTarget, 42);
  CHECK(head(kTarget, 42, nullptr, 0, (uint16_t)full.size()) == full);
  CHECK(head(kTarget, 42, nullptr, 0, (uint16_t)(full.size() - 1)).empty());
}

TEST_CASE("TextBuf writes decimal numbers and stops at capacity") {
  char buf[4];
  TextBuf t(buf, sizeof(buf));
  t.put_u32(1234);
  CHECK(t.ok());
  CHECK(std::string(buf, t.length()) == "1234");
  t.put('x');
  CHECK_FALSE(t.ok());
  CHECK(t.length() == 4);
}

TEST_CASE("status lines") {
  CHECK(parse_status("HTTP/1.1 201 Created\r\n") == 201);
  CHECK(parse_status("HTTP/1.0 503 Service Unavailable\r\nRetry-After: 1\r\n") == 503);
  CHECK(parse_status("HTTP/1.1 429 \r\n") == 429);
  CHECK(parse_status("HTTP/1.1 200\n") == 200);  // no reason, bare LF
  CHECK(parse_status("HTTP/1.1 201 Created") == 0);  // line not finished yet
  CHECK(parse_status("HTTP/1.1 20") == 0);
}

TEST_CASE("malformed status lines") {
  CHECK(parse_status("HTTP/2 200\r\n") == -1);
  CHECK(parse_status("HTTX/1.1 200 OK\r\n") == -1);
  CHECK(parse_status("HTTP/1.1 2x0 OK\r\n") == -1);
  CHECK(parse_status("HTTP/1.1  200 OK\r\n") == -1);
  CHECK(parse_status("HTTP/1.1 099 Odd\r\n") == -1);
  CHECK(parse_status("<html>") == -1);
}

TEST_CASE("what a status the service signed means for the frame") {
  CHECK(http_verdict(200) == HttpVerdict::kStored);
  CHECK(http_verdict(201) == HttpVerdict::kStored);
  CHECK(http_verdict(299) == HttpVerdict::kStored);
  CHECK(http_verdict(429) == HttpVerdict::kRetry);
  CHECK(http_verdict(500) == HttpVerdict::kRetry);
  CHECK(http_verdict(502) == HttpVerdict::kRetry);
  CHECK(http_verdict(503) == HttpVerdict::kRetry);
  CHECK(http_verdict(599) == HttpVerdict::kRetry);
  for (uint16_t final_status : {401, 403, 411, 413, 415, 422}) {
    CAPTURE(final_status);
    CHECK(http_verdict(final_status) == HttpVerdict::kReject);
  }
  for (uint16_t other : {100, 301, 400, 404, 408, 409, 599, 999}) {  // a proxy's doing: retry
    CAPTURE(other);
    CHECK(http_verdict(other) == HttpVerdict::kRetry);
  }
}
