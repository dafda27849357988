// The picture in README.md (docs/page.png): the page as a visitor first sees it, its digits drawn.
// Usage: npm start -- --port 8899, then
//   node --import tsx tests/bench/screenshot.ts [http://127.0.0.1:8899/] [docs/page.png]
import { chromium } from 'playwright-core';
import { run } from '../../lib/command.ts';
import { CHROMIUM_FLAGS, findChromium } from '../browser/chromium.ts';

run(async () => {
  const [url = 'http://127.0.0.1:8899/', out = 'docs/page.png'] = process.argv.slice(2);
  // No GPU: the picture shows the WASM route every visitor has, the same on any machine.
  const browser = await chromium.launch({
    executablePath: findChromium(),
    args: [...CHROMIUM_FLAGS, '--disable-gpu'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 818 }, colorScheme: 'light' });
    await page.goto(url);
    // The grid's canvas carries data-drawn once digits are on it.
    await page
      .locator('#grid[data-drawn]')
      .waitFor({ timeout: 60_000 })
      .catch(async () => {
        throw new Error(
          `${url}: no digits drawn within 60 s (status: ${await page.locator('#status').textContent()})`,
        );
      });
    await page.screenshot({ path: out });
    console.log(`wrote ${out}`);
  } finally {
    await browser.close();
  }
});
