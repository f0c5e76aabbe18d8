/* The ATmega328P core for simboard: Debian's simavr with the board's buses routed to Python.
 *
 * simavr runs the firmware; this file only connects its SPI, TWI and UART to callbacks that
 * the Python peripheral models set, and fixes SPI timing. Compiled by simboard/core.py.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <simavr/sim_avr.h>
#include <simavr/sim_elf.h>
#include <simavr/sim_io.h>
#include <simavr/sim_time.h>
#include <simavr/avr_spi.h>
#include <simavr/avr_twi.h>
#include <simavr/avr_uart.h>
#include <simavr/avr_ioport.h>
#include <simavr/avr_eeprom.h>

enum { TWCR = 0xBC, TWINT_BIT = 0x80, TWDR = 0xBB, SPDR = 0x4E, SPCR = 0x4C, SPSR = 0x4D, DDRB = 0x24, PORTB = 0x25, DDRD = 0x2A, PORTD = 0x2B };

typedef int (*spi_fn)(int mosi, int selected, int divider);  /* returns MISO */
typedef int (*twi_fn)(uint32_t msg);                   /* returns a reply message, or -1 for none */
typedef void (*byte_fn)(int value);
typedef void (*cs_fn)(int selected);

typedef struct board {
	avr_t *avr;
	spi_fn spi;
	twi_fn twi;
	byte_fn uart;
	cs_fn cs;
	avr_irq_t *spi_in, *twi_in;
	avr_twi_t *twi_unit;
	avr_uart_t *uart0;
	int stop;
	uint64_t spi_bytes;
} board;

/* Chip selects from the wiring contract: W5500 on PB2 (bit 0), ArduCAM on PD7 (bit 1), the
 * shield's microSD slot on PD4 (bit 2). A select is active when the pin is an output driven low. */
static int selected(avr_t *avr)
{
	int s = 0;
	if ((avr->data[DDRB] & 0x04) && !(avr->data[PORTB] & 0x04)) s |= 1;
	if ((avr->data[DDRD] & 0x80) && !(avr->data[PORTD] & 0x80)) s |= 2;
	if ((avr->data[DDRD] & 0x10) && !(avr->data[PORTD] & 0x10)) s |= 4;
	return s;
}

/* The SPI clock divider set in SPCR/SPSR: SCK = F_CPU / divider (2 at 8 MHz, 4 at 4 MHz). */
static int spi_divider(avr_t *avr)
{
	static const int div[4] = {4, 16, 64, 128};
	int d = div[avr->data[SPCR] & 3];
	return (avr->data[SPSR] & 1) ? d / 2 : d;
}

static void on_spi_out(avr_irq_t *irq, uint32_t value, void *param)
{
	board *b = param;
	b->spi_bytes++;
	int miso = b->spi(value & 0xFF, selected(b->avr), spi_divider(b->avr));
	avr_raise_irq(b->spi_in, miso & 0xFF);
}

/* simavr 1.6 completes every SPI byte after a fixed 100 us. Re-arm its pending timer with the
 * real byte time from SPCR/SPSR (8 SCK periods; 1 us at F_CPU/2 = 8 MHz). Runs after simavr's
 * own SPDR write handler, which registered the timer. */
static void on_spdr_write(avr_t *avr, avr_io_addr_t addr, uint8_t v, void *param)
{
	int d = spi_divider(avr);
	avr_cycle_count_t when = avr->cycle + avr_usec_to_cycles(avr, 100);
	for (avr_cycle_timer_slot_p t = avr->cycle_timers.timer; t; t = t->next) {
		avr_io_t *io = t->param;
		if (t->when == when && io && io->kind && !strcmp(io->kind, "spi")) {
			avr_cycle_timer_register(avr, 8 * d, t->timer, t->param);
			break;
		}
	}
}

/* simavr 1.6 treats the TWDR write of SLA+R/W as a data byte in the write latch, so the address
 * phase ends in status 0x28 (data ACK) at once instead of 0x18 (SLA+W ACK) after nine SCL
 * periods; Arduino's Wire accepts both, a strict driver does not. While a START is pending and no
 * address has gone out, drop that latch flag so simavr takes its address path. */
