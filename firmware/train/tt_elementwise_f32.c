/* tt_elementwise_f32: fp32 gradient plumbing — dst += src (a tensor with several
 * consumers), copy, and scale. One operation per element, so no ordering question. */
#include "tt_train.h"
#include "tt_simd.h"

static __attribute__((noinline)) void add_portable(float *dst, const float *src, uint32_t n) {
  uint32_t i;
  for (i = 0; i < n; i++) dst[i] += src[i];
}

static __attribute__((noinline)) void copy_portable(float *dst, const float *src, uint32_t n) {
  uint32_t i;
  for (i = 0; i < n; i++) dst[i] = src[i];
}

static __attribute__((noinline)) void scale_portable(float *g, uint32_t n, float s) {
  uint32_t i;
  for (i = 0; i < n; i++) g[i] *= s;
}

#if TT_DSP
/* Four elements per iteration: fewer loop instructions (and no call to newlib's byte-wise
 * memcpy for the copy; loads and stores of floats keep every bit, NaN payloads too). */
static void add_dsp(float *dst, const float *src, uint32_t n) {
  const float *end = src + (n & ~3u);
  for (; src != end; dst += 4, src += 4) {
    const float a = src[0], b = src[1], c = src[2], d = src[3];
    dst[0] += a;
    dst[1] += b;
    dst[2] += c;
    dst[3] += d;
  }
  if (n & 3u) add_portable(dst, src, n & 3u);
}

static void copy_dsp(float *dst, const float *src, uint32_t n) {
  const float *end = src + (n & ~3u);
  for (; src != end; dst += 4, src += 4) {
    const float a = src[0], b = src[1], c = src[2], d = src[3];
    dst[0] = a;
    dst[1] = b;
    dst[2] = c;
    dst[3] = d;
  }
  if (n & 3u) copy_portable(dst, src, n & 3u);
}

static void scale_dsp(float *g, uint32_t n, float s) {
  float *end = g + (n & ~3u);
  for (; g != end; g += 4) {
    g[0] *= s;
    g[1] *= s;
    g[2] *= s;
    g[3] *= s;
  }
  if (n & 3u) scale_portable(g, n & 3u, s);
}
#endif

void tt_add_f32(float *dst, const float *src, uint32_t n) {
#if TT_DSP
  add_dsp(dst, src, n);
#else
  add_portable(dst, src, n);
#endif
}

void tt_copy_f32(float *dst, const float *src, uint32_t n) {
#if TT_DSP
  copy_dsp(dst, src, n);
#else
  copy_portable(dst, src, n);
#endif
}

void tt_scale_f32(float *g, uint32_t n, float s) {
#if TT_DSP
  scale_dsp(g, n, s);
#else
  scale_portable(g, n, s);
#endif
}
