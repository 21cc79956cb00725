/* samples.bin layout (docs/FIRMWARE-PROJECT.md), shared by the semihost and host
 * platforms so both accept and reject exactly the same files. Header-only. */
#ifndef TT_SAMPLES_FILE_H
#define TT_SAMPLES_FILE_H
#include <stdint.h>
#include "tt_io.h"
#include "tt_platform.h"

#define TT_SAMPLES_HEADER_BYTES 16u
#define TT_SAMPLES_DEFAULT_PATH "samples.bin"

typedef struct {
  uint32_t input_bytes;
  uint32_t train_count;
  uint32_t eval_count;
} tt_samples_header_t;

static inline uint32_t tt_samples_le32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint32_t tt_samples_record_bytes(uint32_t input_bytes) {
  return 4u + ((input_bytes + 3u) & ~3u);
}

/* Parses and checks the 16-byte header against the file length.
 * Returns NULL when valid, else a short reason for the error line. */
static inline const char *tt_samples_parse_header(const uint8_t *h, uint32_t file_bytes,
                                                  tt_samples_header_t *out) {
  uint64_t need;
  if (file_bytes < TT_SAMPLES_HEADER_BYTES) return "file shorter than the header";
  if (h[0] != 'T' || h[1] != 'T' || h[2] != 'S' || h[3] != '1') return "bad magic (want TTS1)";
  out->input_bytes = tt_samples_le32(h + 4);
  out->train_count = tt_samples_le32(h + 8);
  out->eval_count = tt_samples_le32(h + 12);
  if (out->input_bytes == 0) return "input_bytes is 0";
  need = TT_SAMPLES_HEADER_BYTES +
         ((uint64_t)out->train_count + out->eval_count) * tt_samples_record_bytes(out->input_bytes);
  if (need != file_bytes) return "file length does not match the header";
  return 0;
}

/* Byte offset of record `index` of `set` (0 train, 1 eval); caller checks the index. */
static inline uint32_t tt_samples_record_offset(const tt_samples_header_t *h, uint32_t set,
                                                uint32_t index) {
  uint32_t k = (set == 0u ? 0u : h->train_count) + index;
  return TT_SAMPLES_HEADER_BYTES + k * tt_samples_record_bytes(h->input_bytes);
}

/* The samples path is the second whitespace-separated token of a command line (the
 * first is the program), or the default. Writes a NUL-terminated path into out. */
static inline void tt_samples_path_from_cmdline(const char *cmdline, char *out, uint32_t cap) {
  const char *p = cmdline;
  uint32_t n = 0;
  while (*p == ' ' || *p == '\t') p++;
  while (*p && *p != ' ' && *p != '\t') p++; /* skip the program name */
  while (*p == ' ' || *p == '\t') p++;
  if (*p == '\0') p = TT_SAMPLES_DEFAULT_PATH;
  while (*p && *p != ' ' && *p != '\t' && *p != '\n' && n + 1 < cap) out[n++] = *p++;
  out[n] = '\0';
}

/* Missing or malformed sample file: one error line, then exit code 1 (the contract). */
static inline void tt_samples_fail(const char *path, const char *reason) {
  char buf[256];
  tt_line_t l;
  tt_line_init(&l, buf, sizeof buf);
  tt_line_str(&l, "{\"event\":\"error\",\"exit_code\":1,\"file\":");
  tt_line_json_str(&l, path);
  tt_line_str(&l, ",\"message\":");
  tt_line_json_str(&l, reason);
  tt_line_str(&l, "}");
  tt_print_line(tt_line_cstr(&l));
  tt_exit(1);
}

#endif
