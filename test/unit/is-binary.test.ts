import { describe, expect, it } from 'vitest';
import { isBinary } from '../../src/daemon/workspace/content.js';

/** What isBinary answered when it decoded with a fatal TextDecoder: the reference it must keep matching. */
function decodesStrictly(data: Uint8Array): boolean {
  if (data.subarray(0, 8192).includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(data);
    return true;
  } catch {
    return false;
  }
}

describe('isBinary', () => {
  const cases: Array<[string, number[] | Uint8Array]> = [
    ['empty', []],
    ['ascii', [...Buffer.from('hello\n')]],
    ['multi-byte text', [...Buffer.from('héllo → 世界 🎉')]],
    ['a byte-order mark', [0xef, 0xbb, 0xbf, 0x61]],
    ['NUL in the first 8 KiB', [0x61, 0x00, 0x62]],
    ['an overlong encoding', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['past U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['a lone continuation byte', [0x80]],
    ['a cut sequence at the end', [...Buffer.from('ab'), 0xe4, 0xb8]],
    ['latin-1 bytes', [0x63, 0x61, 0x66, 0xe9]],
    ['NUL only after the first 8 KiB', Buffer.concat([Buffer.alloc(9000, 0x61), Buffer.from([0])])],
    ['invalid only after the first 8 KiB', Buffer.concat([Buffer.alloc(9000, 0x61), Buffer.from([0xff])])],
  ];
  for (const [name, bytes] of cases) {
    it(`answers as a strict UTF-8 decode does: ${name}`, () => {
      const data = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
      expect(isBinary(data)).toBe(!decodesStrictly(data));
    });
  }
  it('is text for valid UTF-8 and binary for the rest', () => {
    expect(isBinary(Buffer.from('plain text\n'))).toBe(false);
    expect(isBinary(Uint8Array.from([0xff, 0xfe]))).toBe(true);
    expect(isBinary(Uint8Array.from([0x61, 0x00]))).toBe(true);
  });
});
