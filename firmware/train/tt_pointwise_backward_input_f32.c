/* tt_pointwise_backward_input_f32: input gradient of a 1x1, stride 1, unpadded, groups 1
 * convolution: dx[i,p] = Σ_o (s_w[o]·q_w[o,i])·dy[o,p], summed in o order after dx's
 * previous value (accumulate) or 0. Identical bits to tt_conv_backward_input_f32. */
#include "tt_train.h"
#include "tt_split.h"
#include "tt_simd.h"

/* The portable loop; noinline keeps its code (and speed) as before the optimized path. */
static __attribute__((noinline)) void pointwise_backward_portable(const tt_conv_grad_params_t *p,
                                                                  const float *dy, float *dx, int accumulate) {
  const int32_t hw = (int32_t)p->in_h * p->in_w, in_c = p->in_c;
  int32_t i, o, px;
  for (i = 0; i < in_c; i++) {
    float *dxc = dx + i * hw;
    if (!accumulate)
      for (px = 0; px < hw; px++) dxc[px] = 0.0f;
    for (o = 0; o < p->out_c; o++) {
      const uint16_t sl = p->weight_train ? p->in_slot[i] : 0;
      const int8_t q = !p->weight_train ? p->weight[o * in_c + i]
                       : (sl & TT_SLOT_TRAIN) ? p->weight_train[o * p->n_train + (sl & 0x7fffu)]
                                              : p->weight[o * (in_c - p->n_train) + sl];
      const float wv = p->w_scale[o] * (float)q;
      const float *dyo = dy + o * hw;
      for (px = 0; px < hw; px++) dxc[px] += wv * dyo[px];
    }
  }
}

#if TT_DSP
/* q_w[o, i] of a possibly split weight matrix: column i starts at *base and steps by
 * *stride per output channel. */
static void weight_column(const tt_conv_grad_params_t *p, int32_t i, const int8_t **base, int32_t *stride) {
  const int32_t in_c = p->in_c;
  if (!p->weight_train) {
    *base = p->weight + i;
    *stride = in_c;
  } else {
    const uint16_t sl = p->in_slot[i];
    if (sl & TT_SLOT_TRAIN) {
      *base = p->weight_train + (sl & 0x7fffu);
      *stride = p->n_train;
    } else {
      *base = p->weight + sl;
      *stride = in_c - p->n_train;
    }
  }
}

/* Register blocking: NI input channels x NP pixels of dx live in float registers
 * (3 x 8 = 24 of the FPU's 32) while o runs; per o that is NI weight loads, NP dy loads
 * and NI·NP multiply-accumulates (one VMLA each). The weights s_w[o]·q_w[o,i] of the NI
 * channels are computed once per chunk of OC output channels into wb[o][NI] (the same
 * product as the portable code), so every pixel block reuses them. Each dx element still
 * starts from its previous value (or 0) and adds its terms in o order; between chunks it
 * goes through memory, which is exact. */
#define NI 3
#define OC 64

/* dx[ni, p0..p0+np) (+)= Σ_{o < n_o} wb[o][ni]·dy[o, p0..]; `load` reads the start value
 * from dx, else 0. np and ni are constants after inlining, so the loops unroll and acc
 * lives in registers. */
static inline __attribute__((always_inline)) void block(const float *wb, const float *dyp, int32_t hw,
                                                        int32_t n_o, float *dxp, int load,
                                                        const int ni, const int np) {
  float acc[NI][8];
  int32_t o;
#pragma GCC unroll 3
  for (int a = 0; a < ni; a++)
#pragma GCC unroll 8
    for (int b = 0; b < np; b++) acc[a][b] = load ? dxp[a * hw + b] : 0.0f;
  for (o = 0; o < n_o; o++, wb += ni, dyp += hw) {
    float w[NI], d[8];
#pragma GCC unroll 3
    for (int a = 0; a < ni; a++) w[a] = wb[a];
#pragma GCC unroll 8
    for (int b = 0; b < np; b++) d[b] = dyp[b];
#pragma GCC unroll 8
    for (int b = 0; b < np; b++)
#pragma GCC unroll 3
      for (int a = 0; a < ni; a++) acc[a][b] = tt_fmac(acc[a][b], w[a], d[b]);
  }
#pragma GCC unroll 3
  for (int a = 0; a < ni; a++)
#pragma GCC unroll 8
    for (int b = 0; b < np; b++) dxp[a * hw + b] = acc[a][b];
}

