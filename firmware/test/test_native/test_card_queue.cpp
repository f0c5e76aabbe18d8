// The SD card queue (card_queue.h) on an array of blocks: placement, wrap, a full card dropping its
// oldest frames, the next-frame rule, and power cuts between its writes.
#include <card_queue.h>
#include <doctest.h>
#include <stdint.h>
#include <string.h>

#include <vector>

namespace {

struct MemoryCard {
  explicit MemoryCard(uint32_t n) : data(n * card::kBlockBytes, 0) {
    memcpy(data.data(), card::kLabel_P, card::kLabelBytes);
  }
  bool read(uint32_t b, uint8_t* buf) {
    if (b >= blocks() || fail) return false;
    memcpy(buf, &data[b * card::kBlockBytes], card::kBlockBytes);
    return true;
  }
  bool write(uint32_t b, const uint8_t* buf) {
    if (b >= blocks() || fail || writes_left == 0) return false;
    if (writes_left > 0) --writes_left;
    memcpy(&data[b * card::kBlockBytes], buf, card::kBlockBytes);
    return true;
  }
  uint32_t blocks() const { return (uint32_t)(data.size() / card::kBlockBytes); }
  std::vector<uint8_t> data;
  bool fail = false;
  int writes_left = -1;  // a power cut after this many more block writes (-1: never)
};

uint8_t buf[card::kBlockBytes];

// Queues a frame of length bytes with this counter, its data blocks filled with the counter.
bool push(card::Queue<MemoryCard>& q, MemoryCard& c, uint32_t counter, uint32_t length) {
  const uint32_t at = q.reserve(length, buf);
  if (!at) return false;
  for (uint32_t i = 1; i < card::frame_blocks(length); ++i) {
    memset(buf, (uint8_t)counter, sizeof buf);
    if (!c.write(at + i, buf)) return false;
  }
  card::Frame f = {};
  f.counter = counter;
  f.length = length;
  f.captured = 1000 + counter;
  return q.commit(at, f, buf);
}

uint32_t head_counter(card::Queue<MemoryCard>& q) {
  card::Frame f;
  uint32_t data;
  REQUIRE(q.head(&f, &data, buf));
  return f.counter;
}

}  // namespace

TEST_CASE("card queue: a card without the label is not ours, and is not written") {
  MemoryCard c(64);
  c.data[0] = 'X';
  card::Queue<MemoryCard> q(c);
  CHECK(q.open(buf) == card::Open::kNotOurs);
}

TEST_CASE("card queue: frames come back oldest first, and the state survives a reopen") {
  MemoryCard c(64);
  card::Queue<MemoryCard> q(c);
  REQUIRE(q.open(buf) == card::Open::kOk);
  CHECK(q.count() == 0);
  for (uint32_t n = 1; n <= 3; ++n) REQUIRE(push(q, c, n, 1000 * n));
  card::Queue<MemoryCard> again(c);
  REQUIRE(again.open(buf) == card::Open::kOk);
  CHECK(again.count() == 3);
  for (uint32_t n = 1; n <= 3; ++n) {
    CHECK(head_counter(again) == n);
    REQUIRE(again.pop(false, buf));
  }
  CHECK(again.count() == 0);
  CHECK(again.lost() == 0);
}

TEST_CASE("card queue: a frame that does not fit before the end goes to the first frame block") {
  MemoryCard c(3 + 20);  // 20 frame blocks; a 3,000-byte frame takes 7
  card::Queue<MemoryCard> q(c);
  REQUIRE(q.open(buf) == card::Open::kOk);
  REQUIRE(push(q, c, 1, 3000));  // blocks 3..9
  REQUIRE(push(q, c, 2, 3000));  // 10..16
  REQUIRE(q.pop(false, buf));    // 1 uploaded: 3..9 free
  REQUIRE(push(q, c, 3, 3000));  // 17..23 would pass the end (23 blocks): wraps to 3..9
  CHECK(q.lost() == 0);
  CHECK(head_counter(q) == 2);
  REQUIRE(q.pop(false, buf));
  CHECK(head_counter(q) == 3);  // found at block 3: no header with a greater counter at 17
}

