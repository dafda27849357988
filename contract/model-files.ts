// Which of a model version's files are what: the runtime's (model.json and its weight shards) and
// the documentation published beside them. No schema here: the page's engine reads these names
// before its schema library has loaded.

/** Schema 2's documentation files, published beside the weights. */
export const SAMPLES_FILE = 'samples.png';
export const LOSSES_FILE = 'losses.svg';

/** The files a runtime loads (model.json and its weight shards), without the documentation files. */
export const runtimeFiles = <F extends { path: string }>(m: { files: F[] }): F[] =>
  m.files.filter((f) => f.path !== SAMPLES_FILE && f.path !== LOSSES_FILE);
