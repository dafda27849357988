// Shared by the browser tests and bench:web (no test runner imports here).

/**
 * Whether a URL is one of a version's runtime files (model.json and the weight shards): what a
 * repeat visit must not download. The card's images (samples.png, the history panel's) are not.
 */
export function isWeightFile(url: string): boolean {
  const m = /\/v1\/models\/[^/]+\/([^/?]+)$/.exec(new URL(url).pathname);
  return !!m && (m[1] === 'model.json' || m[1].endsWith('.bin'));
}