#if defined(TT_DSP_NATIVE) && defined(__ARM_FP) && (__ARM_FP & 4)
/* The 3 x 8 block on a single-precision FPU, as one asm statement so that the registers
 * are fixed: acc s0-s23 (row a at s8a..s8a+7), weights s24-s26, dy s28-s31 (four pixels at
 * a time). VLDM/VSTM move a row or a weight triple in one instruction and VMLA is the
 * portable multiply-then-add (each rounded), so the per-element operations and their
 * order are exactly block(..., 3, 8)'s. n_o >= 1. */
static const float zeros8[8];
static void block3x8_asm(const float *wb, const float *dyp, int32_t hw, int32_t n_o, float *dxp, int load) {
  const float *wend = wb + 3 * n_o;
  uint32_t rs = (uint32_t)hw * 4u;               /* bytes between rows of dx and of dy */
  const float *ib = load ? dxp : zeros8;         /* start values: dx rows, or zeros */
  const uint32_t is = load ? rs : 0u;
  float *ob = dxp;
#define PW_O                                                                                \
  "vldmia %[wb]!, {s24-s26}\n\t"                                                             \
  "vldmia %[dy]!, {s28-s31}\n\t"                                                            \
  "vmla.f32 s0, s24, s28\n\t"                                                               \
  "vmla.f32 s1, s24, s29\n\t"                                                               \
  "vmla.f32 s2, s24, s30\n\t"                                                               \
  "vmla.f32 s3, s24, s31\n\t"                                                               \
  "vmla.f32 s8, s25, s28\n\t"                                                               \
  "vmla.f32 s9, s25, s29\n\t"                                                               \
  "vmla.f32 s10, s25, s30\n\t"                                                              \
  "vmla.f32 s11, s25, s31\n\t"                                                              \
  "vmla.f32 s16, s26, s28\n\t"                                                              \
  "vmla.f32 s17, s26, s29\n\t"                                                              \
  "vmla.f32 s18, s26, s30\n\t"                                                              \
  "vmla.f32 s19, s26, s31\n\t"                                                              \
  "vldmia %[dy], {s28-s31}\n\t"                                                             \
  "add %[dy], %[dy], %[rs]\n\t"                                                             \
  "vmla.f32 s4, s24, s28\n\t"                                                               \
  "vmla.f32 s5, s24, s29\n\t"                                                               \
  "vmla.f32 s6, s24, s30\n\t"                                                               \
  "vmla.f32 s7, s24, s31\n\t"                                                               \
  "vmla.f32 s12, s25, s28\n\t"                                                              \
  "vmla.f32 s13, s25, s29\n\t"                                                              \
  "vmla.f32 s14, s25, s30\n\t"                                                              \
  "vmla.f32 s15, s25, s31\n\t"                                                              \
  "vmla.f32 s20, s26, s28\n\t"                                                              \
  "vmla.f32 s21, s26, s29\n\t"                                                              \
  "vmla.f32 s22, s26, s30\n\t"                                                              \
  "vmla.f32 s23, s26, s31\n\t"
  /* An odd n_o takes one output channel before the loop, which then runs two at a time. */
  __asm__ volatile(
      "vldmia %[ib], {s0-s7}\n\t"
      "add %[ib], %[ib], %[is]\n\t"
      "vldmia %[ib], {s8-s15}\n\t"
      "add %[ib], %[ib], %[is]\n\t"
      "vldmia %[ib], {s16-s23}\n\t"
      "sub %[rs], %[rs], #16\n\t"                /* dy step after the two half rows */
      "tst %[n], #1\n\t"
      "beq 1f\n\t"
      PW_O
      "cmp %[wb], %[wend]\n\t"
      "beq 2f\n\t"
      "1:\n\t"
      PW_O
      PW_O
      "cmp %[wb], %[wend]\n\t"
      "bne 1b\n\t"
      "2:\n\t"
      "add %[rs], %[rs], #16\n\t"
      "vstmia %[ob], {s0-s7}\n\t"
      "add %[ob], %[ob], %[rs]\n\t"
      "vstmia %[ob], {s8-s15}\n\t"
      "add %[ob], %[ob], %[rs]\n\t"
      "vstmia %[ob], {s16-s23}\n\t"
      : [wb] "+r"(wb), [dy] "+r"(dyp), [ib] "+r"(ib), [ob] "+r"(ob), [rs] "+r"(rs)
      : [wend] "r"(wend), [is] "r"(is), [n] "r"(n_o)
      : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13", "s14",
        "s15", "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "s24", "s25", "s26", "s27", "s28",
        "s29", "s30", "s31", "cc", "memory");
#undef PW_O
}