static void on_twdr_write(avr_t *avr, avr_io_addr_t addr, uint8_t v, void *param)
{
	avr_twi_t *twi = ((board *)param)->twi_unit;
	if (twi && (twi->state & TWI_COND_START) && !(twi->state & TWI_COND_ADDR))
		twi->state &= ~TWI_COND_WRITE;
}

/* simavr 1.6 marks TWINT "sticky", so writing a one to it, which on the chip clears the flag and
 * starts the next bus step, leaves it set: a driver that polls TWINT sees the step done at once
 * and reads the previous status. Clear it as the hardware does; simavr sets it again when the
 * step completes. */
static void on_twcr_write(avr_t *avr, avr_io_addr_t addr, uint8_t v, void *param)
{
	if (v & TWINT_BIT) avr->data[TWCR] &= ~TWINT_BIT;
}

static void on_twi_out(avr_irq_t *irq, uint32_t value, void *param)
{
	board *b = param;
	int reply = b->twi(value);
	if (reply >= 0) avr_raise_irq(b->twi_in, (uint32_t)reply);
}

static void on_uart_out(avr_irq_t *irq, uint32_t value, void *param)
{
	((board *)param)->uart(value & 0xFF);
}

static void on_cs_pin(avr_irq_t *irq, uint32_t value, void *param)
{
	board *b = param;
	b->cs(selected(b->avr));
}

/* UDRE0 (UCSR0A bit 5) says the transmit buffer is empty, whether or not the transmitter is enabled
 * (ATmega328P datasheet, 19.10.2; initial value 0x20). simavr 1.6 clears it when TXEN0 is turned
 * off, which Arduino's init() does (UCSR0B = 0), and sets it again only after a byte has gone out
 * or UDRIE0 is enabled: a driver that polls UDRE0 before its first byte, the datasheet's own
 * example (19.6.1), would wait for ever. After each write of UCSR0B the flag is set again when
 * no byte waits to go out. */
#define UCSR0A 0xC0
#define UCSR0B 0xC1
#define UDRE0_BIT 0x20

static void on_ucsr0b_write(avr_t *avr, avr_io_addr_t addr, uint8_t v, void *param)
{
	(void)addr; (void)v;
	avr_uart_t *uart = ((board *)param)->uart0;
	if (uart && uart->tx_cnt == 0) avr->data[UCSR0A] |= UDRE0_BIT;
}

static void no_sleep(avr_t *avr, avr_cycle_count_t how_long) { (void)avr; (void)how_long; }

static board the_board;   /* one board per process: simavr keeps global state per core */

