/* tt_platform.h over stdio, for the host build (make host). samples.bin is argv[1]
 * (handed over by TT_PLATFORM_ARGS in main), default "samples.bin" in the working
 * directory. No instruction counter and no stack measurement: both report 0. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "tt_platform.h"
#include "tt_samples_file.h"

static const char *tt_host_path = TT_SAMPLES_DEFAULT_PATH;
static FILE *tt_host_file;
static int tt_host_opened;
static tt_samples_header_t tt_host_header;

void tt_platform_set_args(int argc, char **argv) {
  if (argc > 1 && argv[1] && argv[1][0]) tt_host_path = argv[1];
}

void tt_platform_init(void) {}

static void tt_host_open_samples(void) {
  uint8_t header[TT_SAMPLES_HEADER_BYTES];
  long flen;
  const char *err;
  if (tt_host_opened) return;
  tt_host_opened = 1;
  tt_host_file = fopen(tt_host_path, "rb");
  if (!tt_host_file) tt_samples_fail(tt_host_path, "cannot open");
  if (fseek(tt_host_file, 0, SEEK_END) != 0 || (flen = ftell(tt_host_file)) < 0 ||
      flen > 0x7FFFFFFFL || fseek(tt_host_file, 0, SEEK_SET) != 0)
    tt_samples_fail(tt_host_path, "cannot get the file length");
  if (flen >= (long)TT_SAMPLES_HEADER_BYTES && fread(header, 1, sizeof header, tt_host_file) != sizeof header)
    tt_samples_fail(tt_host_path, "cannot read the header");
  err = tt_samples_parse_header(header, (uint32_t)flen, &tt_host_header);
  if (err) tt_samples_fail(tt_host_path, err);
}

uint32_t tt_sample_count(uint32_t set) {
  tt_host_open_samples();
  return set == 0u ? tt_host_header.train_count : tt_host_header.eval_count;
}

int tt_read_sample(uint32_t set, uint32_t index, int8_t *input, uint32_t bytes, int32_t *label) {
  uint8_t lb[4];
  tt_host_open_samples();
  if (set > 1u || index >= tt_sample_count(set)) return 1;
  if (bytes != tt_host_header.input_bytes) return 2;
  if (fseek(tt_host_file, (long)tt_samples_record_offset(&tt_host_header, set, index), SEEK_SET) != 0)
    return 3;
  if (fread(lb, 1, 4, tt_host_file) != 4 || fread(input, 1, bytes, tt_host_file) != bytes) return 3;
  *label = (int32_t)tt_samples_le32(lb);
  return 0;
}

void tt_print_line(const char *s) {
  fputs(s, stdout);
  fputc('\n', stdout);
}

uint64_t tt_instructions(void) { return 0; }

uint32_t tt_stack_peak_bytes(void) { return 0; }

void tt_exit(int code) {
  fflush(stdout);
  exit(code);
}
