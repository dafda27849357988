import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import type {} from './tests/edge/global-setup.ts'; // the injected values' types

// The worker tests run inside workerd with wrangler.toml's bindings (local R2, the Durable Object,
// the built page as assets); only the secrets and GitHub's address are test values.
export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          GITHUB_API: inject('githubApi'),
          GITHUB_OWNER: 'octo-org',
          GITHUB_REPO: 'mnist-gan',
          RETRAIN_TOKEN: 'test-retrain-token-7f3a',
          GITHUB_TOKEN: 'ghp_never_echo_this_token',
        },
      },
    })),
  ],
  test: {
    include: ['tests/edge/**/*.test.ts'],
    globalSetup: ['tests/edge/global-setup.ts'],
    testTimeout: 60_000,
  },
});
