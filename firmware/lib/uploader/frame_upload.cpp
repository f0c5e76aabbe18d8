#include "frame_upload.h"

#include <Arduino.h>
#include <avr/wdt.h>
#include <http_status.h>
#include <ctype.h>
#include <pgm.h>
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

// Reads the answer's head: the status line, then the header lines up to the blank line, keeping
// the value of the Stopmotion-Answer header (the service's signature over its answer) in answer.
UploadResult read_answer(TcpClient& tcp, uint32_t timeout_ms, uint8_t* buf, uint16_t cap,
                         Answer* answer) {
  static const char kName[] PROGMEM = "stopmotion-answer:";
  HttpStatusParser parser;
  UploadResult result = {UploadError::kNoResponse, 0};
  uint8_t line_length = 0;  // of the current header line, counted up to the name's length
  bool in_value = false, name_matches = true, status_seen = false;
  answer->length = 0;
  const uint32_t start = millis();
  while (millis() - start < timeout_ms) {
    wdt_reset();
    const uint16_t n = tcp.read(buf, cap);
    for (uint16_t i = 0; i < n; ++i) {
      const uint8_t c = buf[i];
      if (!status_seen) {
        const HttpStatusParser::Result r = parser.feed(c);
        if (r == HttpStatusParser::kMalformed) return {UploadError::kBadResponse, 0};
        if (r == HttpStatusParser::kDone) {  // at the status line's LF: a header line begins
          result = {UploadError::kNone, parser.status()};
          status_seen = true;
        }
        continue;
      }
      if (c == '\n') {
        if (line_length == 0) return result;  // the blank line: end of the head
        line_length = 0;
        in_value = false;
        name_matches = true;
        continue;
      }
      if (c == '\r') continue;
      if (in_value) {
        if (answer->length || c != ' ') {
          if (answer->length < Answer::kCap) answer->text[answer->length++] = (char)c;
          else answer->length = 0xFFFF;  // too long to be the service's: never verifies
        }
        continue;
      }
      if (line_length < sizeof(kName) - 1) {
        const char want = (char)pgm_read_byte(kName + line_length);
        name_matches = name_matches && (char)tolower(c) == want;
        if (++line_length == sizeof(kName) - 1 && name_matches) in_value = true;
      } else {
        line_length = sizeof(kName);  // past the name's length: not our header
      }
    }
    if (n == 0 && !tcp.readable()) break;  // closed and drained
  }
  return result;
}

}  // namespace

UploadResult upload_frame(const uint8_t ip[4], uint16_t local_port, const HttpTarget& target,
                          const HttpHeader* extra, uint8_t n_extra, const FrameSource& frame,
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
    if (!frame.stream(frame.from, buf, cap, send_chunk, &sink)) {
      if (!sink.failed) result.error = UploadError::kFrameLost;
    } else if (tcp.flush(t.send_ms) == NetError::kNone) {
      // The answer's header goes to the start of buf, the bytes read after it.
      result = read_answer(tcp, t.response_ms, buf + sizeof(Answer), cap - sizeof(Answer),
                           reinterpret_cast<Answer*>(buf));
    }
  }
  tcp.close();
  return result;
}

bool stream_fifo(const void* frame, uint8_t* buf, uint16_t cap, FrameSink sink, void* context) {
  return stream_frame(*static_cast<const FrameExtent*>(frame), buf, cap, sink, context);
}
