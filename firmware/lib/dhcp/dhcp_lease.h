// Where a DHCP lease stands (RFC 2131 section 4.4.5): bound until T1, then renewing with the server
// that granted it, rebinding with any server after T2, expired at the end of the lease.
#pragma once
#include <stdint.h>

namespace dhcp {

struct Lease {
  uint32_t bound_at_s;  // uptime seconds when the ACK arrived
  uint32_t lease_s;
  uint32_t t1_s;
  uint32_t t2_s;
};

enum Phase : uint8_t { kBound, kRenewing, kRebinding, kExpired };

Phase lease_phase(const Lease& lease, uint32_t now_s);

// When to try again after a failed renewal: half the time left until the next phase
// (RFC 2131 4.4.5), at least 60 s, and never past that phase.
uint32_t lease_retry_in_s(const Lease& lease, uint32_t now_s);

}  // namespace dhcp
