// Serial log helpers shared by the network drivers.
#pragma once
#include <stdint.h>

void log_ip(const uint8_t* ip);  // prints a.b.c.d, no newline
