/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32) for output fingerprints. */
#ifndef TT_CRC32_H
#define TT_CRC32_H
#include <stdint.h>
/* Continue a CRC: start with crc = 0. */
uint32_t tt_crc32(uint32_t crc, const void *data, uint32_t len);
#endif
