/** A request that receives nothing for this long is given up on (the manifest: offline; a file: tried once more). */
export const STALL_MS = 15_000;
