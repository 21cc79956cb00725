/* Allocation-free builder for the firmware's JSON output lines (no printf anywhere).
 *
 *   char buf[128]; tt_line_t l;
 *   tt_line_init(&l, buf, sizeof buf);
 *   tt_line_str(&l, "{\"event\":\"eval\",\"correct\":"); tt_line_u32(&l, n);
 *   tt_line_str(&l, ",\"accuracy\":"); tt_line_f32_fixed(&l, acc, 4);
 *   tt_line_str(&l, "}"); tt_print_line(tt_line_cstr(&l));
 *
 * Every append is bounded by the buffer; the text stays NUL-terminated. When something
 * does not fit, the line is cut and `overflow` is set (a cut line is invalid JSON, so
 * size buffers generously: a uint64 takes at most 20 characters, a float 16).
 *
 * Floats print the same on the host and on the device (IEEE arithmetic only, no libc):
 *  - tt_line_f32_fixed: fixed decimals (0..9), rounded half away from zero, e.g. 0.9123;
 *  - tt_line_f32: shortest-style "%.9g" equivalent: 9 significant digits, trailing
 *    zeros removed, exponent form (1.5e-07) when the decimal exponent is < -4 or >= 9. Nine
 *    digits make every float round-trip through a decimal parser.
 *  NaN and infinities print as null (JSON has no literal for them). */
#ifndef TT_IO_H
#define TT_IO_H
#include <stdint.h>

typedef struct {
  char *buf;
  uint32_t cap;      /* bytes in buf, including the terminating NUL */
  uint32_t len;      /* characters written, excluding the NUL */
  uint8_t overflow;  /* 1 when something was cut */
} tt_line_t;

void tt_line_init(tt_line_t *l, char *buf, uint32_t cap);
/* Raw text (no escaping): JSON punctuation, keys, literals. */
void tt_line_str(tt_line_t *l, const char *s);
void tt_line_char(tt_line_t *l, char c);
/* A quoted JSON string with ", \ and control characters escaped. */
void tt_line_json_str(tt_line_t *l, const char *s);
void tt_line_i32(tt_line_t *l, int32_t v);
void tt_line_u32(tt_line_t *l, uint32_t v);
void tt_line_u64(tt_line_t *l, uint64_t v);
/* Eight lowercase hex digits, no prefix (callers add "0x" where the format wants it). */
void tt_line_hex32(tt_line_t *l, uint32_t v);
void tt_line_f32_fixed(tt_line_t *l, float v, uint32_t decimals);
void tt_line_f32(tt_line_t *l, float v);
const char *tt_line_cstr(const tt_line_t *l);

#endif
