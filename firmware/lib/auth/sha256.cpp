#include "sha256.h"

#include <pgm.h>

namespace auth {
namespace {

const uint32_t kRound[64] PROGMEM = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

const uint32_t kInitial[8] PROGMEM = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

// Rotations and shifts by constants. avr-gcc turns a 32-bit shift by n into an n-step loop, so these
// move whole bytes first and shift the rest one bit at a time (about 6x faster on the AVR).
#define ALWAYS_INLINE inline __attribute__((always_inline))

ALWAYS_INLINE uint32_t ror1(uint32_t x) {
#ifdef __AVR__
  asm("bst %A0,0\n\tlsr %D0\n\tror %C0\n\tror %B0\n\tror %A0\n\tbld %D0,7" : "+r"(x));
  return x;
#else
  return (x >> 1) | (x << 31);
#endif
}

ALWAYS_INLINE uint32_t rol1(uint32_t x) {
#ifdef __AVR__
  asm("bst %D0,7\n\tlsl %A0\n\trol %B0\n\trol %C0\n\trol %D0\n\tbld %A0,0" : "+r"(x));
  return x;
#else
  return (x << 1) | (x >> 31);
#endif
}

ALWAYS_INLINE uint32_t shr1(uint32_t x) {
#ifdef __AVR__
  asm("lsr %D0\n\tror %C0\n\tror %B0\n\tror %A0" : "+r"(x));
  return x;
#else
  return x >> 1;
#endif
}

ALWAYS_INLINE uint32_t ror_bytes(uint32_t x, uint8_t bytes) {
  return bytes % 4 == 0 ? x : (x >> (8 * (bytes % 4))) | (x << (32 - 8 * (bytes % 4)));
}

template <uint8_t N>
ALWAYS_INLINE uint32_t ror(uint32_t x) {
  if (N % 8 <= 4) {
    x = ror_bytes(x, N / 8);
    for (uint8_t i = 0; i < N % 8; i++) x = ror1(x);
  } else {
    x = ror_bytes(x, N / 8 + 1);
    for (uint8_t i = N % 8; i < 8; i++) x = rol1(x);
  }
  return x;
}

template <uint8_t N>
ALWAYS_INLINE uint32_t shr(uint32_t x) {
  x >>= 8 * (N / 8);
  for (uint8_t i = 0; i < N % 8; i++) x = shr1(x);
  return x;
}

}  // namespace

void Sha256::begin() {
  for (uint8_t i = 0; i < 8; i++) state_[i] = pgm_read_dword(&kInitial[i]);
  blocks_ = 0;
  used_ = 0;
}

void Sha256::update(const void *data, size_t length) {
  const uint8_t *p = static_cast<const uint8_t *>(data);
  while (length--) update(*p++);
}

void Sha256::update_P(const void *flash, size_t length) {
  const uint8_t *p = static_cast<const uint8_t *>(flash);
  while (length--) update(pgm_read_byte(p++));
}

void Sha256::finish(uint8_t digest[kDigestSize]) {
  // Length in bits, taken before the padding changes the counters.
  uint32_t low = (blocks_ << 9) | (uint32_t(used_) << 3);
  uint32_t high = blocks_ >> 23;
  update(0x80);
  while (used_ != 56) update(0x00);
  for (int8_t shift = 24; shift >= 0; shift -= 8) update(uint8_t(high >> shift));
  for (int8_t shift = 24; shift >= 0; shift -= 8) update(uint8_t(low >> shift));
  for (uint8_t i = 0; i < 8; i++) {
    for (uint8_t j = 0; j < 4; j++) digest[4 * i + j] = uint8_t(state_[i] >> (24 - 8 * j));
  }
}

void Sha256::compress() {
  uint32_t *w = block_.words;  // the message schedule, kept as a ring of 16 words
  for (uint8_t i = 0; i < 16; i++) {
    const uint8_t *b = &block_.bytes[4 * i];
    w[i] = (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | b[3];
  }
  uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3];
  uint32_t e = state_[4], f = state_[5], g = state_[6], h = state_[7];
  for (uint8_t t = 0; t < 64; t++) {
    uint32_t &wt = w[t & 15];
    if (t >= 16) {
      uint32_t w15 = w[(t + 1) & 15], w2 = w[(t + 14) & 15];
      wt += (ror<17>(w2) ^ ror<19>(w2) ^ shr<10>(w2)) + w[(t + 9) & 15] +
            (ror<7>(w15) ^ ror<18>(w15) ^ shr<3>(w15));
    }
    uint32_t t1 = h + (ror<6>(e) ^ ror<11>(e) ^ ror<25>(e)) + ((e & f) ^ (~e & g)) +
                  pgm_read_dword(&kRound[t]) + wt;
    uint32_t t2 = (ror<2>(a) ^ ror<13>(a) ^ ror<22>(a)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  state_[0] += a;
  state_[1] += b;
  state_[2] += c;
  state_[3] += d;
  state_[4] += e;
  state_[5] += f;
  state_[6] += g;
  state_[7] += h;
  blocks_++;
  used_ = 0;
}

}  // namespace auth
