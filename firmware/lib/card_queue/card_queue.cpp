#include "card_queue.h"

namespace card {

const char kLabel_P[kLabelBytes] PROGMEM = "stopmotion-queue v1\0\0\0\0";

namespace {
const uint8_t kStateBytes = 32, kFrameBytes = 56;
const uint32_t kStateMagic = 0x53514D53UL;  // "SMQS" read as a little-endian word
const uint32_t kFrameMagic = 0x46514D53UL;  // "SMQF"
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

// The records are the structs' bytes between the magic and the check: both the AVR and the host
// store integers little-endian, and neither pads these structs.
static_assert(sizeof(State) == kStateBytes - 8, "State is the state record's fields");
static_assert(sizeof(Frame) == kFrameBytes - 8, "Frame is the header record's fields");

namespace {

void seal(uint32_t magic, const void* fields, uint8_t size, uint8_t* block) {
  memset(block, 0, kBlockBytes);
  put_u32(block, magic);
  memcpy(block + 4, fields, size);
  put_u32(block + 4 + size, check_of(block, (uint8_t)(4 + size)));
}

bool open_seal(uint32_t magic, const uint8_t* block, void* fields, uint8_t size) {
  if (get_u32(block) != magic || get_u32(block + 4 + size) != check_of(block, (uint8_t)(4 + size))) {
    return false;
  }
  memcpy(fields, block + 4, size);
  return true;
}

}  // namespace

void encode_state(const State& s, uint8_t* block) { seal(kStateMagic, &s, sizeof s, block); }

bool decode_state(const uint8_t* block, State* s) {
  return open_seal(kStateMagic, block, s, sizeof *s) && s->head >= kFirstFrameBlock &&
         s->tail >= kFirstFrameBlock;
}

void encode_frame(const Frame& f, uint8_t* block) { seal(kFrameMagic, &f, sizeof f, block); }

bool decode_frame(const uint8_t* block, Frame* f) {
  return open_seal(kFrameMagic, block, f, sizeof *f) && f->length > 0 &&
         f->length < 0x800000UL;  // the FIFO's 8 MB
}

bool is_label(const uint8_t* block) {
  for (uint8_t i = 0; i < kLabelBytes; ++i) {
    if (block[i] != (uint8_t)pgm_read_byte(kLabel_P + i)) return false;
  }
  return true;
}

}  // namespace card
