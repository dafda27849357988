import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

/** A malformed IDX file: the message names the file and what is wrong with it. */
export class IdxFormatError extends Error {
  constructor(file: string, problem: string) {
    super(`${basename(file)}: ${problem}`);
    this.name = 'IdxFormatError';
  }
}

// IDX magic numbers: two zero bytes, type 0x08 (unsigned byte), then the number of dimensions.
const IMAGES_MAGIC = 0x00000803;
const LABELS_MAGIC = 0x00000801;

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  pixels: Uint8Array;
}

function readFile(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new IdxFormatError(file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

function header(file: string, bytes: Uint8Array, words: number, magic: number): number[] {
  if (bytes.length < words * 4) {
    throw new IdxFormatError(file, `truncated header: ${bytes.length} bytes, expected at least ${words * 4}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = Array.from({ length: words }, (_, i) => view.getUint32(i * 4, false));
  if (values[0] !== magic) {
    const got = `0x${values[0].toString(16).padStart(8, '0')}`;
    throw new IdxFormatError(
      file,
      `bad magic number ${got}, expected 0x${magic.toString(16).padStart(8, '0')}`,
    );
  }
  return values;
}

function checkLength(file: string, bytes: Uint8Array, expected: number): void {
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? 'truncated' : 'has trailing bytes';
    throw new IdxFormatError(file, `${what}: ${bytes.length} bytes, expected ${expected}`);
  }
}

export function readIdxImages(file: string): IdxImages {
  const bytes = readFile(file);
  const [, count, rows, cols] = header(file, bytes, 4, IMAGES_MAGIC);
  if (count === 0 || rows === 0 || cols === 0) {
    throw new IdxFormatError(file, `empty dimensions ${count}x${rows}x${cols}`);
  }
  checkLength(file, bytes, 16 + count * rows * cols);
  return { count, rows, cols, pixels: bytes.subarray(16) };
}

export function readIdxLabels(file: string): Uint8Array {
  const bytes = readFile(file);
  const [, count] = header(file, bytes, 2, LABELS_MAGIC);
  checkLength(file, bytes, 8 + count);
  const labels = bytes.subarray(8);
  const bad = labels.findIndex((l) => l > 9);
  if (bad >= 0) throw new IdxFormatError(file, `label ${labels[bad]} at index ${bad} is not a digit 0-9`);
  return labels;
}
