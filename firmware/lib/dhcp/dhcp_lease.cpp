#include "dhcp_lease.h"

#include "dhcp_codec.h"

namespace dhcp {

Phase lease_phase(const Lease& lease, uint32_t now_s) {
  if (lease.lease_s == kInfinite) return kBound;
  const uint32_t age = now_s - lease.bound_at_s;
  if (age >= lease.lease_s) return kExpired;
  if (age >= lease.t2_s) return kRebinding;
  if (age >= lease.t1_s) return kRenewing;
  return kBound;
}

uint32_t lease_retry_in_s(const Lease& lease, uint32_t now_s) {
  const uint32_t age = now_s - lease.bound_at_s;
  const Phase phase = lease_phase(lease, now_s);
  const uint32_t next = phase == kRenewing ? lease.t2_s : lease.lease_s;
  if (phase == kBound || phase == kExpired || age >= next) return 0;
  const uint32_t left = next - age;
  const uint32_t half = left / 2;
  if (half >= 60) return half;
  return left < 60 ? left : 60;
}

}  // namespace dhcp
