import { EventEmitter } from 'node:events';
import { io, type Socket } from 'socket.io-client';

export interface TerminalInfo {
  id: string;
  containerId: string;
  command: string[];
  running: boolean;
  exitCode: number | null;
  offset: number;
}

export interface AttachReply {
  terminal: TerminalInfo;
  /** Scrollback from the asked offset. */
  data: string;
  offset: number;
}

export class TerminalError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'TerminalError';
  }
}

interface Reply {
  ok: boolean;
  error?: { code: string; message: string };
  [key: string]: unknown;
}

/**
 * Client of the daemon's terminal channel (Socket.IO, namespace /terminals): used by `disco shell`,
 * the tests and the benchmark. Emits `output` (id, data, offset), `exit` (id, code) and `reconnect`
 * after a dropped connection came back (reattach then, from the last offset).
 */
export class TerminalClient extends EventEmitter<{
  output: [id: string, data: string, offset: number];
  exit: [id: string, exitCode: number | null];
  reconnect: [];
  disconnect: [reason: string];
}> {
  readonly socket: Socket;

  private constructor(socket: Socket) {
    super();
    this.socket = socket;
    socket.on('output', (m: { id: string; data: string; offset: number }) =>
      this.emit('output', m.id, m.data, m.offset),
    );
    socket.on('exit', (m: { id: string; exitCode: number | null }) => this.emit('exit', m.id, m.exitCode));
    socket.on('disconnect', (reason) => this.emit('disconnect', reason));
    socket.io.on('reconnect', () => this.emit('reconnect'));
  }

  /** Connects and authenticates; rejects with the server's reason (bad token, forbidden origin…). */
  static connect(baseUrl: string, token: string | undefined, options: { reconnection?: boolean } = {}) {
    const socket = io(`${baseUrl}/terminals`, {
      auth: { token },
      transports: ['websocket'],
      reconnection: options.reconnection ?? true,
      reconnectionDelay: 200,
      reconnectionDelayMax: 2000,
    });
    return new Promise<TerminalClient>((resolve, reject) => {
      socket.once('connect', () => resolve(new TerminalClient(socket)));
      socket.once('connect_error', (err: Error & { data?: { code: string; message: string } }) => {
        socket.close();
        reject(new TerminalError(err.data?.code ?? 'unavailable', err.data?.message ?? err.message));
      });
    });
  }

  private async call<T>(event: string, payload: object): Promise<T> {
    const reply = (await this.socket.timeout(15_000).emitWithAck(event, payload)) as Reply;
    if (!reply.ok) throw new TerminalError(reply.error?.code ?? 'internal', reply.error?.message ?? 'failed');
    return reply as unknown as T;
  }

  open(opts: { container: string; command?: string[]; cwd?: string; cols?: number; rows?: number }) {
    return this.call<AttachReply>('open', opts);
  }

  attach(id: string, since?: number) {
    return this.call<AttachReply>('attach', since === undefined ? { id } : { id, since });
  }

  /** Sends keystrokes; fire and forget (a refusal by the command policy comes back as a rejection). */
  input(id: string, data: string): Promise<void> {
    return this.call('input', { id, data });
  }

  resize(id: string, cols: number, rows: number) {
    return this.call('resize', { id, cols, rows });
  }

  detach(id: string) {
    return this.call('detach', { id });
  }

  close(id: string) {
    return this.call('close', { id });
  }

  disconnect(): void {
    this.socket.close();
  }
}
