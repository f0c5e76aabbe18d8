// SHA-256 of the JPEG while the scan pass streams the camera FIFO past: each chunk contributes
// only its bytes inside the image, from the FF of FF D8 through the D9 of FF D9.
#pragma once

#include <stdint.h>

#include "sha256.h"

namespace auth {

class ImageHash {
 public:
  void begin();
  // chunk holds stream bytes [offset, offset + n). The image starts at start once found, and ends
  // before end once complete (pass the scanner's state after it has seen this chunk).
  void feed(const uint8_t *chunk, uint16_t n, uint32_t offset, bool found, uint32_t start,
            bool complete, uint32_t end);
  void finish(uint8_t digest[Sha256::kDigestSize]) { sha_.finish(digest); }

 private:
  Sha256 sha_;
  bool started_;
  bool done_;
};

}  // namespace auth
