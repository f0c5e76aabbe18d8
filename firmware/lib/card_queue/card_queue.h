// The queue of frames on the SD card: frames the camera could not upload before its next capture,
// kept in raw 512-byte blocks and uploaded oldest first when the service answers again. The layout
// (format v1) is owned by chalicelib/protocol/card.py, which `stopmotion card` reads a card with;
// tests/hil checks a card the firmware wrote with it. All integers little-endian.
//   block 0      label: "stopmotion-queue v1" and 5 NULs; a card without it is never written
//                (`stopmotion card --format` writes it), so nobody's photos are overwritten
//   blocks 1, 2  the state, written alternately (block 1 + seq % 2): magic "SMQS", seq, head,
//                tail, count, lost, anchor, check; the valid one with the higher seq counts, so a
//                power cut in the middle of a state write leaves the previous state
//   blocks 3..   frames: a header block (magic "SMQF", counter, length, captured, SHA-256 of the
//                JPEG, its FrameSum, check), then the JPEG in ceil(length / 512) blocks
// A frame is written whole (data, then header) before the state that adds it, so a power cut
// loses at most that frame. Frames are contiguous; one that does not fit before the card's end
// goes to block 3. Counters grow in the order frames are written, which tells the frame after
// the one at h: at h + 1 + its data blocks if a header with a greater counter is there, else at
// block 3. A full card drops its oldest frame (counted in lost) to make room for the new one.
//
// A template over the card (Blocks: bool read(uint32_t, uint8_t*), bool write(uint32_t, const
// uint8_t*), uint32_t blocks()) so the host tests run it on an array; every block goes through
// the caller's 512-byte buffer (the board's one streaming buffer: the SPI bus cannot be shared in
// the middle of a block).
#pragma once
#include <jpeg_scan.h>
#include <pgm.h>
#include <stdint.h>
#include <string.h>

namespace card {

const uint16_t kBlockBytes = 512;
const uint32_t kStateBlock = 1;  // and kStateBlock + 1
const uint32_t kFirstFrameBlock = 3;
const uint8_t kLabelBytes = 24;
const uint8_t kDigestBytes = 32;

// The label's 24 bytes, in flash.
extern const char kLabel_P[kLabelBytes];

struct State {
  uint32_t seq;
  uint32_t head;    // header block of the oldest queued frame
  uint32_t tail;    // where the next frame goes
  uint32_t count;   // frames queued
  uint32_t lost;    // frames the camera lost since the card was formatted
  uint32_t anchor;  // unix time minus the camera clock (0: unknown), to date frames off the card
};

struct Frame {  // a queued frame's header
  uint32_t counter;             // its signed counter
  uint32_t length;              // JPEG bytes
  uint32_t captured;            // the camera clock at capture (seconds)
  uint8_t sha256[kDigestBytes]; // of the JPEG
  FrameSum sum;                 // of the JPEG
};

// Blocks a frame of length bytes takes: its header and its data.
inline uint32_t frame_blocks(uint32_t length) { return 1 + (length + kBlockBytes - 1) / kBlockBytes; }

// The records' encodings (the layout above).
void put_u32(uint8_t* at, uint32_t v);
uint32_t get_u32(const uint8_t* at);
uint32_t check_of(const uint8_t* record, uint8_t n);  // FrameSum of n bytes as a | b << 16
void encode_state(const State& s, uint8_t* block);  // the whole block: the rest zero
bool decode_state(const uint8_t* block, State* s);
void encode_frame(const Frame& f, uint8_t* block);  // the whole block: the rest zero
bool decode_frame(const uint8_t* block, Frame* f);
bool is_label(const uint8_t* block);

enum class Open : uint8_t { kOk, kUnreadable, kNotOurs };

template <class Blocks>
class Queue {
 public:
  explicit Queue(Blocks& blocks) : card_(blocks) {}

  // Reads the label and the state; kOk: the queue is usable.
  Open open(uint8_t* buf);
  uint32_t count() const { return state_.count; }
  uint32_t lost() const { return state_.lost; }
  uint32_t anchor() const { return state_.anchor; }
  void set_anchor(uint32_t anchor) { state_.anchor = anchor; }  // written with the next state

