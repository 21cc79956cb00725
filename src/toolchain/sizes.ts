// Flash and SRAM use of a linked image, by section, from the ELF and the symbols that
// templates/linker.ld.hbs defines (__tt_*): the figures report.json is checked against.
import { ElfImage, ElfSymbol, SHF_ALLOC, SHT_NOBITS, findSymbol } from './elf';
import { TinytrainError } from '../errors';

export interface FlashUse {
  /** .isr_vector */
  vectors: number;
  /** .text and veneers */
  text: number;
  /** .rodata, .ARM.extab, .ARM.exidx */
  rodata: number;
  /** initial values of .data, stored in flash and copied at reset */
  data: number;
  /** any other loadable section */
  other: number;
  /** sum of the above */
  total: number;
  /** the board's flash size */
  capacity: number;
}

export interface SramUse {
  data: number;
  bss: number;
  /** .noinit: the arena and other TT_NOINIT objects */
  noinit: number;
  /** the MPU no-access guard below the stack */
  guard: number;
  stack: number;
  other: number;
  /** data + bss + noinit + guard + stack + other */
  total: number;
  /** the board's SRAM size */
  capacity: number;
}

export interface ImageSizes {
  flash: FlashUse;
  sram: SramUse;
  /** Allocated sections with their run and load addresses. */
  sections: Array<{ name: string; address: number; loadAddress: number; size: number; region: 'flash' | 'sram' }>;
  /** Objects placed in .noinit (the arena), largest first. */
  noinitObjects: Array<{ name: string; address: number; size: number }>;
  /** The linker script's __tt_* symbols (region bounds, stack limits) by name. */
  linkerSymbols: Record<string, number>;
}

function required(elf: ElfImage, name: string): ElfSymbol {
  const s = findSymbol(elf, name);
  if (!s) throw new TinytrainError(`the ELF has no symbol ${name}: was it linked with tinytrain's linker script?`, 'E_ELF');
  return s;
}

export function imageSizes(elf: ElfImage): ImageSizes {
  const ramStart = required(elf, '__tt_ram_start').value;
  const ramEnd = required(elf, '__tt_ram_end').value;
  const flashStart = required(elf, '__tt_flash_start').value;
  const flashEnd = required(elf, '__tt_flash_end').value;
  const guard = required(elf, '__tt_guard_bytes').value;
  const stack = required(elf, '__tt_stack_bytes').value;
  const flash: FlashUse = { vectors: 0, text: 0, rodata: 0, data: 0, other: 0, total: 0, capacity: flashEnd - flashStart };
  const sram: SramUse = { data: 0, bss: 0, noinit: 0, guard, stack, other: 0, total: 0, capacity: ramEnd - ramStart };
  const sections: ImageSizes['sections'] = [];

  for (const s of elf.sections) {
    if ((s.flags & SHF_ALLOC) === 0 || s.size === 0) continue;
    const inRam = s.address >= ramStart && s.address < ramEnd;
    const loaded = s.type !== SHT_NOBITS;
    sections.push({ name: s.name, address: s.address, loadAddress: s.loadAddress, size: s.size, region: inRam ? 'sram' : 'flash' });
    if (loaded) {
      // Everything with contents is stored in flash (for .data: its initial values).
      if (s.name === '.isr_vector') flash.vectors += s.size;
      else if (s.name === '.text') flash.text += s.size;
      else if (s.name === '.rodata' || s.name.startsWith('.ARM.ex')) flash.rodata += s.size;
      else if (s.name === '.data') flash.data += s.size;
      else flash.other += s.size;
    }
    if (inRam) {
      if (s.name === '.data') sram.data += s.size;
      else if (s.name === '.bss') sram.bss += s.size;
      else if (s.name === '.noinit') sram.noinit += s.size;
      else if (s.name !== '.stack') sram.other += s.size;
    }
  }
  flash.total = flash.vectors + flash.text + flash.rodata + flash.data + flash.other;
  sram.total = sram.data + sram.bss + sram.noinit + sram.guard + sram.stack + sram.other;

  const noinitObjects = elf.symbols
    .filter((s) => s.section === '.noinit' && s.type === 1)
    .map((s) => ({ name: s.name, address: s.value, size: s.size }))
    .sort((a, b) => b.size - a.size);
  const linkerSymbols: Record<string, number> = {};
  for (const s of elf.symbols) if (s.name.startsWith('__tt_')) linkerSymbols[s.name] = s.value;
  return { flash, sram, sections, noinitObjects, linkerSymbols };
}
