// Camera configuration: copy to include/config.h (git-ignored) and edit, or build with
// `make CONFIG=/abs/path/to/my_config.h`. Every setting is printed over serial at boot.
#pragma once

// Where frames go: the front door (CloudFront) host, port and path. Plain HTTP only (no TLS on
// the W5500). A dotted-quad address such as "192.168.1.10" skips DNS.
#define CONFIG_HOST "d111111abcdef8.cloudfront.net"
#define CONFIG_PORT 80
#define CONFIG_PATH "/frames"

// Camera id: [a-z0-9-]{1,32}. The service names frames after the id in the signed credential.
#define CONFIG_CAMERA_ID "default"
// Camera secret: the 32 bytes `stopmotion camera add <id>` prints, as {0x.., ...}. It signs every
// request (HMAC-SHA256) and never leaves the board. Never commit a real one: put it in the
// git-ignored include/config.h. This placeholder signs requests no service accepts.
#define CONFIG_CAMERA_SECRET {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, \
                              0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}

// Seconds between frames when the service does not say (6 hours). The service keeps the camera's
// schedule and every answer it signs says when to capture next; at boot the camera asks it (a
// hello) and, without a signed answer, takes its first frame at once and then one every interval.
#define CONFIG_INTERVAL_S 21600UL

// Frame size: ov2640::k640x480, k800x600, k1024x768, k1280x960 or k1600x1200.
#define CONFIG_RESOLUTION ov2640::k1600x1200
// OV2640 JPEG quantisation scale: 2 (best, largest) .. 63 (smallest). 12 is a good default.
#define CONFIG_JPEG_QUALITY 12

// MAC address of the shield (the sticker on an Ethernet Shield 2, or any locally administered
// address: first byte 0x02). Must be unique on the network.
#define CONFIG_MAC {0x02, 0x53, 0x4D, 0x00, 0x00, 0x01}

// Timeouts: every wait of the firmware has one.
#define CONFIG_CAPTURE_TIMEOUT_MS 5000UL    // capture-done flag
#define CONFIG_DHCP_TIMEOUT_MS 60000UL      // whole DHCP exchange
#define CONFIG_DNS_TIMEOUT_MS 6000UL        // three queries
#define CONFIG_CONNECT_TIMEOUT_MS 10000UL   // TCP connect
#define CONFIG_SEND_TIMEOUT_MS 15000UL      // longest stall while sending
#define CONFIG_RESPONSE_TIMEOUT_MS 20000UL  // last body byte to status line

// Upload retries: exponential backoff with jitter from BASE, each delay at most MAX, until the
// service has the frame or the next capture is due; then the frame goes to the SD card's queue (or,
// without a card, is lost and logged).
#define CONFIG_RETRY_BASE_MS 2000UL
#define CONFIG_RETRY_MAX_MS 120000UL

// Failed captures in a row before the board resets itself through the watchdog.
#define CONFIG_CAPTURE_ATTEMPTS 3
