// The one static buffer every network and camera transfer streams through, lent in turn to the
// DHCP client, the DNS resolver and the upload (they never run at the same time).
#pragma once
#include <stdint.h>

struct NetBuffer {
  uint8_t* data;
  uint16_t size;
};
