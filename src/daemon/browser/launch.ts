import { DiscoError } from '../errors.js';
import type { RunningChild } from '../sandbox/child.js';
import type { ContainerSandbox } from '../sandbox/container-sandbox.js';
import { EGRESS_PORT } from '../sandbox/egress-env.js';
import { BROWSER_PROFILES_INSIDE } from '../sandbox/profiles.js';

/** Debian's browser binary (its /usr/bin/chromium is a shell wrapper that reads /etc/chromium.d, hidden in a sandbox). */
export const CHROMIUM_BINARIES = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'];

export const VIEWPORT = { width: 1280, height: 800 };

const START_TIMEOUT_MS = 20_000;

export interface LaunchedBrowser {
  child: RunningChild;
  /** DevTools port and browser path on the container's loopback. */
  port: number;
  path: string;
}

/**
 * Chromium's command line inside a container's sandbox. `--no-sandbox` turns off Chromium's own
 * sandbox, which needs user namespaces (the container's sandbox forbids nested ones) or a setuid helper:
 * the container's bubblewrap sandbox is the boundary instead (an unprivileged uid, no capabilities, the
 * seccomp filter, its own network namespace, its own files only), so a compromised renderer holds what
 * the container's own commands hold, nothing more. The DevTools port is picked by Chromium on the
 * container's loopback; in `egress` mode every request but loopback goes to the container's proxy port
 * (the daemon's egress policy); in `off` mode there is no route out at all.
 */
export function chromiumArgs(binary: string, profile: string, egress: boolean): string[] {
  return [
    binary,
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-default-apps',
    '--disable-sync',
    '--no-first-run',
    '--no-default-browser-check',
    '--password-store=basic',
    '--use-mock-keychain',
    '--mute-audio',
    '--hide-scrollbars',
    '--force-color-profile=srgb',
    '--remote-debugging-address=127.0.0.1',
    '--remote-debugging-port=0',
    `--user-data-dir=${BROWSER_PROFILES_INSIDE}/${profile}`,
    `--window-size=${VIEWPORT.width},${VIEWPORT.height}`,
    ...(egress ? [`--proxy-server=http://127.0.0.1:${EGRESS_PORT}`] : []),
    'about:blank',
  ];
}

/** Starts Chromium in the container's sandbox and waits for its DevTools endpoint. */
export async function launchChromium(box: ContainerSandbox, argv: string[], profile: string): Promise<LaunchedBrowser> {
  const child = await box.spawn({
    argv,
    cwd: BROWSER_PROFILES_INSIDE,
    env: {
      HOME: `${BROWSER_PROFILES_INSIDE}/${profile}`,
      XDG_CONFIG_HOME: `${BROWSER_PROFILES_INSIDE}/${profile}/.config`,
      XDG_CACHE_HOME: '/tmp/.disco-browser-cache',
      DBUS_SESSION_BUS_ADDRESS: 'disabled:',
      FONTCONFIG_PATH: '/etc/fonts',
    },
    stdin: false,
  });
  child.stdout.resume();
  return new Promise<LaunchedBrowser>((resolve, reject) => {
    let seen = '';
    let settled = false;
    const finish = (err: Error | undefined, found?: { port: number; path: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err || !found) {
        child.killGroup('SIGKILL');
        reject(err);
      } else resolve({ child, ...found });
    };
    const timer = setTimeout(
      () => finish(new DiscoError('timeout', 'the browser did not start in time', { tail: tail(seen) })),
      START_TIMEOUT_MS,
    );
    child.stderr.on('data', (c: Buffer) => {
      if (settled) return; // drained and dropped from here on (Chromium logs a lot)
      seen = (seen + c.toString('utf8')).slice(-8192);
      const m = /DevTools listening on ws:\/\/127\.0\.0\.1:(\d+)(\/devtools\/browser\/[A-Za-z0-9-]+)/.exec(seen);
      if (m) finish(undefined, { port: Number(m[1]), path: m[2] as string });
    });
    child.onExit(() =>
      finish(new DiscoError('unavailable', 'the browser exited while starting', { tail: tail(seen) })),
    );
  });
}

function tail(s: string): string {
  return s.trim().split('\n').slice(-3).join('\n').slice(-500);
}
