/* JSON line builder: see tt_io.h. Only integer and IEEE double arithmetic (libgcc on
 * the device), so the host and the Cortex-M print the same characters. */
#include "tt_io.h"

void tt_line_init(tt_line_t *l, char *buf, uint32_t cap) {
  l->buf = buf;
  l->cap = cap;
  l->len = 0;
  l->overflow = 0;
  if (cap > 0) buf[0] = '\0';
}

void tt_line_char(tt_line_t *l, char c) {
  if (l->cap == 0 || l->len + 1 >= l->cap) {
    l->overflow = 1;
    return;
  }
  l->buf[l->len++] = c;
  l->buf[l->len] = '\0';
}

void tt_line_str(tt_line_t *l, const char *s) {
  while (*s) tt_line_char(l, *s++);
}

static const char tt_hex_digits[] = "0123456789abcdef";

void tt_line_json_str(tt_line_t *l, const char *s) {
  tt_line_char(l, '"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      tt_line_char(l, '\\');
      tt_line_char(l, (char)c);
    } else if (c == '\n') {
      tt_line_str(l, "\\n");
    } else if (c == '\r') {
      tt_line_str(l, "\\r");
    } else if (c == '\t') {
      tt_line_str(l, "\\t");
    } else if (c < 0x20) {
      tt_line_str(l, "\\u00");
      tt_line_char(l, tt_hex_digits[c >> 4]);
      tt_line_char(l, tt_hex_digits[c & 15]);
    } else {
      tt_line_char(l, (char)c);
    }
  }
  tt_line_char(l, '"');
}

void tt_line_u64(tt_line_t *l, uint64_t v) {
  char tmp[20];
  int n = 0;
  /* 32-bit fast path: avoids the 64-bit division helper for the common case. */
  if (v <= 0xFFFFFFFFu) {
    uint32_t w = (uint32_t)v;
    do { tmp[n++] = (char)('0' + w % 10u); w /= 10u; } while (w);
  } else {
    do { tmp[n++] = (char)('0' + (unsigned)(v % 10u)); v /= 10u; } while (v);
  }
  while (n > 0) tt_line_char(l, tmp[--n]);
}

void tt_line_u32(tt_line_t *l, uint32_t v) { tt_line_u64(l, v); }

void tt_line_i32(tt_line_t *l, int32_t v) {
  if (v < 0) {
    tt_line_char(l, '-');
    tt_line_u64(l, (uint64_t)(-(int64_t)v));
  } else {
    tt_line_u64(l, (uint64_t)v);
  }
}

void tt_line_hex32(tt_line_t *l, uint32_t v) {
  int shift;
  for (shift = 28; shift >= 0; shift -= 4) tt_line_char(l, tt_hex_digits[(v >> shift) & 15u]);
}

/* Powers of ten as correctly rounded double literals: 1e0..1e53 covers scaling any
 * float to nine significant digits with a single multiply or divide. */
static const double tt_p10[54] = {
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14,
  1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e23, 1e24, 1e25, 1e26, 1e27,
  1e28, 1e29, 1e30, 1e31, 1e32, 1e33, 1e34, 1e35, 1e36, 1e37, 1e38, 1e39, 1e40,
  1e41, 1e42, 1e43, 1e44, 1e45, 1e46, 1e47, 1e48, 1e49, 1e50, 1e51, 1e52, 1e53};

/* Bit-level classification: no <math.h>, same answer everywhere. */
static int tt_f32_is_finite(float v) {
  union { float f; uint32_t u; } b;
  b.f = v;
  return ((b.u >> 23) & 0xFFu) != 0xFFu;
}

static int tt_f32_sign(float v) {
  union { float f; uint32_t u; } b;
  b.f = v;
  return (int)(b.u >> 31);
}

/* Rounds a non-negative double below 2^63 to an integer, ties to even (as printf). */
static uint64_t tt_round_even(double x) {
  uint64_t q = (uint64_t)x;
  double frac = x - (double)q;
  if (frac > 0.5 || (frac == 0.5 && (q & 1u))) q++;
  return q;
}

void tt_line_f32_fixed(tt_line_t *l, float v, uint32_t decimals) {
  double x;
  uint64_t q, scale = 1;
  uint32_t i;
  if (!tt_f32_is_finite(v)) { tt_line_str(l, "null"); return; }
  if (decimals > 9) decimals = 9;
  x = (double)v;
  if (x < 0) x = -x;
  x *= tt_p10[decimals];
  if (x >= 9.0e18) { tt_line_f32(l, v); return; } /* beyond uint64: no fixed form */
  q = (uint64_t)(x + 0.5); /* half away from zero */
  if (v < 0) tt_line_char(l, '-');
  for (i = 0; i < decimals; i++) scale *= 10u;
  tt_line_u64(l, q / scale);
  if (decimals > 0) {
    char frac[9];
    uint64_t r = q % scale;
    for (i = decimals; i > 0; i--) { frac[i - 1] = (char)('0' + (unsigned)(r % 10u)); r /= 10u; }
    tt_line_char(l, '.');
    for (i = 0; i < decimals; i++) tt_line_char(l, frac[i]);
  }
}

void tt_line_f32(tt_line_t *l, float v) {
  double d;
  int e, i, last;
  uint64_t q = 0;
  char dig[9];
  if (!tt_f32_is_finite(v)) { tt_line_str(l, "null"); return; }
  if (tt_f32_sign(v)) tt_line_char(l, '-');
  d = (double)v;
  if (d < 0) d = -d;
  if (d == 0.0) { tt_line_char(l, '0'); return; }
  /* Decimal exponent estimate, then fix it up from the digit count. */
  e = 0;
  if (d >= 1.0) {
    while (e < 38 && d >= tt_p10[e + 1]) e++;
  } else {
    while (e > -45 && d * tt_p10[-e] < 1.0) e--;
  }
  for (i = 0; i < 3; i++) {
    double m = (8 - e >= 0) ? d * tt_p10[8 - e] : d / tt_p10[e - 8];
    q = tt_round_even(m);
    if (q >= 1000000000u) { e++; continue; }
    if (q < 100000000u) { e--; continue; }
    break;
  }
  if (q >= 1000000000u) { q /= 10u; } /* safety net; cannot happen for finite floats */
  for (i = 8; i >= 0; i--) { dig[i] = (char)('0' + (unsigned)(q % 10u)); q /= 10u; }
  last = 8;
  while (last > 0 && dig[last] == '0') last--;
  if (e < -4 || e >= 9) {
    tt_line_char(l, dig[0]);
    if (last > 0) {
      tt_line_char(l, '.');
      for (i = 1; i <= last; i++) tt_line_char(l, dig[i]);
    }
    tt_line_char(l, 'e');
    tt_line_char(l, e < 0 ? '-' : '+');
    if (e < 0) e = -e;
    if (e < 10) tt_line_char(l, '0');
    tt_line_u32(l, (uint32_t)e);
  } else if (e >= 0) {
    for (i = 0; i <= e; i++) tt_line_char(l, dig[i]);
    if (last > e) {
      tt_line_char(l, '.');
      for (i = e + 1; i <= last; i++) tt_line_char(l, dig[i]);
    }
  } else {
    tt_line_str(l, "0.");
    for (i = 0; i < -e - 1; i++) tt_line_char(l, '0');
    for (i = 0; i <= last; i++) tt_line_char(l, dig[i]);
  }
}

const char *tt_line_cstr(const tt_line_t *l) { return l->cap ? l->buf : ""; }
