/* tt_platform.h over ARM semihosting, for the emulator (and boards run under a debug
 * probe with semihosting). samples.bin is read with SYS_OPEN/SEEK/READ from the host
 * file named by the second token of SYS_GET_CMDLINE (QEMU -append), default
 * "samples.bin" in QEMU's working directory. */
#include <stdint.h>
#include "tt_cortexm.h"
#include "tt_platform.h"
#include "tt_samples_file.h"
#include "tt_semihost.h"

static uint64_t tt_sh_ticks0;
static int32_t tt_sh_handle = -1;
static int tt_sh_opened;
static tt_samples_header_t tt_sh_header;
static char tt_sh_path[128];

void tt_platform_init(void) {
  tt_cm_faults_init();
  tt_cm_mpu_guard();
  tt_cm_systick_start();
  tt_sh_ticks0 = tt_cm_ticks();
}

static int32_t tt_sh_seek(uint32_t pos) {
  uint32_t args[2];
  args[0] = (uint32_t)tt_sh_handle;
  args[1] = pos;
  return tt_semihost(TT_SYS_SEEK, args);
}

/* 0 when all `bytes` were read. SYS_READ returns the number of bytes NOT read. */
static int32_t tt_sh_read(void *dst, uint32_t bytes) {
  uint32_t args[3];
  args[0] = (uint32_t)tt_sh_handle;
  args[1] = (uint32_t)(uintptr_t)dst;
  args[2] = bytes;
  return tt_semihost(TT_SYS_READ, args);
}

/* Opens and validates the file on first use; a bad file ends the program (exit 1). */
static void tt_sh_open_samples(void) {
  static char cmdline[256];
  uint32_t args[3];
  uint8_t header[TT_SAMPLES_HEADER_BYTES];
  int32_t flen;
  const char *err;
  uint32_t n = 0;
  if (tt_sh_opened) return;
  tt_sh_opened = 1;
  args[0] = (uint32_t)(uintptr_t)cmdline;
  args[1] = sizeof cmdline - 1u;
  if (tt_semihost(TT_SYS_GET_CMDLINE, args) != 0) args[1] = 0;
  cmdline[args[1] < sizeof cmdline ? args[1] : sizeof cmdline - 1u] = '\0';
  tt_samples_path_from_cmdline(cmdline, tt_sh_path, sizeof tt_sh_path);
  while (tt_sh_path[n]) n++;
  args[0] = (uint32_t)(uintptr_t)tt_sh_path;
  args[1] = TT_SH_MODE_RB;
  args[2] = n;
  tt_sh_handle = tt_semihost(TT_SYS_OPEN, args);
  if (tt_sh_handle == -1) tt_samples_fail(tt_sh_path, "cannot open");
  args[0] = (uint32_t)tt_sh_handle;
  flen = tt_semihost(TT_SYS_FLEN, args);
  if (flen < 0) tt_samples_fail(tt_sh_path, "cannot get the file length");
  if ((uint32_t)flen >= TT_SAMPLES_HEADER_BYTES && tt_sh_read(header, sizeof header) != 0)
    tt_samples_fail(tt_sh_path, "cannot read the header");
  err = tt_samples_parse_header(header, (uint32_t)flen, &tt_sh_header);
  if (err) tt_samples_fail(tt_sh_path, err);
}

uint32_t tt_sample_count(uint32_t set) {
  tt_sh_open_samples();
  return set == 0u ? tt_sh_header.train_count : tt_sh_header.eval_count;
}

int tt_read_sample(uint32_t set, uint32_t index, int8_t *input, uint32_t bytes, int32_t *label) {
  uint8_t lb[4];
  tt_sh_open_samples();
  if (set > 1u || index >= tt_sample_count(set)) return 1;
  if (bytes != tt_sh_header.input_bytes) return 2;
  if (tt_sh_seek(tt_samples_record_offset(&tt_sh_header, set, index)) != 0) return 3;
  if (tt_sh_read(lb, 4u) != 0 || tt_sh_read(input, bytes) != 0) return 3;
  *label = (int32_t)tt_samples_le32(lb);
  return 0;
}

void tt_print_line(const char *s) {
  tt_semihost(TT_SYS_WRITE0, s);
  tt_semihost(TT_SYS_WRITE0, "\n");
}

uint64_t tt_instructions(void) {
  return (tt_cm_ticks() - tt_sh_ticks0) * (uint64_t)TT_INSTR_PER_TICK;
}

uint32_t tt_stack_peak_bytes(void) { return tt_cm_stack_peak_bytes(); }

void tt_exit(int code) {
  uint32_t args[2];
  args[0] = TT_ADP_STOPPED_APPLICATION_EXIT;
  args[1] = (uint32_t)code;
  tt_semihost(TT_SYS_EXIT_EXTENDED, args);
  for (;;) { /* not reached under QEMU; a probe without semihosting parks here */
  }
}
