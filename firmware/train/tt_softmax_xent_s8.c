/* tt_softmax_xent_s8: softmax cross-entropy on int8 logits, fp32.
 *
 * z_k = scale·(q_k − q_max) is computed from the exact integer difference, so z_k <= 0
 * and z_max = 0: every exp is in (0, 1] and the sum in [1, n] (numerically stable).
 *   loss       = log Σ_k e^{z_k} − z_label      (= logsumexp − logit_label)
 *   dlogits[k] = e^{z_k} / Σ − [k == label]
 * The sum runs k = 0..n−1. The zero point cancels in both. A label outside [0, n), n == 0,
 * or a scale that makes the sum non-finite (NaN, negative) gives NaN with zero dlogits,
 * so a caller that forgets to skip the step still changes nothing. */
#include "tt_train.h"

static float invalid(float *dlogits, uint32_t n) {
  union { uint32_t u; float f; } nan;
  uint32_t k;
  for (k = 0; k < n; k++) dlogits[k] = 0.0f;
  nan.u = 0x7fc00000u;
  return nan.f;
}

float tt_softmax_xent_s8(const int8_t *logits, uint32_t n, float scale, int32_t zp,
                         int32_t label, float *dlogits) {
  int32_t qmax = -128;
  uint32_t k;
  float sum = 0.0f;
  (void)zp;
  if (label < 0 || (uint32_t)label >= n) return invalid(dlogits, n);
  for (k = 0; k < n; k++)
    if (logits[k] > qmax) qmax = logits[k];
  for (k = 0; k < n; k++) {
    dlogits[k] = tt_expf(scale * (float)(logits[k] - qmax)); /* e^{z_k}, normalized below */
    sum += dlogits[k];
  }
  if (!(sum >= 1.0f && sum <= 3.4028234e38f)) return invalid(dlogits, n);
  for (k = 0; k < n; k++) dlogits[k] = dlogits[k] / sum;
  dlogits[label] -= 1.0f;
  return tt_logf(sum) - scale * (float)(logits[label] - qmax);
}
