// Conformance sketch: the unmodified Arduino Ethernet library (../shared/oracles/arduino-ethernet)
// driving the simulated W5500. Each step prints one line that tests/conformance reads:
//   dhcp: <ip> dns-server <ip>      Ethernet.begin(mac) got a lease
//   dns: <result> <ip>              DNSClient resolved CONF_HOST
//   udp: <text>                     a datagram written in three pieces came back from the echo
//   post <bytes>: <status line>     EthernetClient POSTed a generated JPEG with Content-Length
//   maintain: <code>                Ethernet.maintain() reported something (2 = renewed)
// The test generates conformance_config.h: the MAC, the host, the JPEG head and the signatures.
#include <Arduino.h>
#include <Dns.h>
#include <Ethernet.h>
#include <EthernetUdp.h>
#include <SPI.h>

#include "conformance_config.h"

namespace {

byte mac[] = CONF_MAC;
const uint8_t kJpegHead[] PROGMEM = CONF_JPEG_HEAD;
const uint32_t kPostSizes[] = CONF_POST_SIZES;
const char kAuth0[] PROGMEM = CONF_POST_AUTH_0;
const char kAuth1[] PROGMEM = CONF_POST_AUTH_1;
const char* const kAuth[] = {kAuth0, kAuth1};

// The body's byte i: the JPEG head, then scan data that never holds 0xFF, then FF D9 (the test
// computes the same bytes and compares them with the stored object).
uint8_t body_byte(uint32_t i, uint32_t size) {
  if (i < sizeof(kJpegHead)) return pgm_read_byte(kJpegHead + i);
  if (i == size - 2) return 0xFF;
  if (i == size - 1) return 0xD9;
  return (uint8_t)((i * 7 + (i >> 8)) % 251);
}

void post(const IPAddress& ip, uint32_t size, const char* auth_P) {
  EthernetClient client;
  Serial.print(F("post "));
  Serial.print(size);
  Serial.print(F(": "));
  if (!client.connect(ip, CONF_HTTP_PORT)) {
    Serial.println(F("connect failed"));
    return;
  }
  client.print(F("POST /frames HTTP/1.1\r\nHost: " CONF_HOST "\r\nContent-Type: image/jpeg\r\n"
                 "Content-Length: "));
  client.print(size);
  client.print(F("\r\nAuthorization: "));
  client.print(reinterpret_cast<const __FlashStringHelper*>(auth_P));
  client.print(F("\r\nConnection: close\r\n\r\n"));
  uint8_t piece[64];
  for (uint32_t at = 0; at < size;) {
    uint8_t n = 0;
    while (n < sizeof(piece) && at < size) piece[n++] = body_byte(at++, size);
    if (client.write(piece, n) != n) {
      Serial.println(F("write failed"));
      client.stop();
      return;
    }
  }
  char line[48];
  uint8_t len = 0;
  const uint32_t start = millis();
  while (millis() - start < 20000 && (client.connected() || client.available())) {
    const int c = client.read();
    if (c < 0) continue;
    if (c == '\r' || c == '\n') break;
    if (len < sizeof(line) - 1) line[len++] = (char)c;
  }
  line[len] = 0;
  Serial.println(len ? line : "no status line");
  client.stop();
}

void udp_echo() {
  EthernetUDP udp;
  udp.begin(CONF_UDP_LOCAL_PORT);
  const IPAddress echo(CONF_ECHO_IP);
  udp.beginPacket(echo, CONF_ECHO_PORT);
  udp.write("one,");
  udp.write("two,");
  udp.write("three");
  const bool sent = udp.endPacket();
  char text[32];
  uint8_t len = 0;
  const uint32_t start = millis();
  while (sent && millis() - start < 3000) {
    if (udp.parsePacket() <= 0) continue;
    int got;
    while (len < sizeof(text) - 1 && (got = udp.read((unsigned char*)text + len, 3)) > 0) {
      len = (uint8_t)(len + got);  // read back in pieces of three as well
    }
    break;
  }
  text[len] = 0;
  Serial.print(F("udp: "));
  Serial.println(sent ? text : "send failed");
  udp.stop();
}

}  // namespace

void setup() {
  Serial.begin(115200);
  pinMode(4, OUTPUT);  // the shield's SD card select: kept high, off the bus
  digitalWrite(4, HIGH);
  Serial.println(F("ethernet conformance"));
  if (!Ethernet.begin(mac, 20000, 4000)) {
    Serial.println(F("dhcp: failed"));
    return;
  }
  Serial.print(F("dhcp: "));
  Serial.print(Ethernet.localIP());
  Serial.print(F(" dns-server "));
  Serial.println(Ethernet.dnsServerIP());

  DNSClient dns;
  dns.begin(Ethernet.dnsServerIP());
  IPAddress host;
  const int found = dns.getHostByName(CONF_HOST, host);
  Serial.print(F("dns: "));
  Serial.print(found);
  Serial.print(' ');
  Serial.println(host);

  udp_echo();
  for (uint8_t i = 0; i < sizeof(kPostSizes) / sizeof(kPostSizes[0]); ++i) {
    post(host, kPostSizes[i], kAuth[i]);
  }
  Serial.println(F("done"));
}

void loop() {
  const int code = Ethernet.maintain();
  if (code != 0) {  // DHCP_CHECK_NONE (Dhcp.h)
    Serial.print(F("maintain: "));
    Serial.println(code);
  }
}
