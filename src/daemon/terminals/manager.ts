import { randomBytes } from 'node:crypto';
import { DiscoError, NotFoundError } from '../errors.js';
import type { Logger } from '../log.js';
import { asNetworkMode } from '../sandbox/modes.js';
import type { NetworkMode } from '../sandbox/network-mode.js';
import type { SandboxPool } from '../sandbox/pool.js';
import type { Pty } from '../sandbox/remote.js';
import type { WorkbenchHub } from '../webcontainer/hub.js';
import type { CommandPolicy } from '../workspace/command-policy.js';
import { commandEnv } from '../workspace/exec.js';
import { findExecutable, type Sandbox } from '../workspace/sandbox.js';
import { Terminal } from './terminal.js';

export interface TerminalOptions {
  /** Characters of output kept per terminal for reattaching. */
  scrollbackChars: number;
  maxPerContainer: number;
  /** A running terminal nobody has been attached to for this long is killed. */
  detachedTtlMs: number;
}

export interface OpenRequest {
  containerId: string;
  ownerId: string;
  root: string;
  /** Already resolved and contained. */
  cwdAbs: string;
  network: boolean | NetworkMode;
  /** argv to run; default the shell (bash, else sh). */
  command?: string[] | undefined;
  cols: number;
  rows: number;
  env?: Record<string, string> | undefined;
}

/** How long an exited terminal is remembered, so a client reattaching late still reads how it ended. */
const EXITED_TTL_MS = 60_000;

/**
 * Interactive PTYs of containers: opened in the container's sandbox, owned by one user, kept across
 * dropped connections (scrollback and all) until they exit, are closed, or stay detached too long.
 */
export class TerminalManager {
  private readonly terminals = new Map<string, Terminal>();
  private readonly reaper: NodeJS.Timeout;

  constructor(
    private readonly sandbox: Sandbox,
    private readonly policy: CommandPolicy,
    private readonly log: Logger,
    private readonly options: TerminalOptions,
    /** The containers' live sandboxes (mode bwrap): terminals open inside them. */
    private readonly pool?: SandboxPool,
  ) {
    this.reaper = setInterval(() => this.reap(Date.now()), 10_000);
    this.reaper.unref();
  }

  /** Routes webcontainer containers' terminals to their workbench page (set once the hub exists). */
  workbench: Pick<WorkbenchHub, 'route'> | undefined;

  async open(req: OpenRequest): Promise<Terminal> {
    const count = [...this.terminals.values()].filter((t) => t.spec.containerId === req.containerId && t.running);
    if (count.length >= this.options.maxPerContainer) {
      throw new DiscoError('conflict', `a container may have at most ${this.options.maxPerContainer} open terminals`);
    }
    const env: Record<string, string> = {
      ...commandEnv(req.root, req.containerId, req.env ?? {}),
      TERM: 'xterm-256color',
      PS1: '\\w \\$ ',
      ...req.env,
    };
    const page = this.workbench?.route(req.containerId);
    page?.catch(() => {});
    // The page's shell is jsh (WebContainer's); the host's is bash when it has one.
    const argv = req.command ?? [page ? 'jsh' : findExecutable('bash', req.cwdAbs, env.PATH ?? '') ? 'bash' : 'sh'];
    if (req.command) this.policy.check(req.command, false);
    const program = argv[0] as string;
    if (!page && !findExecutable(program, req.cwdAbs, env.PATH ?? '')) {
      throw new DiscoError('command_not_found', `command not found: ${program}`, { command: program });
    }
    const network = asNetworkMode(req.network);
    let child: Pty;
    if (page) {
      child = await (await page).spawnPty({ argv, cwd: req.cwdAbs, env, cols: req.cols, rows: req.rows });
    } else if (this.pool && this.sandbox.mode === 'bwrap') {
      const box = await this.pool.get({ containerId: req.containerId, root: req.root, network });
      child = await box.spawnPty({
        argv,
        cwd: req.cwdAbs,
        env,
        cols: req.cols,
        rows: req.rows,
      });
    } else {
      const confined = this.sandbox.wrap(program, argv.slice(1), {
        root: req.root,
        cwd: req.cwdAbs,
        network,
        container: req.containerId,
        pty: true,
      });
      // Perf: node-pty (a native addon) loads with the first terminal outside a live sandbox, not at start.
      const { localPty } = await import('./local-pty.js');
      child = localPty(confined.file, confined.args, { cols: req.cols, rows: req.rows, cwd: req.cwdAbs, env });
    }
    const id = `term_${randomBytes(9).toString('base64url')}`;
    const shellName = program.split('/').pop() ?? program;
    const t = new Terminal(
      id,
      {
        containerId: req.containerId,
        ownerId: req.ownerId,
        command: argv,
        shellName,
        // A page's shell (jsh) is not ours to know: Ctrl-U kills the line in a readline-like editor, and
        // Ctrl-C abandons it in any shell (and interrupts a program, whose lines are checked there too).
        ...(page ? { eraseLine: '\x15\x03' } : {}),
      },
      child,
      this.options.scrollbackChars,
    );
    this.terminals.set(id, t);
    t.once('exit', () => this.log.info({ terminalId: id, exitCode: t.exitCode }, 'terminal exited'));
    this.log.info({ terminalId: id, containerId: req.containerId, program }, 'terminal opened');
    return t;
  }

