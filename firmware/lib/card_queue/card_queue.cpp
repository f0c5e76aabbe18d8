#include "card_queue.h"

namespace card {

const char kLabel_P[kLabelBytes] PROGMEM = "stopmotion-queue v1\0\0\0\0";

namespace {
const uint8_t kStateBytes = 32, kFrameBytes = 56;
const char kStateMagic[] = "SMQS";
const char kFrameMagic[] = "SMQF";
}  // namespace

void put_u32(uint8_t* at, uint32_t v) {
  for (uint8_t i = 0; i < 4; ++i, v >>= 8) at[i] = (uint8_t)v;
}

uint32_t get_u32(const uint8_t* at) {
  uint32_t v = 0;
  for (int8_t i = 3; i >= 0; --i) v = v << 8 | at[i];
  return v;
}

uint32_t check_of(const uint8_t* record, uint8_t n) {
  FrameSum sum;
  sum.add(record, n);
  return sum.a | (uint32_t)sum.b << 16;
}

void encode_state(const State& s, uint8_t* block) {
  memset(block, 0, kBlockBytes);
  memcpy(block, kStateMagic, 4);
  const uint32_t fields[] = {s.seq, s.head, s.tail, s.count, s.lost, s.anchor};
  for (uint8_t i = 0; i < 6; ++i) put_u32(block + 4 + 4 * i, fields[i]);
  put_u32(block + kStateBytes - 4, check_of(block, kStateBytes - 4));
}

bool decode_state(const uint8_t* block, State* s) {
  if (memcmp(block, kStateMagic, 4) != 0 ||
      get_u32(block + kStateBytes - 4) != check_of(block, kStateBytes - 4)) {
    return false;
  }
  uint32_t* fields[] = {&s->seq, &s->head, &s->tail, &s->count, &s->lost, &s->anchor};
  for (uint8_t i = 0; i < 6; ++i) *fields[i] = get_u32(block + 4 + 4 * i);
  return s->head >= kFirstFrameBlock && s->tail >= kFirstFrameBlock;
}

void encode_frame(const Frame& f, uint8_t* block) {
  memcpy(block, kFrameMagic, 4);
  put_u32(block + 4, f.counter);
  put_u32(block + 8, f.length);
  put_u32(block + 12, f.captured);
  memcpy(block + 16, f.sha256, kDigestBytes);
  put_u32(block + 48, f.sum.a | (uint32_t)f.sum.b << 16);
  put_u32(block + kFrameBytes - 4, check_of(block, kFrameBytes - 4));
}

bool decode_frame(const uint8_t* block, Frame* f) {
  if (memcmp(block, kFrameMagic, 4) != 0 ||
      get_u32(block + kFrameBytes - 4) != check_of(block, kFrameBytes - 4)) {
    return false;
  }
  f->counter = get_u32(block + 4);
  f->length = get_u32(block + 8);
  f->captured = get_u32(block + 12);
  memcpy(f->sha256, block + 16, kDigestBytes);
  const uint32_t sum = get_u32(block + 48);
  f->sum.a = (uint16_t)sum;
  f->sum.b = (uint16_t)(sum >> 16);
  return f->length > 0 && f->length < 0x800000UL;  // the FIFO's 8 MB
}

bool is_label(const uint8_t* block) {
  for (uint8_t i = 0; i < kLabelBytes; ++i) {
    if (block[i] != (uint8_t)pgm_read_byte(kLabel_P + i)) return false;
  }
  return true;
}

}  // namespace card
