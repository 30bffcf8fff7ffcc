// TEST STAND-IN ONLY: a process of the stand-in runtime, with WebContainer's process shape.
import type { WcProcess } from '../wc.js';

export class StandinProcess implements WcProcess {
  readonly output: ReadableStream<string>;
  readonly input: WritableStream<string>;
  readonly exit: Promise<number>;
  readonly abort = new AbortController();
  cols: number;
  rows: number;
  private out!: ReadableStreamDefaultController<string>;
  private finish!: (code: number) => void;
  private readonly inputs = new Set<(s: string) => void>();
  private readonly ends = new Set<() => void>();
  private ended = false;
  inputClosed = false;

  constructor(size: { cols: number; rows: number } | undefined) {
    this.cols = size?.cols ?? 80;
    this.rows = size?.rows ?? 24;
    this.output = new ReadableStream<string>({
      start: (c) => {
        this.out = c;
      },
    });
    this.input = new WritableStream<string>({
      write: (chunk) => {
        for (const l of this.inputs) l(chunk);
      },
      close: () => {
        this.inputClosed = true;
        for (const l of this.ends) l();
      },
    });
    this.exit = new Promise((resolve) => {
      this.finish = resolve;
    });
  }

  write(s: string): void {
    if (!this.ended) this.out.enqueue(s);
  }

  onInput(cb: (s: string) => void): void {
    this.inputs.add(cb);
  }

  onInputEnd(cb: () => void): void {
    if (this.inputClosed) queueMicrotask(cb);
    else this.ends.add(cb);
  }

  end(code: number): void {
    if (this.ended) return;
    this.ended = true;
    this.out.close();
    this.finish(code);
  }

  kill(): void {
    this.abort.abort();
    this.end(137);
  }

  resize(d: { cols: number; rows: number }): void {
    this.cols = d.cols;
    this.rows = d.rows;
  }
}
