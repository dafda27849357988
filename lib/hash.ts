import { createHash } from 'node:crypto';

/** Hex sha256 of bytes or of a string's UTF-8: the hash every manifest and checkpoint records. */
export const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');
