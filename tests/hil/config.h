// Firmware configuration for the hardware-in-the-loop scenarios (tests/hil): the same settings as
// config.example.h with short intervals and timeouts, so a scenario takes seconds of simulated time.
// The host resolves through the simulated DNS; every TCP connection is bridged to 127.0.0.1.
#pragma once

#define CONFIG_HOST "frames.stopmotion.test"
#define CONFIG_PORT 80
#define CONFIG_PATH "/frames"
#define CONFIG_CAMERA_ID "hil-cam"
// A test secret (tests/hil/conftest.py gives the local stack the same one): requests are signed.
#define CONFIG_CAMERA_SECRET {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f}

#define CONFIG_INTERVAL_S 20UL
#define CONFIG_RESOLUTION ov2640::k800x600
#define CONFIG_JPEG_QUALITY 12
#define CONFIG_MAC {0x02, 0x53, 0x4D, 0x00, 0x00, 0x42}

#define CONFIG_CAPTURE_TIMEOUT_MS 2000UL
#define CONFIG_DHCP_TIMEOUT_MS 8000UL
#define CONFIG_DNS_TIMEOUT_MS 6000UL
#define CONFIG_CONNECT_TIMEOUT_MS 5000UL
#define CONFIG_SEND_TIMEOUT_MS 5000UL
#define CONFIG_RESPONSE_TIMEOUT_MS 10000UL

#define CONFIG_RETRY_BASE_MS 1000UL
#define CONFIG_RETRY_MAX_MS 8000UL

#define CONFIG_CAPTURE_ATTEMPTS 2
