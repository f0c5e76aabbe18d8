"""A Python writer of the card queue (chalicelib/protocol/card.py), building images the way the
firmware will: a frame at the tail if it fits before the card's end, else at FIRST_FRAME_BLOCK;
queued frames the new one overwrites are dropped from the head and counted lost; header, data,
then the next state in the other slot. `stopmotion card` is tested on what it writes."""

from dataclasses import replace

from chalicelib.protocol import card

ANCHOR = 1_700_000_000  # unix time minus the camera clock, as the service's answers set it


class QueueWriter:
    def __init__(self, blocks: int, image: bytearray | None = None, anchor: int = ANCHOR):
        self.image = image if image is not None else bytearray(blocks * card.BLOCK)
        self.blocks = len(self.image) // card.BLOCK
        self.put(0, card.label_block())
        self.anchor = anchor
        self.state = card.EMPTY
        self.counter = 0
        self.placed: dict[int, int] = {}  # counter -> header block, of every frame written

    def put(self, block: int, data: bytes) -> None:
        assert 0 <= block and block * card.BLOCK + len(data) <= len(self.image), block
        self.image[block * card.BLOCK : block * card.BLOCK + len(data)] = data

    def header_at(self, block: int) -> card.Header | None:
        if not card.FIRST_FRAME_BLOCK <= block < self.blocks:
            return None
        return card.parse_header(self.image[block * card.BLOCK : (block + 1) * card.BLOCK])

    def save(self, **changes) -> None:
        self.state = replace(self.state, seq=self.state.seq + 1, **changes)
        self.put(self.state.slot, card.pack_state(self.state))

    def push(self, jpeg: bytes, taken: int, counter: int | None = None) -> int:
        """Queues a frame taken at unix time `taken` (the camera clock when the anchor is 0);
        returns its header block."""
        self.counter = counter if counter is not None else self.counter + 1
        header = card.header_for(jpeg, self.counter, taken - self.anchor)
        size = 1 + card.data_blocks(len(jpeg))
        start = self.state.tail if self.state.tail + size <= self.blocks else card.FIRST_FRAME_BLOCK
        assert start + size <= self.blocks, "frame larger than the card"
        head, count, lost = self.state.head, self.state.count, self.state.lost
        while count and self._overlaps(head, start, size):
            next_head = card.following(head, self.header_at(head), self.header_at)
            head, count, lost = next_head, count - 1, lost + 1
        if not count:
            head = start
        self.put(start, card.pack_header(header))
        self.put(start + 1, jpeg)
        self.placed[self.counter] = start
        self.save(head=head, tail=start + size, count=count + 1, lost=lost, anchor=self.anchor)
        return start

    def _overlaps(self, head: int, start: int, size: int) -> bool:
        header = self.header_at(head)
        end = head + 1 + card.data_blocks(header.length)
        return start < end and head < start + size

    def pop(self) -> None:
        """The oldest queued frame was uploaded."""
        header = self.header_at(self.state.head)
        count = self.state.count - 1
        head = card.following(self.state.head, header, self.header_at) if count else self.state.tail
        self.save(head=head, count=count)

    def block_of(self, counter: int) -> int:
        return self.placed[counter]
