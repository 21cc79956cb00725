// Minimal ELF32 little-endian reader: section headers and the symbol table, enough to
// account for flash and SRAM without depending on binutils' output format.
import * as fs from 'fs';
import { TinytrainError } from '../errors';

export interface ElfSection {
  name: string;
  /** SHT_* (1 PROGBITS, 8 NOBITS, ...). */
  type: number;
  /** SHF_* bits (1 WRITE, 2 ALLOC, 4 EXECINSTR). */
  flags: number;
  /** Run-time address (VMA). */
  address: number;
  /** Load address (LMA) from the program headers; equals address when not relocated. */
  loadAddress: number;
  size: number;
}

export interface ElfSymbol {
  name: string;
  value: number;
  size: number;
  /** STT_*: 0 NOTYPE, 1 OBJECT, 2 FUNC. */
  type: number;
  /** Section name, or '*ABS*' / '*UND*'. */
  section: string;
}

export interface ElfImage {
  entry: number;
  machine: number;
  sections: ElfSection[];
  symbols: ElfSymbol[];
}

export const SHT_NOBITS = 8;
export const SHF_ALLOC = 2;
const SHT_SYMTAB = 2;
const SHN_ABS = 0xfff1;
const PT_LOAD = 1;

function cstring(buf: Buffer, off: number): string {
  let end = off;
  while (end < buf.length && buf[end] !== 0) end++;
  return buf.toString('latin1', off, end);
}

export function readElf(file: string): ElfImage {
  const b = fs.readFileSync(file);
  if (b.length < 52 || b.readUInt32BE(0) !== 0x7f454c46) throw new TinytrainError(`${file} is not an ELF file`, 'E_ELF');
  if (b[4] !== 1 || b[5] !== 1) throw new TinytrainError(`${file} is not a 32-bit little-endian ELF`, 'E_ELF');
  const phoff = b.readUInt32LE(28);
  const shoff = b.readUInt32LE(32);
  const phentsize = b.readUInt16LE(42);
  const phnum = b.readUInt16LE(44);
  const shentsize = b.readUInt16LE(46);
  const shnum = b.readUInt16LE(48);
  const shstrndx = b.readUInt16LE(50);

  const segments: Array<{ vaddr: number; paddr: number; memsz: number }> = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    if (b.readUInt32LE(o) !== PT_LOAD) continue;
    segments.push({ vaddr: b.readUInt32LE(o + 8), paddr: b.readUInt32LE(o + 12), memsz: b.readUInt32LE(o + 20) });
  }

  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    raw.push({
      nameOff: b.readUInt32LE(o),
      type: b.readUInt32LE(o + 4),
      flags: b.readUInt32LE(o + 8),
      addr: b.readUInt32LE(o + 12),
      offset: b.readUInt32LE(o + 16),
      size: b.readUInt32LE(o + 20),
      link: b.readUInt32LE(o + 24),
    });
  }
  const shstr = raw[shstrndx];
  const sections: ElfSection[] = raw.map((s) => {
    const seg = (s.flags & SHF_ALLOC) !== 0 && s.size > 0
      ? segments.find((p) => s.addr >= p.vaddr && s.addr + s.size <= p.vaddr + p.memsz)
      : undefined;
    return {
      name: shstr ? cstring(b, shstr.offset + s.nameOff) : '',
      type: s.type,
      flags: s.flags,
      address: s.addr,
      loadAddress: seg ? seg.paddr + (s.addr - seg.vaddr) : s.addr,
      size: s.size,
    };
  });

  const symbols: ElfSymbol[] = [];
  const symtab = raw.find((s) => s.type === SHT_SYMTAB);
  if (symtab) {
    const strtab = raw[symtab.link];
    for (let o = symtab.offset + 16; o + 16 <= symtab.offset + symtab.size; o += 16) {
      const shndx = b.readUInt16LE(o + 14);
      const name = cstring(b, strtab.offset + b.readUInt32LE(o));
      if (!name) continue;
      symbols.push({
        name,
        value: b.readUInt32LE(o + 4),
        size: b.readUInt32LE(o + 8),
        type: b[o + 12] & 0xf,
        section: shndx === SHN_ABS ? '*ABS*' : shndx === 0 ? '*UND*' : sections[shndx]?.name ?? '?',
      });
    }
  }
  return { entry: b.readUInt32LE(24), machine: b.readUInt16LE(18), sections, symbols };
}

export function findSymbol(elf: ElfImage, name: string): ElfSymbol | undefined {
  return elf.symbols.find((s) => s.name === name);
}
