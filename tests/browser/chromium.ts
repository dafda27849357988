// Finds a Chromium for the browser tests, the system's first: $CHROMIUM_PATH, Debian's
// /usr/bin/chromium, the one Playwright downloads where the internet allows it. Else the one inside
// the npm package @sparticuz/chromium (tests/browser-env.ts), so that a machine with only Node and
// npm runs them too. Without any, one clear line says what to do.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { errorMessage } from '../../lib/errors.ts';
import { CHROMIUM_FLAGS } from '../../release/smoke/page.ts';
import { PACKAGE, packagedChromium } from '../browser-env.ts';

export interface FoundChromium {
  path: string;
  /** Where it comes from, for the line the tests print. */
  source: string;
}

function systemChromium(): FoundChromium | undefined {
  const playwrights = (() => {
    try {
      return chromium.executablePath(); // Playwright's own download, if `npx playwright install` ran
    } catch {
      return undefined;
    }
  })();
  const candidates: [string | undefined, string][] = [
    [process.env.CHROMIUM_PATH, 'from $CHROMIUM_PATH'],
    ['/usr/bin/chromium', "the system's"],
    ['/usr/bin/chromium-browser', "the system's"],
    [playwrights, "Playwright's download"],
  ];
  const found = candidates.find(([path]) => !!path && existsSync(path));
  return found && { path: found[0]!, source: found[1] };
}

/** The browser the tests drive: the system's, else the packaged one (unpacked on first use). */
export function locateChromium(): FoundChromium {
  const system = systemChromium();
  if (system) return system;
  const packaged = packagedChromium();
  if (packaged.ok)
    return {
      path: `${packaged.dir}/chromium`,
      source: `from ${PACKAGE} ${packaged.version} (no system Chromium)`,
    };
  throw new Error(
    `No Chromium found for the browser tests (${packaged.why}): install one (Debian/Ubuntu: ` +
      '`sudo apt-get install -y chromium`; elsewhere `npx playwright install chromium`) or set CHROMIUM_PATH.',
  );
}

export const findChromium = (): string => locateChromium().path;

/** One line: which browser, its version, and where it comes from. */
export function describeChromium(found: FoundChromium = locateChromium()): string {
  let version: string;
  try {
    version = execFileSync(found.path, ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'], // Debian's launcher script talks on stderr
      timeout: 30_000,
    }).trim();
  } catch (e) {
    version = `a Chromium that did not say its version (${errorMessage(e).split('\n')[0]})`;
  }
  const path = found.path.startsWith(`${process.cwd()}/`) ? relative(process.cwd(), found.path) : found.path;
  return `${version}, ${found.source}: ${path}`;
}

// Headless, and quiet: nothing of Chromium's own reaches the network (the smoke test's flags; the
// Lighthouse audit uses them too).
export { CHROMIUM_FLAGS };

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: findChromium(),
    headless: true,
    args: [...CHROMIUM_FLAGS, '--enable-unsafe-webgpu'],
  });
}