  /** The caller's terminal, or not_found (others' terminals do not exist for them). */
  get(ownerId: string, id: string): Terminal {
    const t = this.terminals.get(id);
    if (!t || t.spec.ownerId !== ownerId) throw new NotFoundError(`terminal '${id}'`, { terminal: id });
    return t;
  }

  /** A user's terminals (undefined: everyone's, for housekeeping), optionally of one container. */
  list(ownerId: string | undefined, containerId?: string): Terminal[] {
    return [...this.terminals.values()].filter(
      (t) =>
        (ownerId === undefined || t.spec.ownerId === ownerId) &&
        (containerId === undefined || t.spec.containerId === containerId),
    );
  }

  /**
   * Typed input. While the shell itself has the terminal, each line is checked by the command policy
   * before Enter reaches it; a refused line is erased (Ctrl-U) and the refusal returned. Programs the
   * shell started (editors, REPLs) get their input untouched.
   */
  input(t: Terminal, data: string): DiscoError | undefined {
    if (t.foreground !== t.spec.shellName) {
      t.guard.reset();
      t.write(data);
      return undefined;
    }
    let rest = data;
    for (;;) {
      const part = t.guard.feed(rest);
      if (part.before) t.write(part.before);
      if (part.line === undefined) return undefined;
      try {
        if (part.line.trim()) this.policy.check(part.line, true);
      } catch (err) {
        t.write(t.spec.eraseLine ?? '\x15');
        this.log.warn(
          {
            audit: 'command_refused',
            userId: t.spec.ownerId,
            containerId: t.spec.containerId,
            terminalId: t.id,
            program: part.line.trim().split(/\s+/)[0],
            details: (err as DiscoError).details,
          },
          'terminal command refused by policy',
        );
        return err as DiscoError;
      }
      t.write(part.enter ?? '\r');
      rest = part.rest ?? '';
      if (!rest) return undefined;
    }
  }

  close(t: Terminal): void {
    t.kill();
  }

  /** Ends every terminal of a container (stopped or deleted). */
  endContainer(containerId: string): number {
    let n = 0;
    for (const [id, t] of this.terminals) {
      if (t.spec.containerId !== containerId) continue;
      if (t.running) n++;
      t.kill();
      this.terminals.delete(id);
    }
    return n;
  }

  /** Kills what stayed detached too long and forgets what exited a while ago. */
  reap(now: number): void {
    for (const [id, t] of this.terminals) {
      if (t.attached > 0 || t.aloneSince === undefined) continue;
      if (!t.running && now - t.aloneSince > EXITED_TTL_MS) this.terminals.delete(id);
      else if (t.running && now - t.aloneSince > this.options.detachedTtlMs) {
        this.log.info({ terminalId: id }, 'closing a terminal left detached');
        t.kill();
      }
    }
  }

  shutdown(): void {
    clearInterval(this.reaper);
    for (const t of this.terminals.values()) t.kill();
    this.terminals.clear();
  }
}