/* wb[3·o + a] = s_w[o]·(float)q[o·in_c + a] for o < n_o >= 1: three int8 -> float
 * conversions and products per output channel, stored with one VSTM. */
static void fill3_asm(float *wb, const float *ws, const int8_t *q, int32_t in_c, int32_t n_o) {
  const float *wend = wb + 3 * n_o;
  int32_t t0, t1, t2;
  __asm__ volatile(
      "1:\n\t"
      "vldmia %[ws]!, {s0}\n\t"
      "ldrsb %[t0], [%[q]]\n\t"
      "ldrsb %[t1], [%[q], #1]\n\t"
      "ldrsb %[t2], [%[q], #2]\n\t"
      "add %[q], %[q], %[inc]\n\t"
      "vmov s1, s2, %[t0], %[t1]\n\t"
      "vmov s3, %[t2]\n\t"
      "vcvt.f32.s32 s1, s1\n\t"
      "vcvt.f32.s32 s2, s2\n\t"
      "vcvt.f32.s32 s3, s3\n\t"
      "vmul.f32 s1, s0, s1\n\t"
      "vmul.f32 s2, s0, s2\n\t"
      "vmul.f32 s3, s0, s3\n\t"
      "vstmia %[wb]!, {s1-s3}\n\t"
      "cmp %[wb], %[wend]\n\t"
      "bne 1b\n\t"
      : [ws] "+r"(ws), [q] "+r"(q), [wb] "+r"(wb), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2)
      : [inc] "r"(in_c), [wend] "r"(wend)
      : "s0", "s1", "s2", "s3", "cc", "memory");
}
#define FILL3(wb, ws, q, in_c, n_o) fill3_asm(wb, ws, q, in_c, n_o)
#define BLOCK3X8(wb, dyp, hw, n_o, dxp, load) block3x8_asm(wb, dyp, hw, n_o, dxp, load)
#else
#define BLOCK3X8(wb, dyp, hw, n_o, dxp, load) block(wb, dyp, hw, n_o, dxp, load, 3, 8)
static void fill3(float *wb, const float *ws, const int8_t *q, int32_t in_c, int32_t n_o) {
  int32_t o;
  for (o = 0; o < n_o; o++, q += in_c, wb += 3) {
    const float s = *ws++;
    wb[0] = s * (float)q[0];
    wb[1] = s * (float)q[1];
    wb[2] = s * (float)q[2];
  }
}
#define FILL3(wb, ws, q, in_c, n_o) fill3(wb, ws, q, in_c, n_o)
#endif

/* All pixels of ni (1 or 2) input channels for output channels [o0, o0 + n_o). */
#define CHANNELS(NAME, NI_)                                                                      \
  static __attribute__((noinline)) void NAME(const float *wb, const float *dy, int32_t hw, int32_t n_o, \
                                             float *dxc, int load) {                             \
    int32_t px = 0;                                                                              \
    for (; px + 8 <= hw; px += 8) block(wb, dy + px, hw, n_o, dxc + px, load, NI_, 8);           \
    if (px + 4 <= hw) {                                                                          \
      block(wb, dy + px, hw, n_o, dxc + px, load, NI_, 4);                                       \
      px += 4;                                                                                   \
    }                                                                                            \
    for (; px < hw; px++) block(wb, dy + px, hw, n_o, dxc + px, load, NI_, 1);                   \
  }
CHANNELS(channels2, 2)
CHANNELS(channels1, 1)
#undef CHANNELS

