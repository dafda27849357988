import { z } from 'zod';

/** A model version: sortable UTC time + short content hash, e.g. 20261127T160000Z-ab12cd34. */
export const VERSION_PATTERN = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;

export const versionSchema = z.string().regex(VERSION_PATTERN, 'a version such as 20261127T160000Z-ab12cd34');

export const isVersion = (s: string): boolean => VERSION_PATTERN.test(s);
