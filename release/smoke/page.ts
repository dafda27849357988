// The page as a visitor gets it: headless Chromium opens it, waits for what the page tells its user
// (the status line, the drawn grid), and reads the drawn digits back off the canvas. Only what the
// page shows is used: no test hooks of the page.
import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { errorMessage } from '../../lib/errors.ts';
import { type Check, type Outcome, Skip } from './check.ts';
import type { Deployment } from './deployment.ts';
import { readDigits } from './model.ts';

/** Headless, and quiet: nothing of Chromium's own reaches the network. */
export const CHROMIUM_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
] as const;

/** Where Chromium or Chrome usually is on Linux (Debian's package, Ubuntu's, GitHub's runners). */
const KNOWN_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

/** --chromium, else $CHROMIUM_PATH, else a usual place; null when there is none. */
export function findChromium(explicit?: string): string | null {
  const candidates = [explicit, process.env.CHROMIUM_PATH, ...KNOWN_PATHS];
  return candidates.find((p): p is string => !!p && existsSync(p)) ?? null;
}

const SIZE = 28;
/** The grid the check asks for: 16 digits, one class when the model has classes. */
const N = 16;
const DIGIT = 7;
/** Of the 16 digits the page draws for "7", how many the classifier must read as 7. */
const MIN_READ = 12;
/** A digit is ink on paper: between these shares of its pixels are inked (MNIST's digits: about 19 %). */
const INK = [0.02, 0.6] as const;

interface Canvas {
  width: number;
  height: number;
  /** One grey level per pixel (the red channel; the page draws grey). */
  grey: number[];
}

// Evaluated in the page, as text: this program has no DOM types.
const READ_CANVAS = `(() => {
  const c = document.getElementById('grid');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  return { width: c.width, height: c.height, grey: Array.from(d.filter((_, i) => i % 4 === 0)) };
})()`;

/**
 * The drawn grid as n digits (n × 784, values in [-1, 1], 1 = ink): the page draws dark ink on
 * white, 28 pixels a digit, in the squarest grid.
 */
export function gridDigits(canvas: Canvas, n: number): Float32Array {
  const cols = Math.ceil(Math.sqrt(n));
  if (canvas.width !== cols * SIZE || canvas.height !== Math.ceil(n / cols) * SIZE)
    throw new Error(`the canvas is ${canvas.width}×${canvas.height}, not a grid of ${n} digits`);
  const out = new Float32Array(n * SIZE * SIZE);
  for (let k = 0; k < n; k++) {
    const x0 = (k % cols) * SIZE;
    const y0 = Math.floor(k / cols) * SIZE;
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        out[k * 784 + y * SIZE + x] = (255 - canvas.grey[(y0 + y) * canvas.width + x0 + x]) / 127.5 - 1;
      }
    }
  }
  return out;
}

/** The digits that are blank or a blot rather than ink on paper. */
function notDigits(images: Float32Array, n: number): number[] {
  const bad: number[] = [];
  for (let k = 0; k < n; k++) {
    let ink = 0;
    for (let i = 0; i < 784; i++) if (images[k * 784 + i] > 0) ink++;
    if (ink / 784 < INK[0] || ink / 784 > INK[1]) bad.push(k);
  }
  return bad;
}

async function status(page: Page): Promise<{ state: string; text: string }> {
  const el = page.locator('#status');
  return {
    state: (await el.getAttribute('data-state')) ?? 'none',
    text: ((await el.textContent()) ?? '').trim(),
  };
}

async function drawsDigits(page: Page, d: Deployment, timeoutMs: number, errors: string[]): Promise<Outcome> {
  const classes = d.manifest?.classes ?? 0;
  const digit = classes > DIGIT ? DIGIT : null;
  const deadline = Date.now() + timeoutMs;
  const url = d.url(`/?n=${N}${digit === null ? '' : `&digit=${digit}`}&seed=1`);
  try {
    await page.goto(url, { timeout: timeoutMs });
  } catch (e) {
    // Playwright's message goes on with its call log: its first line is the reason.
    return { ok: false, detail: `could not open ${url}: ${errorMessage(e).split('\n')[0]}` };
  }
  try {
    // The page leaves loading/downloading once it has drawn ("ready") or given up (its other states).
    await page.waitForSelector('#status:not([data-state="loading"]):not([data-state="downloading"])', {
      timeout: Math.max(1, deadline - Date.now()),
    });
  } catch {
    const s = await status(page);
    return {
      ok: false,
      detail: `no digits within ${timeoutMs / 1000} s: the page says '${s.state}': ${s.text}`,
    };
  }
  const s = await status(page);
  const drawn = await page.locator('#grid').getAttribute('data-drawn');
  if (s.state !== 'ready' || !drawn)
    return {
      ok: false,
      detail: `the page says '${s.state}': ${s.text}${errors.length ? `; ${errors[0]}` : ''}`,
    };
  const n = Number(await page.locator('#grid').getAttribute('data-n'));
  if (n !== N) return { ok: false, detail: `asked for ${N} digits, the page drew ${n}` };
  const images = gridDigits(await page.evaluate<Canvas>(READ_CANVAS), n);
  const blank = notDigits(images, n);
  if (blank.length) return { ok: false, detail: `${blank.length} of ${n} drawn digits are blank or blots` };
  const timing = ((await page.locator('#timing').textContent()) ?? '').trim();
  const isolated = (await page.evaluate<boolean>('crossOriginIsolated'))
    ? 'cross-origin isolated'
    : 'NOT isolated';
  const notes = `the page says "${timing}"; ${isolated}${errors.length ? `; ${errors.length} console errors, first: ${errors[0]}` : ''}`;
  if (digit === null) return { ok: true, detail: `drew ${n} digits; ${notes}` };
  const read = (await readDigits(images)).filter((c) => c === digit).length;
  return {
    ok: read >= MIN_READ,
    detail: `asked for ${N} ${digit}s: ${read} read as ${digit} (${MIN_READ} needed); ${notes}`,
  };
}

export const pageDraws = (
  d: Deployment,
  opts: { skip: boolean; chromium?: string; timeoutMs: number },
): Check => ({
  name: 'page',
  async run() {
    if (opts.skip) throw new Skip('not run (--skip-browser): the page was not opened in a browser');
    const executablePath = findChromium(opts.chromium);
    if (!executablePath)
      return {
        ok: false,
        detail:
          'no Chromium found: install one (sudo apt-get install -y chromium), set CHROMIUM_PATH, pass --chromium PATH, or --skip-browser',
      };
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath, headless: true, args: [...CHROMIUM_FLAGS] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      // The page's own limit leaves time (Chromium's start, the read-back) to say where it stood
      // before the check's limit ends it.
      return await drawsDigits(page, d, opts.timeoutMs * 0.75, errors);
    } finally {
      await browser.close();
    }
  },
});
