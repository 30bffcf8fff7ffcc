/**
 * Rebuilds the command line a person types into a shell, so the command policy can look at it before
 * Enter reaches the shell. Defence in depth only: line editing with arrow keys, history recall or
 * pasted escape sequences can hide what runs, and the sandbox is the real boundary.
 */
export class LineGuard {
  private line = '';
  /** True once the line contained an escape sequence (cursor movement…): what we hold is approximate. */
  private edited = false;
  /** Inside an escape sequence: 1 after ESC, 2 inside CSI/SS3 parameters. */
  private esc: 0 | 1 | 2 = 0;

  /**
   * Feeds typed input. Returns the input split at Enter: `before` goes to the shell as is, `line` is the
   * command about to run (check it, then send `enter`), `rest` is what follows. Without Enter, only `before`.
   */
  feed(data: string): { before: string; line?: string; enter?: string; rest?: string } {
    for (let i = 0; i < data.length; i++) {
      const ch = data[i] as string;
      if (ch === '\r' || ch === '\n') {
        const line = this.line;
        this.reset();
        return { before: data.slice(0, i), line, enter: ch, rest: data.slice(i + 1) };
      }
      this.take(ch);
    }
    return { before: data };
  }

  /** Forgets the line (after a refusal, Ctrl-C, or when a program other than the shell has the terminal). */
  reset(): void {
    this.line = '';
    this.edited = false;
    this.esc = 0;
  }

  get approximate(): boolean {
    return this.edited;
  }

  private take(ch: string): void {
    const code = ch.charCodeAt(0);
    if (this.esc === 1) {
      this.esc = ch === '[' || ch === 'O' ? 2 : 0;
      return;
    }
    if (this.esc === 2) {
      if (code >= 0x40 && code <= 0x7e) this.esc = 0; // the final byte ends the sequence
      return;
    }
    if (ch === '\x7f' || ch === '\b') this.line = this.line.slice(0, -1);
    else if (ch === '\x15' || ch === '\x03')
      this.reset(); // Ctrl-U kills the line, Ctrl-C abandons it
    else if (ch === '\x17')
      this.line = this.line.replace(/\S+\s*$/, ''); // Ctrl-W: word back
    else if (ch === '\x1b') {
      this.edited = true;
      this.esc = 1;
    } else if (ch === '\t') this.line += ' ';
    else if (code >= 0x20) this.line += ch;
  }
}
