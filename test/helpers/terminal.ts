import { TerminalClient } from '../../src/cli/terminal-client.js';

/** A terminal client that collects output per terminal and can wait for text to appear. */
export class TerminalProbe {
  readonly out = new Map<string, string>();
  readonly offsets = new Map<string, number>();
  readonly exits = new Map<string, number | null>();

  private constructor(readonly client: TerminalClient) {
    client.on('output', (id, data, offset) => {
      this.out.set(id, (this.out.get(id) ?? '') + data);
      this.offsets.set(id, offset);
    });
    client.on('exit', (id, code) => this.exits.set(id, code));
  }

  static async connect(url: string, token: string): Promise<TerminalProbe> {
    return new TerminalProbe(await TerminalClient.connect(url, token, { reconnection: false }));
  }

  /** Records scrollback returned by open/attach as output. */
  take(id: string, reply: { data: string; offset: number }): void {
    this.out.set(id, (this.out.get(id) ?? '') + reply.data);
    this.offsets.set(id, reply.offset);
  }

  /** Waits until the terminal's output (from `from` on) matches. */
  async waitFor(id: string, pattern: RegExp, timeoutMs = 10_000, from = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = (this.out.get(id) ?? '').slice(from);
      if (pattern.test(text)) return text;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${pattern} in ${JSON.stringify(text.slice(-500))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async waitExit(id: string, timeoutMs = 10_000): Promise<number | null> {
    const deadline = Date.now() + timeoutMs;
    while (!this.exits.has(id)) {
      if (Date.now() > deadline) throw new Error(`terminal ${id} did not exit`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.exits.get(id) ?? null;
  }

  length(id: string): number {
    return (this.out.get(id) ?? '').length;
  }

  close(): void {
    this.client.disconnect();
  }
}
