// What train/, release/, edge/ and web/ share. This folder imports nothing of theirs.
export * from './api.ts';
export * from './content-types.ts';
export * from './latent.ts';
export * from './manifest.ts';
export * from './model-files.ts';
export * from './model-signature.ts';
export * from './names.ts';
export * from './r2-keys.ts';
export * from './security-headers.ts';
export * from './style-filter.ts';
export * from './version.ts';
