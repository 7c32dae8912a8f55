/**
 * The daemon's HTTP server: a tiny router over node:http that other areas mount routes on (the plan review page,
 * the Texture webhook): `server.route('POST', '/webhooks/texture', handler)` or a prefix: `route('GET', '/review/*', h)`.
 * Handlers get the raw request (read the body yourself, e.g. with `readRawBody`, so signatures over the raw bytes
 * can be checked) and answer on `res`. An unknown path is 404, a known path with another method 405, a throwing
 * handler 500 without details.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.js';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

interface Route {
  method: string;
  path: string;
  prefix: boolean;
  handler: RouteHandler;
}

export class PayloadTooLarge extends Error {
  constructor(limitBytes: number) {
    super(`request body over ${limitBytes} bytes`);
    this.name = 'PayloadTooLarge';
  }
}

/** The request body as bytes (at most limitBytes, default 1 MiB). */
export async function readRawBody(req: IncomingMessage, limitBytes = 1 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) throw new PayloadTooLarge(limitBytes);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function sendText(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendText(res, status, `${JSON.stringify(body)}\n`, 'application/json; charset=utf-8');
}

export class DaemonHttpServer {
  private readonly routes: Route[] = [];
  private readonly server: Server;

  constructor(private readonly logger?: Logger) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /** Adds a route; a path ending in `/*` matches everything below it. Later routes never shadow earlier ones. */
  route(method: string, path: string, handler: RouteHandler): this {
    const prefix = path.endsWith('/*');
    this.routes.push({ method: method.toUpperCase(), path: prefix ? path.slice(0, -1) : path, prefix, handler });
    return this;
  }

  /** Listens; port 0 picks a free port. Resolves with the bound port. */
  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const matching = this.routes.filter((r) => (r.prefix ? url.pathname.startsWith(r.path) : url.pathname === r.path));
    const route = matching.find((r) => r.method === req.method || (r.method === 'GET' && req.method === 'HEAD'));
    if (!route) {
      if (matching.length) {
        res.setHeader('allow', [...new Set(matching.map((r) => r.method))].join(', '));
        sendText(res, 405, 'method not allowed\n');
      } else sendText(res, 404, 'not found\n');
      return;
    }
    try {
      await route.handler(req, res, url);
    } catch (error) {
      if (error instanceof PayloadTooLarge) {
        if (!res.headersSent) sendText(res, 413, 'payload too large\n');
        return;
      }
      this.logger?.error({ err: { message: error instanceof Error ? error.message : String(error) }, path: url.pathname }, 'HTTP handler failed');
      if (!res.headersSent) sendText(res, 500, 'internal error\n');
      else res.end();
    }
  }
}