  // Makes room for a frame of length bytes, dropping the oldest frames if the card is full (each
  // counted in lost); returns the block its header goes to (the data follows it), 0 if it cannot:
  // larger than the card, or a card error.
  uint32_t reserve(uint32_t length, uint8_t* buf);
  // After the data blocks: writes the header at `at` (from reserve) and the state that adds it.
  bool commit(uint32_t at, const Frame& frame, uint8_t* buf);
  // The oldest frame's header; false on a card error, or on a damaged header, after which the
  // queue cannot be followed: drop_damaged() has emptied it.
  bool head(Frame* frame, uint32_t* data_block, uint8_t* buf);
  // Removes the oldest frame: uploaded (lost false) or given up (lost true).
  bool pop(bool lost, uint8_t* buf);
  // The queue cannot be followed (a damaged header): every queued frame counted lost, queue empty.
  bool drop_damaged(uint8_t* buf);
  // Counts a frame lost elsewhere (no room, FIFO gone); written with the next state.
  void count_lost() { ++state_.lost; }
  bool save(uint8_t* buf);

 private:
  bool valid_header_after(uint32_t block, uint32_t counter, Frame* f, uint8_t* buf);

  Blocks& card_;
  State state_ = {0, kFirstFrameBlock, kFirstFrameBlock, 0, 0, 0};
};

template <class Blocks>
Open Queue<Blocks>::open(uint8_t* buf) {
  if (!card_.read(0, buf)) return Open::kUnreadable;
  if (!is_label(buf)) return Open::kNotOurs;
  State best = {0, kFirstFrameBlock, kFirstFrameBlock, 0, 0, 0};
  for (uint8_t slot = 0; slot < 2; ++slot) {
    State s;
    if (!card_.read(kStateBlock + slot, buf)) return Open::kUnreadable;
    if (decode_state(buf, &s) && s.seq >= best.seq && s.tail <= card_.blocks() &&
        s.head < card_.blocks()) {
      best = s;
    }
  }
  state_ = best;
  return Open::kOk;
}

template <class Blocks>
bool Queue<Blocks>::save(uint8_t* buf) {
  ++state_.seq;
  encode_state(state_, buf);
  return card_.write(kStateBlock + (state_.seq & 1), buf);
}

template <class Blocks>
uint32_t Queue<Blocks>::reserve(uint32_t length, uint8_t* buf) {
  const uint32_t n = frame_blocks(length), end = card_.blocks();
  if (end < kFirstFrameBlock || n > end - kFirstFrameBlock) return 0;
  for (;;) {
    const State& s = state_;
    const uint32_t at = s.tail + n <= end ? s.tail : kFirstFrameBlock;
    bool free = s.count == 0;
    if (!free && s.head < s.tail) free = at == s.tail || at + n <= s.head;
    if (!free && s.head >= s.tail) free = at == s.tail && at + n <= s.head;
    if (free) return at;
    if (!pop(true, buf)) return 0;  // full: the oldest frame makes room
  }
}

template <class Blocks>
bool Queue<Blocks>::commit(uint32_t at, const Frame& frame, uint8_t* buf) {
  encode_frame(frame, buf);
  if (!card_.write(at, buf)) return false;
  if (state_.count == 0) state_.head = at;
  state_.tail = at + frame_blocks(frame.length);
  ++state_.count;
  return save(buf);
}

template <class Blocks>
bool Queue<Blocks>::head(Frame* frame, uint32_t* data_block, uint8_t* buf) {
  if (state_.count == 0 || !card_.read(state_.head, buf)) return false;
  if (!decode_frame(buf, frame)) {
    drop_damaged(buf);
    return false;
  }
  *data_block = state_.head + 1;
  return true;
}

template <class Blocks>
bool Queue<Blocks>::valid_header_after(uint32_t block, uint32_t counter, Frame* f, uint8_t* buf) {
  return block < card_.blocks() && card_.read(block, buf) && decode_frame(buf, f) &&
         f->counter > counter;
}

template <class Blocks>
bool Queue<Blocks>::pop(bool lost, uint8_t* buf) {
  Frame f;
  if (state_.count == 0) return true;
  if (!card_.read(state_.head, buf)) return false;
  if (!decode_frame(buf, &f)) return drop_damaged(buf);
  if (lost) ++state_.lost;
  if (--state_.count == 0) {
    state_.head = state_.tail;
  } else {
    const uint32_t counter = f.counter;
    const uint32_t next = state_.head + frame_blocks(f.length);
    if (valid_header_after(next, counter, &f, buf)) {
      state_.head = next;
    } else if (valid_header_after(kFirstFrameBlock, counter, &f, buf)) {
      state_.head = kFirstFrameBlock;
    } else {
      return drop_damaged(buf);
    }
  }
  return save(buf);
}

template <class Blocks>
bool Queue<Blocks>::drop_damaged(uint8_t* buf) {
  state_.lost += state_.count;
  state_.count = 0;
  state_.head = state_.tail;
  return save(buf);
}

}  // namespace card