board *sb_open(const char *elf, uint32_t freq, spi_fn spi, twi_fn twi, byte_fn uart, cs_fn cs)
{
	static elf_firmware_t fw;
	memset(&fw, 0, sizeof fw);
	if (elf_read_firmware(elf, &fw)) return NULL;
	board *b = &the_board;
	memset(b, 0, sizeof *b);
	b->avr = avr_make_mcu_by_name("atmega328p");
	if (!b->avr) return NULL;
	avr_init(b->avr);
	b->avr->log = 0;
	fw.frequency = freq;
	avr_load_firmware(b->avr, &fw);
	fflush(stdout);   /* simavr prints what it loaded; core.py sends that to /dev/null */
	b->avr->frequency = freq;
	b->avr->sleep = no_sleep;
	b->spi = spi; b->twi = twi; b->uart = uart; b->cs = cs;

	uint32_t flags = 0;
	avr_ioctl(b->avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
	avr_irq_register_notify(avr_io_getirq(b->avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT),
				on_uart_out, b);
	b->spi_in = avr_io_getirq(b->avr, AVR_IOCTL_SPI_GETIRQ(0), SPI_IRQ_INPUT);
	avr_irq_register_notify(avr_io_getirq(b->avr, AVR_IOCTL_SPI_GETIRQ(0), SPI_IRQ_OUTPUT),
				on_spi_out, b);
	avr_register_io_write(b->avr, SPDR, on_spdr_write, b);
	for (avr_io_t *io = b->avr->io_port; io; io = io->next)
		if (io->kind && !strcmp(io->kind, "uart") && ((avr_uart_t *)io)->name == '0')
			b->uart0 = (avr_uart_t *)io;
	avr_register_io_write(b->avr, UCSR0B, on_ucsr0b_write, b);
	for (avr_io_t *io = b->avr->io_port; io; io = io->next)
		if (io->kind && !strcmp(io->kind, "twi")) b->twi_unit = (avr_twi_t *)io;
	avr_register_io_write(b->avr, TWDR, on_twdr_write, b);
	avr_register_io_write(b->avr, TWCR, on_twcr_write, b);
	b->twi_in = avr_io_getirq(b->avr, AVR_IOCTL_TWI_GETIRQ(0), TWI_IRQ_INPUT);
	avr_irq_register_notify(avr_io_getirq(b->avr, AVR_IOCTL_TWI_GETIRQ(0), TWI_IRQ_OUTPUT),
				on_twi_out, b);
	avr_irq_register_notify(avr_io_getirq(b->avr, AVR_IOCTL_IOPORT_GETIRQ('B'), 2), on_cs_pin, b);
	avr_irq_register_notify(avr_io_getirq(b->avr, AVR_IOCTL_IOPORT_GETIRQ('D'), 7), on_cs_pin, b);
	avr_irq_register_notify(avr_io_getirq(b->avr, AVR_IOCTL_IOPORT_GETIRQ('D'), 4), on_cs_pin, b);
	avr_irq_register_notify(avr_io_getirq(b->avr, AVR_IOCTL_IOPORT_GETIRQ('B'), IOPORT_IRQ_DIRECTION_ALL),
				on_cs_pin, b);
	avr_irq_register_notify(avr_io_getirq(b->avr, AVR_IOCTL_IOPORT_GETIRQ('D'), IOPORT_IRQ_DIRECTION_ALL),
				on_cs_pin, b);
	return b;
}

/* Run until the cycle counter reaches `until` or a callback calls sb_stop. Returns the core state. */
int sb_run(board *b, uint64_t until)
{
	avr_t *avr = b->avr;
	int state = avr->state;
	b->stop = 0;
	while (avr->cycle < until && !b->stop) {
		state = avr_run(avr);
		if (state == cpu_Done || state == cpu_Crashed) break;
	}
	return state;
}

void sb_stop(board *b) { b->stop = 1; }

/* The reset button: the MCU restarts (RAM and registers as after any reset, EEPROM kept) and
 * MCUSR says why, as the chip's EXTRF does; the board's other chips keep running. */
void sb_reset(board *b)
{
	avr_regbit_t extrf = b->avr->reset_flags.extrf;
	avr_reset(b->avr);
	if (!extrf.reg) { /* simavr 1.6's ATmega328P declares no reset flags: MCUSR 0x54, EXTRF bit 1 */
		extrf.reg = 0x54;
		extrf.bit = 1;
	}
	b->avr->data[extrf.reg] = 1 << extrf.bit;
	b->stop = 1;
}
uint64_t sb_cycle(board *b) { return b->avr->cycle; }
uint64_t sb_spi_bytes(board *b) { return b->spi_bytes; }
uint8_t *sb_sram(board *b) { return b->avr->data; }
uint16_t sb_pc(board *b) { return (uint16_t)b->avr->pc; }

/* The 1 KB EEPROM, so a harness can keep it across boards as a real board keeps it across resets. */
void sb_eeprom(board *b, uint8_t *image, int write)
{
	avr_eeprom_desc_t desc = { .ee = image, .offset = 0, .size = 1024 };
	avr_ioctl(b->avr, write ? AVR_IOCTL_EEPROM_SET : AVR_IOCTL_EEPROM_GET, &desc);
}
