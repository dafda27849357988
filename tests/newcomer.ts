// The newcomer's path, run by .ci/run on its fresh clone after the tests: start the product exactly
// as README says (`npm start`), wait for the URL it prints, fetch the page, /v1/model and every file
// the manifest lists (hashes checked), let Chromium generate digits from the shipped model, then
// stop everything with Ctrl-C (SIGINT to the process group) and check nothing is left listening.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { manifestSchema } from '../contract/index.ts';
import { sha256 } from '../lib/hash.ts';
import { launchChromium } from './browser/chromium.ts';

const fail = (msg: string): never => {
  console.error(`newcomer: FAIL ${msg}`);
  process.exit(1);
};

const child = spawn('npm', ['start'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
const url = await new Promise<string>((resolve) => {
  const timer = setTimeout(
    () => fail(`npm start printed no URL within 180 s:\n${out.slice(-3000)}`),
    180_000,
  );
  const early = (code: number | null) =>
    fail(`npm start exited (${code}) before printing a URL:\n${out.slice(-3000)}`);
  const onData = (d: Buffer) => {
    out += d.toString();
    const m = /MNIST on-device GAN: (http:\/\/\S+?)\/?\s/.exec(out);
    if (m) {
      clearTimeout(timer);
      child.off('exit', early);
      resolve(m[1]);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.on('exit', early);
});
console.log(`newcomer: npm start serves ${url}`);

const page = await fetch(`${url}/`);
if (page.status !== 200 || !(await page.text()).includes('<canvas')) fail(`GET / answered ${page.status}`);
const m = manifestSchema.parse(await (await fetch(`${url}/v1/model`)).json());
for (const f of m.files) {
  const bytes = new Uint8Array(await (await fetch(`${url}/v1/models/${m.version}/${f.path}`)).arrayBuffer());
  const sha = sha256(bytes);
  if (bytes.length !== f.bytes || sha !== f.sha256) fail(`${f.path} does not match the manifest`);
}
console.log(
  `newcomer: /v1/model is ${m.version} (${m.preset}, ${m.quantization}); ${m.files.length} files match their hashes`,
);

const browser = await launchChromium();
try {
  const tab = await browser.newPage();
  const errors: string[] = [];
  tab.on('pageerror', (e) => errors.push(e.message));
  tab.on('console', (msg) => msg.type() === 'error' && errors.push(msg.text()));
  await tab.goto(`${url}/`);
  await tab.waitForFunction(() => !!document.getElementById('grid')?.dataset.drawn, null, {
    timeout: 120_000,
  });
  const status = await tab.locator('#status').getAttribute('data-state');
  if (status !== 'ready') fail(`the page says: ${await tab.locator('#status').textContent()}`);
  mkdirSync('test-artifacts', { recursive: true });
  await tab.screenshot({ path: 'test-artifacts/newcomer.png', fullPage: true });
  if (errors.length) fail(`console errors: ${errors.join(' | ')}`);
  console.log(`newcomer: the page drew digits (${await tab.locator('#timing').textContent()})`);
} finally {
  await browser.close();
}

// Ctrl-C, as a person would: the whole group gets SIGINT.
process.kill(-(child.pid as number), 'SIGINT');
const code = await new Promise<number | null>((resolve) => {
  const t = setTimeout(() => resolve(-1), 20_000);
  child.on('exit', (c) => {
    clearTimeout(t);
    resolve(c);
  });
});
if (code === -1) fail('npm start did not stop within 20 s of Ctrl-C');
await new Promise((r) => setTimeout(r, 1000));
const still = await fetch(`${url}/healthz`).then(
  () => true,
  () => false,
);
if (still) fail(`something still answers on ${url} after Ctrl-C`);
console.log('newcomer: Ctrl-C stopped everything; ok');
process.exit(0);
