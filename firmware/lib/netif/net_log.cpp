#include "net_log.h"

#include <Arduino.h>

void log_ip(const uint8_t* ip) {
  for (uint8_t i = 0; i < 4; ++i) {
    if (i) Serial.print('.');
    Serial.print(ip[i]);
  }
}
