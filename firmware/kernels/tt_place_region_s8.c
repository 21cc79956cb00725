/* tt_place_region_s8: write a contiguous c x h x w tile into its region of a larger CHW
 * tensor (the output of a tile of a tiled layer segment). */
#include <string.h>
#include "tt_kernels.h"

void tt_place_region_s8(const int8_t *tile, uint16_t c, uint16_t h, uint16_t w,
                        int8_t *dst, uint16_t dst_h, uint16_t dst_w, uint16_t y0, uint16_t x0) {
  for (uint32_t ch = 0; ch < c; ch++) {
    int8_t *plane = dst + ch * (uint32_t)dst_h * dst_w;
    for (uint32_t y = 0; y < h; y++) {
      memcpy(plane + (y0 + y) * (uint32_t)dst_w + x0, tile, w);
      tile += w;
    }
  }
}
