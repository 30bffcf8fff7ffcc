'use strict';
/*
 * The supervisor of one container sandbox. It runs inside bubblewrap as the sandbox uid (pid 2 of the
 * container's pid namespace, under bwrap's init) and starts every process of the container on request.
 * Self-contained on purpose: only node: builtins and its sibling supervisor-ports.cjs, plus
 * @lydell/node-pty (bound read-only) for terminals.
 *
 * Control channel: JSON lines on stdin (requests) and stdout (events); output bytes travel as base64.
 * Side channel: the per-container Unix socket of the daemon (bound read-only), which this process only
 * connects OUT to: `E\n` for an egress connection, `P <tag>\n` for a connection the daemon asked to dial.
 * argv[2]: JSON {socket, egressPort (0: none), egressLater (listen only on `egress`), modules}.
 *
 * Piped processes are started by the native spawner (spawner.c, this process's sibling-turned-child: the
 * sandbox's first shell starts it on a channel of the daemon's own, then becomes this process) when it
 * passed its self-check; the daemon talks to it directly and tells this process to `watch` ports while
 * its processes run. Otherwise, and for PTYs, processes start here (child_process, node-pty).
 */
const { spawn } = require('node:child_process');
const net = require('node:net');
const readline = require('node:readline');
const { listening } = require('./supervisor-ports.cjs');

const config = JSON.parse(process.argv[2] || '{}');
const procs = new Map(); // id -> { child | pty, pid, pty: bool, fg }
let ptyModule;
/** The daemon said processes of the native spawner run (or ran moments ago): ports are watched. */
let nativeWatch = false;

function send(event) {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function groupKill(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // gone
    }
  }
}

