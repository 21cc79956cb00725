/* Split weights of a partially updated layer: the weights of the updated input channels
 * live in SRAM (`train`), the rest stay in flash (`frozen`). slot[i] tells where input
 * channel i is: bit 15 set -> train slot (slot & 0x7fff), else frozen slot. Each part
 * keeps the layer's layout over its own slots: [rows][slots] for pointwise and fully
 * connected layers, [slots][kh][kw] for depthwise. Without a split, train is NULL. */
#ifndef TT_SPLIT_H
#define TT_SPLIT_H
#include <stdint.h>

#define TT_SLOT_TRAIN 0x8000u

/* Row r of a [rows][in] weight matrix: `frozen` itself, or assembled into buf[in]. */
static inline const int8_t *tt_split_row(const int8_t *frozen, const int8_t *train, const uint16_t *slot,
                                         uint16_t n_train, int32_t in, int32_t r, int8_t *buf) {
  if (!train) return frozen + r * in;
  for (int32_t i = 0; i < in; i++) {
    const uint16_t s = slot[i];
    buf[i] = (s & TT_SLOT_TRAIN) ? train[r * n_train + (s & 0x7fffu)] : frozen[r * (in - n_train) + s];
  }
  return buf;
}

/* The kh x kw kernel of depthwise channel c. */
static inline const int8_t *tt_split_channel(const int8_t *frozen, const int8_t *train, const uint16_t *slot,
                                             int32_t c, int32_t ksize) {
  if (!train) return frozen + c * ksize;
  return (slot[c] & TT_SLOT_TRAIN) ? train + (int32_t)(slot[c] & 0x7fffu) * ksize : frozen + (int32_t)slot[c] * ksize;
}
#endif
