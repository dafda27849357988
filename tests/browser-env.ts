// The browser that ships inside an npm package: @sparticuz/chromium carries a Chromium (a headless
// shell built for serverless hosts) brotli-compressed in the package itself, with SwiftShader's Vulkan
// driver and loader, fonts, and the NSS libraries the browser links. It is the fallback on a machine
// with only Node and npm; a system Chromium and Vulkan loader come first (tests/browser/chromium.ts,
// tests/webgpu-env.ts). The package's own executablePath() unpacks into /tmp, where a killed unpack
// leaves a half-written browser that the next run takes for a whole one: this unpacks each part once
// into node_modules/.cache/, filling a temporary folder that is renamed into place when complete.
// Synchronous, so that finding a browser stays a plain function call for every launcher.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { errorMessage } from '../lib/errors.ts';
import { fsyncPath } from '../lib/fs-atomic.ts';

export const PACKAGE = '@sparticuz/chromium';

/** A part of the package, unpacked; or why it cannot be. */
export type Unpacked = { ok: true; dir: string; version: string } | { ok: false; why: string };

interface Installed {
  bin: string;
  version: string;
  cache: string;
}

/** The installed package: its compressed files, its version, and the cache folder for this version. */
function installed(): Installed | string {
  // Its one build is Linux x64 (the package leaves out the arm64 one).
  if (process.platform !== 'linux' || process.arch !== 'x64')
    return `${PACKAGE} carries a Chromium for Linux x64 only, not ${process.platform} ${process.arch}`;
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(PACKAGE); // <node_modules>/@sparticuz/chromium/build/index.js
  } catch {
    return `${PACKAGE} is not installed (npm ci installs it)`;
  }
  const root = dirname(dirname(entry));
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const nodeModules = dirname(dirname(root));
  return {
    bin: join(root, 'bin'),
    version,
    cache: join(nodeModules, '.cache', `sparticuz-chromium-${version}`),
  };
}

/** The folder the package's parts are unpacked into (whether or not they are yet), or null. */
export function packageCache(): string | null {
  const pkg = installed();
  return typeof pkg === 'string' ? null : pkg.cache;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const COMPLETE = '.complete';

/**
 * `target`, filled once by `fill`: into a temporary folder beside it that is renamed into place
 * only when whole. Another process filling the same target at the same time wins or loses the
 * rename; either way both use the one that landed. Temporary folders of killed unpackers go.
 */
function unpackOnce(target: string, fill: (tmp: string) => void): void {
  if (existsSync(join(target, COMPLETE))) return;
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const prefix = `.${basename(target)}.`;
  for (const stale of readdirSync(parent).filter((f) => f.startsWith(prefix))) {
    const pid = Number(stale.slice(prefix.length).split('.')[0]);
    if (!alive(pid)) rmSync(join(parent, stale), { recursive: true, force: true });
  }
  const tmp = mkdtempSync(join(parent, `${prefix}${process.pid}.`));
  try {
    chmodSync(tmp, 0o755); // mkdtemp's 0700 would keep the cache from other users
    fill(tmp);
    for (const f of readdirSync(tmp, { recursive: true, encoding: 'utf8' })) fsyncPath(join(tmp, f));
    writeFileSync(join(tmp, COMPLETE), '');
    renameSync(tmp, target);
    fsyncPath(parent);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (existsSync(join(target, COMPLETE))) return; // another process got there first
    throw e;
  }
}

/** Extracts a brotli-compressed tar into `dir` (the system's tar: GNU or BSD, both read stdin). */
function untarBrotli(file: string, dir: string): void {
  try {
    execFileSync('tar', ['-x', '--no-same-owner', '-f', '-', '-C', dir], {
      input: brotliDecompressSync(readFileSync(file)),
      stdio: ['pipe', 'ignore', 'pipe'],
    });
  } catch (e) {
    throw new Error(`could not unpack ${basename(file)} with tar: ${errorMessage(e).split('\n')[0]}`);
  }
}

function unpack(part: string, fill: (tmp: string, pkg: Installed) => void): Unpacked {
  const pkg = installed();
  if (typeof pkg === 'string') return { ok: false, why: pkg };
  const dir = join(pkg.cache, part);
  try {
    unpackOnce(dir, (tmp) => fill(tmp, pkg));
  } catch (e) {
    return { ok: false, why: `${PACKAGE}: ${errorMessage(e)}` };
  }
  return { ok: true, dir, version: pkg.version };
}

/** SwiftShader's Vulkan loader (libvulkan.so.1) and driver (vk_swiftshader_icd.json), in one folder. */
export const packagedVulkan = (): Unpacked =>
  unpack('vulkan', (tmp, pkg) => untarBrotli(join(pkg.bin, 'swiftshader.tar.br'), tmp));

/** The file packagedChromium() starts: the browser with its libraries and fonts. */
export const LAUNCHER = 'chromium';

/**
 * The packaged browser: the headless shell with SwiftShader beside it (where it looks for its Vulkan
 * loader and driver), the NSS libraries in lib/, the fonts, and a launcher script that points the
 * browser at those two, so Playwright, Lighthouse and any other launcher can start it by its path.
 */
export const packagedChromium = (): Unpacked =>
  unpack('chromium', (tmp, pkg) => {
    const dir = join(pkg.cache, 'chromium'); // where tmp will be: the paths written below are final ones
    writeFileSync(
      join(tmp, 'headless-shell'),
      brotliDecompressSync(readFileSync(join(pkg.bin, 'chromium.br'))),
    );
    chmodSync(join(tmp, 'headless-shell'), 0o755);
    untarBrotli(join(pkg.bin, 'swiftshader.tar.br'), tmp);
    untarBrotli(join(pkg.bin, 'al2023.tar.br'), tmp); // lib/: NSS, NSPR, expat (Amazon Linux 2023 builds)
    untarBrotli(join(pkg.bin, 'fonts.tar.br'), tmp); // fonts/, and a fonts.conf for Lambda's paths
    // The system's fonts where it has any, and the package's always.
    writeFileSync(
      join(tmp, 'fonts.conf'),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n` +
        `  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n` +
        `  <dir>${dir}/fonts</dir>\n  <cachedir>${dir}/fonts-cache</cachedir>\n</fontconfig>\n`,
    );
    writeFileSync(
      join(tmp, LAUNCHER),
      `#!/bin/sh\n# ${PACKAGE} ${pkg.version}, unpacked by tests/browser-env.ts.\n` +
        `export LD_LIBRARY_PATH="${dir}/lib\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"\n` +
        `export FONTCONFIG_FILE="${dir}/fonts.conf"\n` +
        `exec "${dir}/headless-shell" "$@"\n`,
    );
    chmodSync(join(tmp, LAUNCHER), 0o755);
  });
