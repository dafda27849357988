import { defineConfig } from 'vitest/config';

// Tests share a 2-core machine with tfjs: run files one at a time so timings and memory stay sane.
export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/browser/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
