/* Bitwise CRC-32: no table, so it costs no flash; it only runs on small outputs. */
#include "tt_crc32.h"

uint32_t tt_crc32(uint32_t crc, const void *data, uint32_t len) {
  const uint8_t *p = (const uint8_t *)data;
  crc = ~crc;
  for (uint32_t i = 0; i < len; i++) {
    crc ^= p[i];
    for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}