TEST_CASE("card queue: a full card drops its oldest frames, counted as lost") {
  MemoryCard c(3 + 20);
  card::Queue<MemoryCard> q(c);
  REQUIRE(q.open(buf) == card::Open::kOk);
  for (uint32_t n = 1; n <= 5; ++n) REQUIRE(push(q, c, n, 3000));
  // 2 frames fit (14 of 20 blocks); each later one drops the oldest.
  CHECK(q.count() == 2);
  CHECK(q.lost() == 3);
  CHECK(head_counter(q) == 4);
  REQUIRE(q.pop(false, buf));
  CHECK(head_counter(q) == 5);
}

TEST_CASE("card queue: a frame larger than the card is refused, the queue untouched") {
  MemoryCard c(3 + 4);
  card::Queue<MemoryCard> q(c);
  REQUIRE(q.open(buf) == card::Open::kOk);
  REQUIRE(push(q, c, 1, 100));
  CHECK(q.reserve(4 * 512, buf) == 0);
  CHECK(q.count() == 1);
}

TEST_CASE("card queue: a power cut before the state write loses only the frame being written") {
  MemoryCard c(64);
  card::Queue<MemoryCard> q(c);
  REQUIRE(q.open(buf) == card::Open::kOk);
  REQUIRE(push(q, c, 1, 2000));
  c.writes_left = 4;  // the data blocks and the header go out, the state does not
  CHECK_FALSE(push(q, c, 2, 2000));
  c.writes_left = -1;
  card::Queue<MemoryCard> after(c);
  REQUIRE(after.open(buf) == card::Open::kOk);
  CHECK(after.count() == 1);
  CHECK(head_counter(after) == 1);
  REQUIRE(push(after, c, 3, 2000));  // written over the torn frame
  REQUIRE(after.pop(false, buf));
  CHECK(head_counter(after) == 3);
}

TEST_CASE("card queue: a torn state block leaves the previous state") {
  MemoryCard c(64);
  card::Queue<MemoryCard> q(c);
  REQUIRE(q.open(buf) == card::Open::kOk);
  REQUIRE(push(q, c, 1, 2000));
  REQUIRE(push(q, c, 2, 2000));  // state seq 2 in block 1 + 0
  c.data[(card::kStateBlock + 0) * card::kBlockBytes + 8] ^= 0xFF;  // damage it
  card::Queue<MemoryCard> after(c);
  REQUIRE(after.open(buf) == card::Open::kOk);
  CHECK(after.count() == 1);  // seq 1: only frame 1
}

TEST_CASE("card queue: a damaged header empties the queue and counts its frames lost") {
  MemoryCard c(64);
  card::Queue<MemoryCard> q(c);
  REQUIRE(q.open(buf) == card::Open::kOk);
  REQUIRE(push(q, c, 1, 2000));
  REQUIRE(push(q, c, 2, 2000));
  c.data[card::kFirstFrameBlock * card::kBlockBytes + 5] ^= 0xFF;
  card::Frame f;
  uint32_t data;
  CHECK_FALSE(q.head(&f, &data, buf));
  CHECK(q.count() == 0);
  CHECK(q.lost() == 2);
}

TEST_CASE("card queue: the records' layout") {
  card::State s = {7, 3, 10, 1, 2, 1700000000};
  card::encode_state(s, buf);
  CHECK(memcmp(buf, "SMQS", 4) == 0);
  CHECK(card::get_u32(buf + 4) == 7);
  CHECK(card::get_u32(buf + 24) == 1700000000);
  card::State back;
  REQUIRE(card::decode_state(buf, &back));
  CHECK(back.tail == 10);
  buf[30] ^= 1;
  CHECK_FALSE(card::decode_state(buf, &back));
}
