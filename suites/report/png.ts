// Just enough PNG to check a screenshot: the signature, the header, and the pixels of an
// 8-bit, non-interlaced RGB or RGBA image (what Chromium writes), filters undone.
import { inflateSync } from 'node:zlib';

export interface Png {
  width: number;
  height: number;
  /** Bytes per pixel: 3 (RGB) or 4 (RGBA). */
  channels: number;
  /** Unfiltered rows, width × channels bytes each. */
  pixels: Buffer;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export const isPng = (b: Buffer) => b.length > 33 && b.subarray(0, 8).equals(SIGNATURE) && b.toString('latin1', 12, 16) === 'IHDR';

export function decodePng(b: Buffer): Png {
  if (!isPng(b)) throw new Error('not a PNG');
  const width = b.readUInt32BE(16);
  const height = b.readUInt32BE(20);
  const depth = b[24]!;
  const type = b[25]!;
  const interlace = b[28]!;
  if (depth !== 8 || (type !== 2 && type !== 6) || interlace !== 0) throw new Error(`unsupported PNG: depth ${depth}, colour type ${type}, interlace ${interlace}`);
  const channels = type === 6 ? 4 : 3;
  const idat: Buffer[] = [];
  for (let at = 8; at < b.length; ) {
    const len = b.readUInt32BE(at);
    const kind = b.toString('latin1', at + 4, at + 8);
    if (kind === 'IDAT') idat.push(b.subarray(at + 8, at + 8 + len));
    if (kind === 'IEND') break;
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = pixels.subarray(y * stride, (y + 1) * stride);
    const up = y ? pixels.subarray((y - 1) * stride, y * stride) : Buffer.alloc(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? row[x - channels]! : 0;
      const c = x >= channels ? up[x - channels]! : 0;
      const u = up[x]!;
      let v = src[x]!;
      if (filter === 1) v += a;
      else if (filter === 2) v += u;
      else if (filter === 3) v += (a + u) >> 1;
      else if (filter === 4) {
        const p = a + u - c;
        const pa = Math.abs(p - a), pb = Math.abs(p - u), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? u : c;
      } else if (filter !== 0) throw new Error(`bad PNG filter ${filter} on row ${y}`);
      row[x] = v & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

/** The colour at (x, y) as #rrggbb. */
export function pixel(p: Png, x: number, y: number): string {
  const i = (y * p.width + x) * p.channels;
  return `#${[0, 1, 2].map((k) => p.pixels[i + k]!.toString(16).padStart(2, '0')).join('')}`;
}

/** How many different colours the image has (sampled every step pixels). */
export function colourCount(p: Png, step = 3): number {
  const seen = new Set<string>();
  for (let y = 0; y < p.height; y += step) for (let x = 0; x < p.width; x += step) seen.add(pixel(p, x, y));
  return seen.size;
}
