/**
 * The subset of `@webcontainer/api` the workbench page uses: the real WebContainer and the test stand-in
 * (standin/) both provide it.
 */
export interface WcProcess {
  exit: Promise<number>;
  input: WritableStream<string>;
  /** stdout and stderr together (WebContainer does not tell them apart). */
  output: ReadableStream<string>;
  kill(): void;
  resize(dimensions: { cols: number; rows: number }): void;
}

export interface WcFs {
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  mkdir(path: string, options: { recursive: true }): Promise<unknown>;
  rm(path: string, options?: { recursive?: boolean; force?: boolean }): Promise<void>;
  watch(
    path: string,
    options: { recursive?: boolean },
    listener: (event: string, filename: string | Uint8Array | null) => void,
  ): { close(): void };
}

export interface Wc {
  fs: WcFs;
  spawn(
    command: string,
    args: string[],
    options?: { cwd?: string; env?: Record<string, string>; terminal?: { cols: number; rows: number } },
  ): Promise<WcProcess>;
  on(event: 'port', listener: (port: number, type: 'open' | 'close', url: string) => void): () => void;
  on(event: 'server-ready', listener: (port: number, url: string) => void): () => void;
  on(event: 'error', listener: (error: { message: string }) => void): () => void;
}
