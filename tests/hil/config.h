// Firmware configuration for the hardware-in-the-loop scenarios (tests/hil): the same settings as
// config.example.h with short intervals and timeouts, so a scenario takes seconds of simulated time.
// The host resolves through the simulated DNS; every TCP connection is bridged to 127.0.0.1.
#pragma once

#define CONFIG_HOST "frames.stopmotion.test"
#define CONFIG_PORT 80
#define CONFIG_PATH "/frames"
#define CONFIG_CAMERA_ID "hil-cam"
#define CONFIG_CAMERA_SECRET ""

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
#define CONFIG_RETRY_BUDGET_S 120UL

#define CONFIG_CAPTURE_ATTEMPTS 2
