// Finds a Chromium for the browser tests: $CHROMIUM_PATH, Debian's /usr/bin/chromium, or the one
// Playwright downloads where the internet allows it. Without any, one clear line says what to do.
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export function findChromium(): string {
  const candidates = [
    process.env.CHROMIUM_PATH,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    (() => {
      try {
        return chromium.executablePath(); // Playwright's own download, if `npx playwright install` ran
      } catch {
        return undefined;
      }
    })(),
  ];
  const found = candidates.find((p): p is string => !!p && existsSync(p));
  if (!found) {
    throw new Error(
      'No Chromium found for the browser tests: install one (Debian/Ubuntu: `sudo apt-get install -y chromium`; elsewhere `npx playwright install chromium`) or set CHROMIUM_PATH.',
    );
  }
  return found;
}

/** Headless, and quiet: nothing of Chromium's own reaches the network (the Lighthouse audit uses them too). */
export const CHROMIUM_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
] as const;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: findChromium(),
    headless: true,
    args: [...CHROMIUM_FLAGS, '--enable-unsafe-webgpu'],
  });
}
