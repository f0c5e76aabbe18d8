#include "net_log.h"

#include <Arduino.h>

#include "serial_log.h"

void log_ip(const uint8_t* ip) {
  for (uint8_t i = 0; i < 4; ++i) {
    if (i) serial_log.print('.');
    serial_log.print(ip[i]);
  }
}
