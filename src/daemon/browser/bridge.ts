import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * A loopback WebSocket endpoint for playwright-core that forwards one path, and only its upgrade, to a
 * browser's DevTools endpoint inside a container's sandbox, reached through the supervisor's `dial`.
 * Security: the daemon never joins the container's network namespace and the browser never sees the
 * host's; the path carries 24 random bytes (host processes other than the daemon cannot guess it), every
 * other request is answered 404, and one connection at a time is forwarded (playwright's).
 */
export class DevtoolsBridge {
  private readonly secret = randomBytes(24).toString('base64url');
  private readonly server: http.Server;
  private readonly sockets = new Set<Duplex>();

  private constructor(
    private readonly dial: () => Promise<Duplex>,
    /** Chromium's own path and port inside the sandbox (`/devtools/browser/<id>`). */
    private readonly target: { path: string; port: number },
  ) {
    this.server = http.createServer((_req, res) => {
      res.writeHead(404).end();
    });
    this.server.on('upgrade', (req, socket: Socket, head: Buffer) => this.upgrade(req, socket, head));
  }

  static async open(dial: () => Promise<Duplex>, target: { path: string; port: number }): Promise<DevtoolsBridge> {
    const b = new DevtoolsBridge(dial, target);
    await new Promise<void>((resolve, reject) => {
      b.server.once('error', reject);
      b.server.listen(0, '127.0.0.1', () => resolve());
    });
    return b;
  }

  /** The endpoint to give `chromium.connectOverCDP`. */
  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `ws://127.0.0.1:${port}/${this.secret}`;
  }

  private async upgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    socket.on('error', () => {});
    if (req.url !== `/${this.secret}` || this.sockets.size > 0) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      return;
    }
    let inner: Duplex;
    try {
      inner = await this.dial();
    } catch {
      socket.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\n\r\n');
      return;
    }
    inner.on('error', () => socket.destroy());
    // The handshake as chromium expects it: its own path, a loopback Host, no Origin (a page's would be refused).
    const lines = [`GET ${this.target.path} HTTP/1.1`, `host: 127.0.0.1:${this.target.port}`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = (req.rawHeaders[i] as string).toLowerCase();
      if (name === 'host' || name === 'origin') continue;
      lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    }
    inner.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length > 0) inner.write(head);
    this.sockets.add(inner);
    const done = () => {
      this.sockets.delete(inner);
      inner.destroy();
      socket.destroy();
    };
    inner.once('close', done);
    socket.once('close', done);
    socket.pipe(inner);
    inner.pipe(socket);
  }

  close(): void {
    for (const s of this.sockets) s.destroy();
    this.server.close();
    this.server.closeAllConnections();
  }
}
