/**
 * The one web server a browser engine's page talks to: loopback only, a few folders mapped to
 * URL prefixes (transformers.js, onnxruntime-web's WASM, the model), and the page itself. Every
 * response carries the headers of cross-origin isolation (COOP, COEP, CORP), without which the
 * browser allows no WASM threads and coarsens performance.now() to 100 us. Every request it
 * serves or refuses is kept, so a run can show that nothing was asked for that it did not serve.
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.onnx_data': 'application/octet-stream',
};

const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

export interface PageServer {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** Paths asked for, in order, with the status answered. */
  requests: { path: string; status: number }[];
  close(): Promise<void>;
}

/** Serves `page` at `/` and each folder under its prefix (`/ort/` -> dir), on a free loopback port. */
export async function startPageServer(page: string, folders: Readonly<Record<string, string>>): Promise<PageServer> {
  const requests: PageServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0] as string);
    const answer = (status: number, type?: string, length?: number): void => {
      requests.push({ path, status });
      res.writeHead(status, { ...ISOLATION, ...(type ? { 'Content-Type': type } : {}), ...(length !== undefined ? { 'Content-Length': length } : {}) });
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      answer(405);
      res.end();
      return;
    }
    if (path === '/') {
      answer(200, TYPES['.html']);
      res.end(page);
      return;
    }
    const prefix = Object.keys(folders).find((p) => path.startsWith(p));
    const root = prefix === undefined ? undefined : folders[prefix];
    const file = root === undefined || prefix === undefined ? null : normalize(join(root, path.slice(prefix.length)));
    // nothing outside the mapped folders, whatever the path says
    if (file === null || root === undefined || !(file === root || file.startsWith(root.endsWith(sep) ? root : root + sep))) {
      answer(404);
      res.end();
      return;
    }
    let size: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
    } catch {
      answer(404);
      res.end();
      return;
    }
    answer(200, TYPES[extname(file)] ?? 'application/octet-stream', size);
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
