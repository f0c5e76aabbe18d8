// Resolves the upload host to an IPv4 address: a dotted-quad literal directly, a name by asking the
// DHCP-provided DNS server over UDP (three tries within the timeout).
#pragma once
#include <stdint.h>

#include "net_buffer.h"

bool dns_resolve(const char* host_P, const uint8_t server[4], NetBuffer buf, uint32_t timeout_ms,
                 uint32_t random, uint8_t ip_out[4]);
