#include "health.h"

#include <pgm.h>
#include <stddef.h>
#include <string.h>

namespace {

// HEALTH_FIELDS in order: each name, then where its value lies in Health and its size in bytes
// (0: a flash string). A table, not twelve calls: it is the smaller code on the AVR.
const char kNames[] PROGMEM = "fw\0up\0boots\0reset\0sram\0tries\0queued\0lost\0lead\0link\0dhcp\0spi";
struct Field {
  uint8_t offset, size;
};
const Field kFields[] PROGMEM = {
    {offsetof(Health, fw_P), 0},       {offsetof(Health, up_s), 4},    {offsetof(Health, boots), 4},
    {offsetof(Health, reset_P), 0},    {offsetof(Health, sram), 2},    {offsetof(Health, tries), 1},
    {offsetof(Health, queued), 2},     {offsetof(Health, lost), 2},    {offsetof(Health, lead), 1},
    {offsetof(Health, link_P), 0},     {offsetof(Health, dhcp), 2},    {offsetof(Health, spi_khz), 2},
};

}  // namespace

void health_value(const void* from, ByteSink sink, void* context) {
  const uint8_t* h = static_cast<const uint8_t*>(from);
  const char* name = kNames;
  for (uint8_t i = 0; i < sizeof kFields / sizeof kFields[0]; ++i) {
    if (i) sink(context, reinterpret_cast<const uint8_t*>(" "), 1);
    sink_P(sink, context, name);
    name += strlen_P(name) + 1;
    sink(context, reinterpret_cast<const uint8_t*>("="), 1);
    const uint8_t at = pgm_read_byte(&kFields[i].offset), size = pgm_read_byte(&kFields[i].size);
    if (size == 0) {
      const char* word_P;
      memcpy(&word_P, h + at, sizeof word_P);
      sink_P(sink, context, word_P);
    } else {
      uint32_t number = 0;  // little-endian, on the AVR as on the host
      memcpy(&number, h + at, size);
      sink_u32(sink, context, number);
    }
  }
}
