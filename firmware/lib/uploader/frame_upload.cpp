#include "frame_upload.h"

#include <Arduino.h>
#include <avr/wdt.h>
#include <http_status.h>
#include <tcp_client.h>

namespace {

struct BodySink {
  TcpClient* tcp;
  uint32_t stall_ms;
  bool failed;
};

bool send_chunk(void* context, const uint8_t* data, uint16_t n) {
  BodySink* body = static_cast<BodySink*>(context);
  body->failed = body->tcp->write(data, n, body->stall_ms) != NetError::kNone;
  return !body->failed;
}

UploadResult read_status(TcpClient& tcp, uint32_t timeout_ms, uint8_t* buf, uint16_t cap) {
  HttpStatusParser parser;
  const uint32_t start = millis();
  while (millis() - start < timeout_ms) {
    wdt_reset();
    const uint16_t n = tcp.read(buf, cap);
    for (uint16_t i = 0; i < n; ++i) {
      const HttpStatusParser::Result r = parser.feed(buf[i]);
      if (r == HttpStatusParser::kDone) return {UploadError::kNone, parser.status()};
      if (r == HttpStatusParser::kMalformed) return {UploadError::kBadResponse, 0};
    }
    if (n == 0 && !tcp.readable()) break;  // closed and drained, no status line
  }
  return {UploadError::kNoResponse, 0};
}

}  // namespace

UploadResult upload_frame(const uint8_t ip[4], uint16_t local_port, const HttpTarget& target,
                          const HttpHeader* extra, uint8_t n_extra, const FrameExtent& frame,
                          const UploadTimeouts& t, uint8_t* buf, uint16_t cap) {
  const uint16_t head = http_format_post_head((char*)buf, cap, target, frame.length, extra, n_extra);
  if (head == 0) return {UploadError::kHeadTooLarge, 0};
  TcpClient tcp;
  if (tcp.connect(ip, target.port, local_port, t.connect_ms) != NetError::kNone) {
    return {UploadError::kConnect, 0};
  }
  UploadResult result = {UploadError::kSend, 0};
  BodySink sink = {&tcp, t.send_ms, false};
  if (tcp.write(buf, head, t.send_ms) == NetError::kNone) {
    if (!stream_frame(frame, buf, cap, send_chunk, &sink)) {
      if (!sink.failed) result.error = UploadError::kFrameLost;
    } else if (tcp.flush(t.send_ms) == NetError::kNone) {
      result = read_status(tcp, t.response_ms, buf, cap);
    }
  }
  tcp.close();
  return result;
}