function startPipe(req) {
  let child;
  try {
    child = spawn(req.argv[0], req.argv.slice(1), {
      cwd: req.cwd,
      env: req.env,
      detached: true, // its own session and process group, no controlling terminal
      stdio: [req.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    send({ t: 'error', id: req.id, code: err.code || 'EINVAL', message: String(err.message) });
    return;
  }
  const entry = { child, pid: undefined, pty: false };
  child.once('error', (err) => {
    if (entry.pid === undefined) {
      procs.delete(req.id);
      send({ t: 'error', id: req.id, code: err.code || 'EINVAL', message: String(err.message) });
    }
  });
  child.once('spawn', () => {
    entry.pid = child.pid;
    procs.set(req.id, entry);
    send({ t: 'spawned', id: req.id, pid: child.pid });
    startPolling();
  });
  const out = (s) => (chunk) => send({ t: 'out', id: req.id, s, d: chunk.toString('base64') });
  child.stdout.on('data', out(1));
  child.stderr.on('data', out(2));
  child.stdin?.on('error', () => {});
  // The leader's exit ends the command: its group goes too, so leftovers release the pipes.
  child.once('exit', () => groupKill(child.pid, 'SIGKILL'));
  child.once('close', (code, signal) => {
    procs.delete(req.id);
    if (entry.pid !== undefined) send({ t: 'exit', id: req.id, code, signal });
  });
}

function startPty(req) {
  try {
    ptyModule ??= require(`${config.modules}/@lydell/node-pty`);
  } catch (err) {
    send({ t: 'error', id: req.id, code: 'ENOPTY', message: `node-pty unavailable: ${err.message}` });
    return;
  }
  let term;
  try {
    term = ptyModule.spawn(req.argv[0], req.argv.slice(1), {
      name: req.env.TERM || 'xterm-256color',
      cols: req.cols || 80,
      rows: req.rows || 24,
      cwd: req.cwd,
      env: req.env,
    });
  } catch (err) {
    send({ t: 'error', id: req.id, code: err.code || 'EINVAL', message: String(err.message) });
    return;
  }
  const entry = { pty: true, term, pid: term.pid, fg: '', foreground: () => {} };
  procs.set(req.id, entry);
  send({ t: 'spawned', id: req.id, pid: term.pid });
  const foreground = () => {
    let name = '';
    try {
      name = term.process;
    } catch {
      // exited
    }
    if (name !== entry.fg) {
      entry.fg = name;
      send({ t: 'fg', id: req.id, name });
    }
  };
  entry.foreground = foreground;
  foreground();
  term.onData((data) => {
    send({ t: 'tty', id: req.id, d: data });
    foreground();
  });
  term.onExit(({ exitCode, signal }) => {
    procs.delete(req.id);
    send({ t: 'exit', id: req.id, code: exitCode, signal: signal || null });
  });
  startPolling();
}

/**
 * A connection to the daemon's socket, announced by its first line. Perf: ordinary reads; reading through
 * one shared 1 MiB buffer (`onread`) and copying each read out cost ~1.6× the CPU per MiB here.
 */
function toDaemon(firstLine, onReady, onError) {
  const s = net.connect({ path: config.socket });
  s.once('error', onError);
  s.once('connect', () => {
    s.write(`${firstLine}\n`);
    onReady(s);
  });
  return s;
}

/** Bytes one direction may hold here before the sender is paused (pipe() pauses past 16 KiB: every chunk). */
const WINDOW = 256 * 1024;

function pump(from, to) {
  from.on('data', (chunk) => {
    to.write(chunk);
    if (to.writableLength >= WINDOW) from.pause();
  });
  to.on('drain', () => from.resume());
  from.once('end', () => to.end());
}

function pipeBoth(a, b) {
  // Nagle on the loopback TCP side would hold each response's last segment for the peer's delayed ACK.
  for (const s of [a, b]) if (typeof s.setNoDelay === 'function') s.setNoDelay(true);
  pump(a, b);
  pump(b, a);
  const end = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', end);
  b.on('error', end);
  a.on('close', end);
  b.on('close', end);
}

function dial(req) {
  const tryHost = (hosts) => {
    const host = hosts[0];
    const c = net.connect({ port: req.port, host });
    c.once('error', (err) => {
      if (hosts.length > 1 && err.code === 'ECONNREFUSED') return tryHost(hosts.slice(1));
      send({ t: 'dialed', tag: req.tag, ok: false, code: err.code || 'EIO' });
    });
    c.once('connect', () => {
      c.pause();
      toDaemon(
        `P ${req.tag}`,
        (s) => {
          pipeBoth(c, s);
          c.resume();
        },
        () => c.destroy(),
      );
    });
  };
  tryHost(['127.0.0.1', '::1']);
}

// ---- listening ports (supervisor-ports.cjs), announced as they open and close ----------------------

let known = new Map(); // port -> pid
let poller;
function poll() {
  const now = new Map(listening(config.egressPort).map((p) => [p.port, p.pid]));
  for (const [port, pid] of now) if (!known.has(port)) send({ t: 'port', port, open: true, pid });
  for (const [port, pid] of known) if (!now.has(port)) send({ t: 'port', port, open: false, pid });
  known = now;
  if (procs.size === 0 && !nativeWatch && now.size === 0) {
    clearInterval(poller);
    poller = undefined;
  }
}
function startPolling() {
  poller ??= setInterval(poll, 250);
}

// ---- egress: a loopback listener bridged to the daemon's proxy ----------------------------------------

/** Listens on the egress port (again after EADDRINUSE while a native spawner that held it is ending). */
function listenEgress(tries = 50) {
  const server = net.createServer((conn) => {
    conn.pause();
    toDaemon(
      'E',
      (s) => {
        pipeBoth(conn, s);
        conn.resume();
      },
      () => conn.destroy(),
    );
  });
  server.on('error', (err) => {
    if (err.code === 'EADDRINUSE' && tries > 0) setTimeout(() => listenEgress(tries - 1), 100);
    else send({ t: 'log', message: `egress listener: ${err.message}` });
  });
  server.listen(config.egressPort, '127.0.0.1');
}
// With the native spawner, it takes the port and hands each connection to the daemon as it is; this
// process listens only when the daemon says the spawner does not (`egress`).
if (config.egressPort && !config.egressLater) listenEgress();
let egressListening = Boolean(config.egressPort && !config.egressLater);

// ---- requests -------------------------------------------------------------------------------------------

function handle(req) {
  const p = req.id === undefined ? undefined : procs.get(req.id);
  switch (req.t) {
    case 'spawn':
      if (req.pty) startPty(req);
      else startPipe(req);
      return;
    case 'egress':
      if (config.egressPort && !egressListening) {
        egressListening = true;
        listenEgress();
      }
      return;
    case 'watch':
      nativeWatch = req.on === true;
      if (nativeWatch) startPolling();
      return;
    case 'kill':
      // What the native spawner ran when it ended (reported here, so a dead sandbox reports it lost instead).
      for (const { id, pid } of Array.isArray(req.procs) ? req.procs : []) {
        if (Number.isInteger(pid) && pid > 1) groupKill(pid, 'SIGKILL');
        if (typeof id === 'string') send({ t: 'exit', id, code: null, signal: 'SIGKILL' });
      }
      return;
    case 'input':
      if (!p) return;
      if (p.pty) {
        p.term.write(req.d);
        // A program the input started may print nothing (cat, a REPL waiting): look again shortly.
        for (const ms of [30, 120, 300]) setTimeout(() => procs.has(req.id) && p.foreground(), ms);
      } else p.child.stdin?.write(Buffer.from(req.d, 'base64'));
      return;
    case 'eof':
      if (p && !p.pty) p.child.stdin?.end();
      return;
    case 'resize':
      if (p?.pty) p.term.resize(req.cols, req.rows);
      return;
    case 'signal':
      if (p?.pid) groupKill(p.pid, req.sig);
      return;
    case 'dial':
      dial(req);
      return;
    case 'ports':
      send({ t: 'ports', req: req.req, list: listening(config.egressPort) });
      return;
    default:
      send({ t: 'log', message: `unknown request ${String(req.t)}` });
  }
}

readline.createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
  if (!line) return;
  let req;
  try {
    req = JSON.parse(line);
  } catch {
    return;
  }
  try {
    handle(req);
  } catch (err) {
    send({ t: 'log', message: String(err?.message ?? err) });
  }
});
send({ t: 'ready', pid: process.pid });
// The daemon went away: end everything (the pid namespace dies with us).
process.stdin.on('end', () => process.exit(0));
process.stdout.on('error', () => process.exit(0));
