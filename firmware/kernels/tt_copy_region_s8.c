/* tt_copy_region_s8: gather a spatial region of a CHW tensor into a contiguous tile
 * (the input of a tile of a tiled layer segment, or a crop of a larger tile). */
#include <string.h>
#include "tt_kernels.h"

void tt_copy_region_s8(const int8_t *src, uint16_t c, uint16_t src_h, uint16_t src_w,
                       uint16_t y0, uint16_t x0, uint16_t h, uint16_t w, int8_t *dst) {
  for (uint32_t ch = 0; ch < c; ch++) {
    const int8_t *plane = src + ch * (uint32_t)src_h * src_w;
    for (uint32_t y = 0; y < h; y++) {
      memcpy(dst, plane + (y0 + y) * (uint32_t)src_w + x0, w);
      dst += w;
    }
  }
}
