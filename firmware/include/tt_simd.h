/* Compile-time choice between the portable kernels and the optimized Cortex-M paths.
 *
 * TT_DSP is 1 when the compiler targets a CPU with the DSP extension (Cortex-M4/M7:
 * GCC defines __ARM_FEATURE_DSP from -mcpu), unless TT_PORTABLE is defined. The host build
 * is portable. Tests compile the optimized paths on the host with TT_DSP_EMULATE, where
 * the intrinsics below are plain C with the instructions' exact semantics.
 *
 * Every optimized path gives the same bits as the portable one: integer kernels exactly,
 * float kernels by keeping each sum's order (tt_fmac below is a multiply then an add,
 * each rounded, like the portable code under -ffp-contract=off). */
#ifndef TT_SIMD_H
#define TT_SIMD_H
#include <stdint.h>
#include <string.h>

#if defined(TT_PORTABLE)
#define TT_DSP 0
#elif defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#define TT_DSP 1
#define TT_DSP_NATIVE 1
#include <arm_acle.h>
#elif defined(TT_DSP_EMULATE)
#define TT_DSP 1
#else
#define TT_DSP 0
#endif

#if TT_DSP
/* Two int16 lanes: lo = bits 0..15, hi = bits 16..31. */
#if defined(TT_DSP_NATIVE)
/* lo(a)·lo(b) + hi(a)·hi(b) + acc (SMLAD; wraps, the Q flag is ignored). */
static inline int32_t tt_smlad(uint32_t a, uint32_t b, int32_t acc) { return __smlad(a, b, acc); }
/* lo(a)·lo(b) + hi(a)·hi(b) (SMUAD). */
static inline int32_t tt_smuad(uint32_t a, uint32_t b) { return __smuad(a, b); }
/* Bytes 0 and 2 sign-extended into the two lanes (SXTB16). */
static inline uint32_t tt_sxtb16(uint32_t x) { return __sxtb16(x); }
/* Bytes 1 and 3 sign-extended into the two lanes (SXTB16 with ROR #8). */
static inline uint32_t tt_sxtb16_ror8(uint32_t x) {
  uint32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}
/* Lanes of a plus bytes 0 and 2 of b sign-extended, each lane wrapping (SXTAB16). */
static inline uint32_t tt_sxtab16(uint32_t a, uint32_t b) {
  uint32_t r;
  __asm__("sxtab16 %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
/* The same with bytes 1 and 3 of b (SXTAB16 with ROR #8). */
static inline uint32_t tt_sxtab16_ror8(uint32_t a, uint32_t b) {
  uint32_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
/* a + floor((t·m + 2^31) / 2^32), wrapping (SMMLAR). */
static inline int32_t tt_smmlar(int32_t t, int32_t m, int32_t a) {
  int32_t r;
  __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(t), "r"(m), "r"(a));
  return r;
}
/* v clamped to -128..127 (SSAT #8: GCC does not always find it in the C form). */
static inline int32_t tt_ssat8(int32_t v) { return __ssat(v, 8); }
/* lo lane of a into lo, lo lane of b into hi (PKHBT a, b, LSL #16). */
static inline uint32_t tt_pack_lo(uint32_t a, uint32_t b) {
  uint32_t r;
  __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
/* hi lane of a into lo, hi lane of b into hi (PKHTB b, a, ASR #16). */
static inline uint32_t tt_pack_hi(uint32_t a, uint32_t b) {
  uint32_t r;
  __asm__("pkhtb %0, %2, %1, asr #16" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
#else
static inline int32_t tt_lane_lo(uint32_t a) { return (int32_t)(int16_t)(uint16_t)(a & 0xFFFFu); }
static inline int32_t tt_lane_hi(uint32_t a) { return (int32_t)(int16_t)(uint16_t)(a >> 16); }
static inline int32_t tt_smlad(uint32_t a, uint32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(tt_lane_lo(a) * tt_lane_lo(b)) +
                   (uint32_t)(tt_lane_hi(a) * tt_lane_hi(b)));
}
static inline int32_t tt_smuad(uint32_t a, uint32_t b) { return tt_smlad(a, b, 0); }
static inline uint32_t tt_sxtb16(uint32_t x) {
  return ((uint32_t)(int32_t)(int8_t)(uint8_t)(x & 0xFFu) & 0xFFFFu) |
         ((uint32_t)(int32_t)(int8_t)(uint8_t)((x >> 16) & 0xFFu) << 16);
}
static inline uint32_t tt_sxtb16_ror8(uint32_t x) { return tt_sxtb16((x >> 8) | (x << 24)); }
static inline uint32_t tt_sxtab16(uint32_t a, uint32_t b) {
  return ((a + (uint32_t)(int32_t)(int8_t)(uint8_t)b) & 0xFFFFu) |
         (((a >> 16) + (uint32_t)(int32_t)(int8_t)(uint8_t)(b >> 16)) << 16);
}
static inline uint32_t tt_sxtab16_ror8(uint32_t a, uint32_t b) { return tt_sxtab16(a, (b >> 8) | (b << 24)); }
static inline int32_t tt_smmlar(int32_t t, int32_t m, int32_t a) {
  const uint64_t v = (uint64_t)((int64_t)t * m) + 0x80000000u;
  return (int32_t)((uint32_t)a + (uint32_t)(v >> 32));
}
static inline int32_t tt_ssat8(int32_t v) {
  v = v < -128 ? -128 : v;
  return v > 127 ? 127 : v;
}
static inline uint32_t tt_pack_lo(uint32_t a, uint32_t b) { return (a & 0xFFFFu) | (b << 16); }
static inline uint32_t tt_pack_hi(uint32_t a, uint32_t b) { return (a >> 16) | (b & 0xFFFF0000u); }
#endif

/* 4 bytes from any address (Cortex-M4/M7 LDR allows unaligned addresses). */
static inline uint32_t tt_read_u32(const void *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}
#endif /* TT_DSP */

/* acc + a·b with the product rounded before the add: the portable statement `acc += a * b`
 * under -ffp-contract=off. On a single-precision FPU it is one VMLA (not fused: the ARM
 * ARM defines it as FPMul then FPAdd, each rounded), which GCC does not emit by itself. */
#if TT_DSP && defined(TT_DSP_NATIVE) && defined(__ARM_FP) && (__ARM_FP & 4)
static inline float tt_fmac(float acc, float a, float b) {
  __asm__("vmla.f32 %0, %1, %2" : "+t"(acc) : "t"(a), "t"(b));
  return acc;
}
#else
static inline float tt_fmac(float acc, float a, float b) { return acc + a * b; }
#endif

#endif
