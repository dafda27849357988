// Where a model lives in R2: the publisher writes these keys, the worker reads them.

/** One folder per version, the promoted manifest at the root, written last. */
export const r2Keys = {
  latest: 'latest.json',
  versionPrefix: 'models/',
  file: (version: string, path: string) => `models/${version}/${path}`,
  manifest: (version: string) => `models/${version}/manifest.json`,
} as const;
