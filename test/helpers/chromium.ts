// Debian's headless Chromium for tests that prove a page renders: the DOM it parsed and the
// pixels it painted (a minimal PNG decoder reads its screenshots).
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as zlib from 'zlib';

export function findChromium(): string | undefined {
  for (const c of ['chromium', 'chromium-browser']) {
    const r = spawnSync(c, ['--version'], { encoding: 'utf8', timeout: 60_000 });
    if (!r.error && r.status === 0 && /chrom/i.test(r.stdout)) return c;
  }
  return undefined;
}

export function runChromium(bin: string, args: string[], profile: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(bin, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--hide-scrollbars', `--user-data-dir=${profile}`, ...args,
  ], { encoding: 'utf8', timeout: 180_000, killSignal: 'SIGKILL', maxBuffer: 64 << 20 });
  return { status: r.error ? null : r.status, stdout: r.stdout ?? '', stderr: `${r.error ? `${r.error.message}\n` : ''}${r.stderr ?? ''}` };
}

export interface Image { width: number; height: number; channels: number; pixels: Uint8Array }

/** A minimal PNG decoder: 8-bit RGB or RGBA, not interlaced (what Chromium writes). */
export function decodePng(buf: Buffer): Image {
  assert.ok(buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'not a PNG');
  let pos = 8;
  let width = 0, height = 0, channels = 0;
  const idat: Buffer[] = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const body = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, color, , , interlace] = body.subarray(8, 13);
      assert.ok(depth === 8 && (color === 2 || color === 6) && interlace === 0, `PNG depth ${depth} color ${color} interlace ${interlace}`);
      channels = color === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[y * stride + x - channels] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
      let pred = 0;
      if (filter === 1) pred = a;
      else if (filter === 2) pred = b;
      else if (filter === 3) pred = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else assert.equal(filter, 0, `PNG filter ${filter}`);
      pixels[y * stride + x] = (line[x] + pred) & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

export function countColors(img: Image, colors: Record<string, number[]>): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(Object.keys(colors).map((k) => [k, 0]));
  for (let i = 0; i < img.pixels.length; i += img.channels) {
    for (const [k, [r, g, b]] of Object.entries(colors)) {
      if (Math.abs(img.pixels[i] - r) <= 3 && Math.abs(img.pixels[i + 1] - g) <= 3 && Math.abs(img.pixels[i + 2] - b) <= 3) counts[k]++;
    }
  }
  return counts;
}
