/* tt_fc_backward_input_f32: dx[k] = Σ_n s_w[n]·q_w[n,k]·dy[n], evaluated as
 * dx[k] += (s_w[n]·dy[n])·q_w[n,k] for n = 0..N−1 (row-major weight reads), after dx's
 * previous value (accumulate) or 0. */
#include "tt_train.h"
#include "tt_split.h"

void tt_fc_backward_input_f32(const tt_fc_grad_params_t *p, const float *dy, float *dx,
                              int accumulate) {
  const int32_t in = p->in_features;
  int32_t n, k;
  int8_t row[p->weight_train ? in : 1]; /* a split layer's weight row, assembled */
  if (!accumulate)
    for (k = 0; k < in; k++) dx[k] = 0.0f;
  for (n = 0; n < p->out_features; n++) {
    const int8_t *w = tt_split_row(p->weight, p->weight_train, p->in_slot, p->n_train, in, n, row);
    const float c = p->w_scale[n] * dy[n];
    for (k = 0; k < in; k++) dx[k] += c * (float)w[k];
  }
}
