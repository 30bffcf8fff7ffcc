import { chmodSync, chownSync, mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import type { Owner } from '../workspace/sandbox-launch.js';

/** Hands one egress connection of a container to the daemon's proxy. */
export type EgressHandler = (containerId: string, conn: Duplex) => void;

const MAX_FIRST_LINE = 128;

/**
 * The daemon-owned Unix socket of one container, in a directory of its own that is bound read-only into
 * that container's sandbox (and no other). Only the supervisor inside connects to it, and says in its first
 * line what the connection is: `E` (egress, for the proxy) or `P <tag>` (a dial the daemon asked for).
 * Security: the daemon never connects to a path a container controls; the sandbox cannot write the
 * directory (read-only bind); for a root daemon the socket is the sandbox uid's, the directory root's.
 */
export class ControlSocket {
  readonly dir: string;
  readonly file: string;
  private readonly server: net.Server;

  private constructor(
    dir: string,
    private readonly onEgress: (conn: net.Socket) => void,
    private readonly onAnswer: (tag: string, conn: net.Socket) => boolean,
  ) {
    this.dir = dir;
    this.file = path.join(dir, 'sock');
    this.server = net.createServer((conn) => this.accept(conn));
  }

  static async open(
    dir: string,
    owner: Owner | undefined,
    onEgress: (conn: net.Socket) => void,
    onAnswer: (tag: string, conn: net.Socket) => boolean,
  ): Promise<ControlSocket> {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, owner ? 0o711 : 0o700);
    const s = new ControlSocket(dir, onEgress, onAnswer);
    if (Buffer.byteLength(s.file) > 100) throw new Error(`socket path too long: ${s.file}`);
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.server.listen(s.file, () => resolve());
    });
    chmodSync(s.file, 0o600);
    if (owner) chownSync(s.file, owner.uid, owner.gid);
    return s;
  }

  private accept(conn: net.Socket): void {
    conn.on('error', () => {});
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const nl = head.indexOf(10);
      if (nl < 0) {
        if (head.length > MAX_FIRST_LINE) conn.destroy();
        return;
      }
      conn.off('data', onData);
      conn.pause();
      const line = head.subarray(0, nl).toString('latin1');
      const rest = head.subarray(nl + 1);
      if (rest.length > 0) conn.unshift(rest);
      handOver(conn);
      if (line === 'E') this.onEgress(conn);
      else if (!line.startsWith('P ') || !this.onAnswer(line.slice(2), conn)) conn.destroy();
    };
    conn.on('data', onData);
  }

  private closed = false;

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.server.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The socket goes to its consumer paused (nothing read past the first line is lost); a 'data' listener
 * resumes it as it would a fresh socket, and pipe() resumes it anyway.
 */
function handOver(conn: net.Socket): void {
  const onListener = (event: string | symbol) => {
    if (event !== 'data') return;
    conn.off('newListener', onListener);
    queueMicrotask(() => conn.resume());
  };
  conn.on('newListener', onListener);
}
