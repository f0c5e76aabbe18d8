// Captures one frame into the ArduCAM FIFO and finds the JPEG in it with one burst pass (the scan
// pass); the frame then stays in the FIFO, so it can be read again for sending, and again for a
// retry, without a new capture. Module revisions differ on the junk byte a burst may start with
// (only the first burst after a read-pointer reset, or every burst); each capture measures which.
#pragma once
#include <camera_steps.h>
#include <image_hash.h>
#include <stdint.h>

// hash (may be null) gets the JPEG's bytes during the scan pass, for the request signature.
// trigger false scans the frame already in the FIFO again instead of capturing a new one.
// After the scan it rewinds and checks that the frame's first bytes read back as the scan saw them;
// if not, it tries the other rewind bit (arduchip.h) and keeps it when that one works.
CaptureError capture_frame(bool trigger, uint32_t timeout_ms, uint8_t* buf, uint16_t cap,
                           FrameExtent* out, auth::ImageHash* hash);

// Receives the frame's bytes in order, a buffer-full at a time; returns false to stop early.
typedef bool (*FrameSink)(void* context, const uint8_t* data, uint16_t n);

// Reads the captured frame again from the FIFO, exactly its bytes from FF D8 through FF D9, and
// hands them to sink (the upload, or the card) in chunks of cap bytes, the last one shorter. One burst
// transaction per chunk, because the SPI bus is shared with the W5500 and the card; each burst reads
// and drops the junk before its chunk (the bytes before FF D8, then the frame's lead_in). False if
// the sink stopped, or if the bytes are not the ones the scan pass read: FF D8 first, FF D9 last
// and the same FrameSum. The last chunk is then withheld, so a receiver never gets a complete
// body that is not the frame the camera signed.
bool stream_frame(const FrameExtent& frame, uint8_t* buf, uint16_t cap, FrameSink sink,
                  void* context);
