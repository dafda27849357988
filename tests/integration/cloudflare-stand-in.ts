// A loopback stand-in for the parts of Cloudflare's API that npm run doctor reads: a worker's
// secrets (names) and the account's workers.dev subdomain, in Cloudflare's envelope
// ({ success, errors, messages, result }). Another token is refused (10000), an unknown worker is
// not found (10007), as Cloudflare answers them.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CloudflareStandIn {
  /** The API base (CLOUDFLARE_API_BASE_URL). */
  url: string;
  /** Worker name → its secrets' names; tests change it between runs. */
  workers: Map<string, string[]>;
  seen: { method: string; url: string; auth: string }[];
  close(): Promise<void>;
}

export async function startCloudflareStandIn(o: {
  token: string;
  account: string;
  subdomain: string;
}): Promise<CloudflareStandIn> {
  const workers = new Map<string, string[]>();
  const seen: CloudflareStandIn['seen'] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      auth: String(req.headers.authorization ?? ''),
    });
    const send = (status: number, result: unknown, error?: [number, string]) =>
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(
        JSON.stringify({
          success: !error,
          errors: error ? [{ code: error[0], message: error[1] }] : [],
          messages: [],
          result: error ? null : result,
        }),
      );
    const account = `/client/v4/accounts/${o.account}`;
    if (req.headers.authorization !== `Bearer ${o.token}` || !url.pathname.startsWith(`${account}/`))
      return send(403, null, [10000, 'Authentication error']);
    if (url.pathname === `${account}/workers/subdomain`) return send(200, { subdomain: o.subdomain });
    const m = /^\/workers\/scripts\/([^/]+)\/secrets$/.exec(url.pathname.slice(account.length));
    const secrets = m ? workers.get(decodeURIComponent(m[1])) : undefined;
    if (!m || req.method !== 'GET') return send(404, null, [7003, 'Could not route to the requested path']);
    if (!secrets) return send(404, null, [10007, 'This Worker does not exist on your account.']);
    send(
      200,
      secrets.map((name) => ({ name, type: 'secret_text' })),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/client/v4`,
    workers,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
