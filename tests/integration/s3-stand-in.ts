// A loopback stand-in for R2's S3 API, enough for the R2 store's calls: PUT, GET, DELETE an object,
// ListObjectsV2 (two keys a page, so pagination is exercised) and HeadBucket. Like S3 it checks
// each request's SigV4 signature against the one key it knows (verified here with node:crypto, not
// with the client's own signer): an unknown key is AccessDenied, a wrong secret
// SignatureDoesNotMatch, another bucket NoSuchBucket.
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface S3Request {
  method: string;
  url: string;
  auth: string;
  sha: string;
}

export interface S3StandIn {
  /** The endpoint (R2_ENDPOINT). */
  url: string;
  objects: Map<string, Buffer>;
  /** Every request, in order. */
  seen: S3Request[];
  close(): Promise<void>;
}

export interface S3Options {
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
const rfc3986 = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Why a request's signature is wrong, or undefined when it is right (AWS SigV4, S3's rules). */
export function signatureProblem(req: IncomingMessage, o: S3Options): { code: string } | undefined {
  const auth = String(req.headers.authorization ?? '');
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!m || m[1] !== o.accessKeyId) return { code: 'AccessDenied' };
  const [, , date, region, signedHeaders, signature] = m;
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const [path, query = ''] = (req.url ?? '/').split('?');
  const canonicalQuery = query
    .split('&')
    .filter(Boolean)
    .map((p) => p.split('=').map((s) => rfc3986(decodeURIComponent(s.replace(/\+/g, ' ')))))
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v = '']) => `${k}=${v}`)
    .join('&');
  const names = signedHeaders.split(';');
  const canonicalHeaders = names
    .map(
      (n) =>
        `${n}:${String(req.headers[n] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const canonical = [
    req.method,
    path,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders,
    String(req.headers['x-amz-content-sha256']),
  ].join('\n');
  const scope = `${date}/${region}/s3/aws4_request`;
  const toSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonical).digest('hex'),
  ].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${o.secretAccessKey}`, date), region), 's3'), 'aws4_request');
  return hmac(key, toSign).toString('hex') === signature ? undefined : { code: 'SignatureDoesNotMatch' };
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const error = (code: string) => `<Error><Code>${code}</Code></Error>`;

export async function startS3StandIn(o: S3Options): Promise<S3StandIn> {
  const objects = new Map<string, Buffer>();
  const seen: S3Request[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        auth: String(req.headers.authorization ?? ''),
        sha: String(req.headers['x-amz-content-sha256'] ?? ''),
      });
      const bad = signatureProblem(req, o);
      if (bad) {
        res.writeHead(403).end(error(bad.code));
        return;
      }
      const [, bucket, ...rest] = url.pathname.split('/');
      if (bucket !== o.bucket) {
        res.writeHead(404).end(error('NoSuchBucket'));
        return;
      }
      const key = rest.map(decodeURIComponent).join('/');
      if (req.method === 'HEAD' && key === '') res.writeHead(200).end();
      else if (req.method === 'PUT') {
        objects.set(key, body);
        res.writeHead(200).end();
      } else if (req.method === 'GET' && key === '' && url.searchParams.get('list-type') === '2') {
        const prefix = url.searchParams.get('prefix') ?? '';
        const all = [...objects.keys()].filter((k) => k.startsWith(prefix)).sort();
        const start = Number(url.searchParams.get('continuation-token') ?? 0);
        const page = all.slice(start, start + 2);
        const more = start + 2 < all.length;
        res
          .writeHead(200, { 'Content-Type': 'application/xml' })
          .end(
            `<ListBucketResult>${page.map((k) => `<Contents><Key>${xml(k)}</Key></Contents>`).join('')}<IsTruncated>${more}</IsTruncated>${more ? `<NextContinuationToken>${start + 2}</NextContinuationToken>` : ''}</ListBucketResult>`,
          );
      } else if (req.method === 'GET') {
        const obj = objects.get(key);
        if (obj) res.writeHead(200).end(obj);
        else res.writeHead(404).end(error('NoSuchKey'));
      } else if (req.method === 'DELETE') {
        objects.delete(key);
        res.writeHead(204).end();
      } else res.writeHead(405).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    objects,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
