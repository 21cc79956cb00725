/* tt_global_avgpool_backward_f32: every cell of channel c gets dy[c] / (in_h·in_w)
 * (added to dx when accumulate). kh/kw/stride/pad are not read, as in the forward. */
#include "tt_train.h"

void tt_global_avgpool_backward_f32(const tt_pool_params_t *p, const float *dy, float *dx,
                                    int accumulate) {
  const int32_t hw = (int32_t)p->in_h * p->in_w;
  int32_t c, i;
  for (c = 0; c < p->c; c++) {
    const float g = dy[c] / (float)hw;
    float *d = dx + c * hw;
    if (accumulate)
      for (i = 0; i < hw; i++) d[i] += g;
    else
      for (i = 0; i < hw; i++) d[i] = g;
  }
}
