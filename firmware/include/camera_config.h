// Picks the configuration header: CONFIG_FILE (the Makefile always names the one it chose), else
// include/config.h; never silently the example, whose frames the service refuses. Then checks the
// values that would break the firmware.
#pragma once

#if defined(CONFIG_FILE)
#include CONFIG_FILE
#elif __has_include("config.h")
#include "config.h"
#else
#error "no include/config.h: copy include/config.example.h to include/config.h and edit it (or try the example: make firmware EXAMPLE_CONFIG=1)"
#endif

#define FIRMWARE_VERSION "0.3.0"

static_assert(CONFIG_INTERVAL_S >= 1 && CONFIG_INTERVAL_S <= 2000000UL,
              "CONFIG_INTERVAL_S: 1 s .. 23 days (millis() arithmetic)");
static_assert(CONFIG_PORT > 0 && CONFIG_PORT < 65536, "CONFIG_PORT");
static_assert(CONFIG_JPEG_QUALITY >= 2 && CONFIG_JPEG_QUALITY <= 63, "CONFIG_JPEG_QUALITY: 2..63");
static_assert(sizeof(CONFIG_CAMERA_ID) >= 2 && sizeof(CONFIG_CAMERA_ID) <= 33,
              "CONFIG_CAMERA_ID: 1..32 characters");
static_assert(CONFIG_CAPTURE_ATTEMPTS >= 1, "CONFIG_CAPTURE_ATTEMPTS");