/* Input channels [0, n3) in blocks of NI = 3 (n3 a multiple of 3): for each block and
 * chunk of OC output channels the weights go to wb, then every pixel block runs. One
 * function, so the per-block bookkeeping stays small. */
static __attribute__((noinline)) void run3(const tt_conv_grad_params_t *p, const float *dy, float *dx,
                                           int accumulate, float *wb, int32_t n3) {
  const int32_t hw = (int32_t)p->in_h * p->in_w, in_c = p->in_c, out_c = p->out_c;
  int32_t i, o0, o, px;
  for (i = 0; i < n3; i += NI) {
    float *dxc = dx + i * hw;
    const int8_t *col[NI];
    int32_t stride[NI];
    weight_column(p, i, &col[0], &stride[0]);     /* split weights only */
    weight_column(p, i + 1, &col[1], &stride[1]);
    weight_column(p, i + 2, &col[2], &stride[2]);
    for (o0 = 0; o0 < out_c; o0 += OC) {
      const int32_t n_o = out_c - o0 < OC ? out_c - o0 : OC;
      const int load = accumulate || o0 > 0;
      const float *dyo = dy + o0 * hw;
      if (!p->weight_train) {
        /* The common case: the NI weights of output channel o are adjacent. */
        FILL3(wb, p->w_scale + o0, p->weight + o0 * in_c + i, in_c, n_o);
      } else {
        /* Split weights: each column in its own part. */
        const int8_t *q0 = col[0] + o0 * stride[0], *q1 = col[1] + o0 * stride[1];
        const int8_t *q2 = col[2] + o0 * stride[2];
        const float *ws = p->w_scale + o0;
        float *w = wb;
        for (o = 0; o < n_o; o++, w += NI, q0 += stride[0], q1 += stride[1], q2 += stride[2]) {
          const float sc = *ws++;
          w[0] = sc * (float)*q0;
          w[1] = sc * (float)*q1;
          w[2] = sc * (float)*q2;
        }
      }
      for (px = 0; px + 8 <= hw; px += 8) BLOCK3X8(wb, dyo + px, hw, n_o, dxc + px, load);
      if (px + 4 <= hw) {
        block(wb, dyo + px, hw, n_o, dxc + px, load, 3, 4);
        px += 4;
      }
      for (; px < hw; px++) block(wb, dyo + px, hw, n_o, dxc + px, load, 3, 1);
    }
  }
}

static void pointwise_backward_dsp(const tt_conv_grad_params_t *p, const float *dy, float *dx,
                                   int accumulate) {
  const int32_t hw = (int32_t)p->in_h * p->in_w, in_c = p->in_c, out_c = p->out_c;
  const int32_t n3 = in_c / NI * NI;
  float wb[(out_c < OC ? out_c : OC) * NI];      /* only the stack a small out_c needs */
  int32_t i, o0, o, a;
  if (n3) run3(p, dy, dx, accumulate, wb, n3);
  for (i = n3; i < in_c; i += 2) {               /* the last 1 or 2 input channels */
    const int32_t ni = in_c - i < 2 ? in_c - i : 2;
    const int8_t *col[2];
    int32_t stride[2];
    for (a = 0; a < ni; a++) weight_column(p, i + a, &col[a], &stride[a]);
    for (o0 = 0; o0 < out_c; o0 += OC) {
      const int32_t n_o = out_c - o0 < OC ? out_c - o0 : OC;
      for (o = 0; o < n_o; o++) {
        const float sc = p->w_scale[o0 + o];
        for (a = 0; a < ni; a++) wb[o * ni + a] = sc * (float)col[a][(o0 + o) * stride[a]];
      }
      if (ni == 2) channels2(wb, dy + o0 * hw, hw, n_o, dx + i * hw, accumulate || o0 > 0);
      else channels1(wb, dy + o0 * hw, hw, n_o, dx + i * hw, accumulate || o0 > 0);
    }
  }
}
#endif

void tt_pointwise_backward_input_f32(const tt_conv_grad_params_t *p, const float *dy, float *dx,
                                     int accumulate) {
#if TT_DSP
  if (p->out_c > 0) {                 /* no terms: the portable loop only clears dx */
    pointwise_backward_dsp(p, dy, dx, accumulate);
    return;
  }
#endif
  pointwise_backward_portable(p, dy, dx, accumulate);
}
