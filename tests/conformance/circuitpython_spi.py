"""The SPI bus and chip select that CircuitPython drivers ask for (busio.SPI through
adafruit_bus_device's SPIDevice, digitalio.DigitalInOut), wired byte by byte to a simboard model
(anything with select(active) and transfer(mosi) -> miso), so a driver written for real hardware
runs on the model straight from Python."""

from __future__ import annotations


class SpiBus:
    """Bytes reach the model while its select is low; with it high the model sees only the clocks
    (if it counts them: clock_deselected()) and MISO floats high."""

    def __init__(self, model):
        self.model, self.selected = model, False

    def try_lock(self) -> bool:
        return True

    def unlock(self) -> None:
        pass

    def configure(self, baudrate: int = 100000, polarity: int = 0, phase: int = 0, bits: int = 8):
        assert (polarity, phase, bits) == (0, 0, 8), "the simulated chips speak SPI mode 0"
        if hasattr(self.model, "spi_hz"):
            self.model.spi_hz = baudrate

    def _transfer(self, byte: int) -> int:
        if self.selected:
            return self.model.transfer(byte)
        if hasattr(self.model, "clock_deselected"):
            self.model.clock_deselected()
        return 0xFF

    def write(self, buffer, start: int = 0, end: int | None = None) -> None:
        for byte in bytes(buffer[start:end]):
            self._transfer(byte)

    def readinto(self, buffer, start: int = 0, end: int | None = None, write_value: int = 0):
        for i in range(start, len(buffer) if end is None else end):
            buffer[i] = self._transfer(write_value)

    def write_readinto(self, out, into, out_start=0, out_end=None, in_start=0, in_end=None):
        for i, byte in enumerate(bytes(out[out_start:out_end])):
            into[in_start + i] = self._transfer(byte)


class ChipSelect:
    """The model's select line; after_edge runs on every change (the network polls there)."""

    def __init__(self, bus: SpiBus, after_edge=lambda: None):
        self.bus, self.after_edge, self._value = bus, after_edge, True

    def switch_to_output(self, value: bool = True, drive_mode=None) -> None:
        self.value = value

    @property
    def value(self) -> bool:
        return self._value

    @value.setter
    def value(self, level: bool) -> None:
        if level != self._value:
            self.bus.model.select(not level)
        self.bus.selected = not level
        self._value = level
        self.after_edge()
