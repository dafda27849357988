import { defineConfig } from 'vitest/config';

// Three tiers that run alone or together (`npm run test:unit|test:integration|test:browser`; the
// worker's tests have their own config, vitest.edge.config.ts):
// - unit: pure and in-process, fast;
// - integration: real processes and real training runs (CLIs, wrangler, worker threads);
// - browser: the page in a real headless Chromium against the real local worker.
// Files run one at a time: they share a 2-core machine with tfjs, so timings and memory stay sane.
// The global setup picks the browser and the Vulkan driver (the system's, else those inside an npm
// package) and says which.
export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts', 'tests/browser/**/*.test.ts'],
    globalSetup: ['tests/setup-env.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // GitHub's workflow parser imports its schema as JSON without an import attribute, which Node's
    // loader refuses; transformed by Vite it loads.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
  },
});
