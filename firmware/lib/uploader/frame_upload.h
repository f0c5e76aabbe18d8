// Sends the frame that sits in the camera FIFO as the service's HTTP POST: the head with its
// Content-Length, then exactly the JPEG bytes (SOI..EOI) streamed from the FIFO through one
// buffer into the W5500, then reads the response's status line.
#pragma once
#include <camera_steps.h>
#include <frame_capture.h>
#include <http_request.h>
#include <stdint.h>

struct UploadTimeouts {
  uint32_t connect_ms;
  uint32_t send_ms;      // longest stall while sending
  uint32_t response_ms;  // from the last body byte to the status line
};

UploadResult upload_frame(const uint8_t ip[4], uint16_t local_port, const HttpTarget& target,
                          const HttpHeader* extra, uint8_t n_extra, const FrameExtent& frame,
                          const UploadTimeouts& timeouts, uint8_t* buf, uint16_t cap);
