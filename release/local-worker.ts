// Runs the worker locally (`wrangler dev --local`, offline, no login) on a free loopback port, in
// its own process group so stopping it stops workerd too.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface LocalWorker {
  url: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function stopGroup(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null || !child.pid) return resolve();
    const pid = child.pid;
    const kill = (signal: NodeJS.Signals) => {
      try {
        process.kill(-pid, signal);
      } catch {
        // already gone
      }
    };
    const hard = setTimeout(() => kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(hard);
      kill('SIGKILL'); // stragglers of the group (workerd)
      resolve();
    });
    kill('SIGTERM');
  });
}

export const wranglerEnv = (root = process.cwd()): NodeJS.ProcessEnv => ({
  ...process.env,
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_SEND_METRICS: 'false',
  XDG_CONFIG_HOME: join(root, '.wrangler', 'config'),
});

export async function startLocalWorker(opts: {
  persistDir: string;
  port?: number;
  log?: (line: string) => void;
}): Promise<LocalWorker> {
  const port = opts.port ?? (await freePort());
  const child = spawn(
    join('node_modules', '.bin', 'wrangler'),
    ['dev', '--local', '--persist-to', opts.persistDir, '--ip', '127.0.0.1', '--port', String(port)],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: wranglerEnv() },
  );
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stopGroup(child);
      reject(new Error(`wrangler dev did not become ready within 90 s:\n${output.slice(-2000)}`));
    }, 90_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      for (const line of d.toString().split('\n')) if (line.trim()) opts.log?.(line);
      if (output.includes('Ready on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`wrangler dev exited (${code}) before it was ready:\n${output.slice(-2000)}`));
    });
  });
  // Keep draining its output so it never blocks on a full pipe.
  child.stdout?.removeAllListeners('data');
  child.stderr?.removeAllListeners('data');
  child.stdout?.on('data', (d: Buffer) => opts.log?.(d.toString().trimEnd()));
  child.stderr?.on('data', (d: Buffer) => opts.log?.(d.toString().trimEnd()));
  return { url, stop: () => stopGroup(child) };
}
