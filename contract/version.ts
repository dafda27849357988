// No zod here: the page's first script reads ?version= with this alone (its schema is in manifest.ts).

/** A model version: sortable UTC time + short content hash, e.g. 20261127T160000Z-ab12cd34. */
export const VERSION_PATTERN = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;

export const isVersion = (s: string): boolean => VERSION_PATTERN.test(s);
