/** Starting and stopping the fake servers on loopback: one listen and one close for every fake. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens (port 0 = any free port) and resolves with the server's base URL. */
export async function listenLoopback(server: Server, port = 0, host = '127.0.0.1'): Promise<string> {
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const addr = server.address() as AddressInfo;
  return `http://${addr.address}:${addr.port}`;
}

/** Drops every open connection (held-open replies included) and closes the server. */
export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}
