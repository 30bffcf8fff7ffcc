import { execFile, execFileSync } from 'node:child_process';

/**
 * Plain git as a person at a shell would run it (no Disco flags): the test's own hand, for seeding
 * remotes and for positive controls that show an attack setup really runs its program.
 */
const envOf = (cwd: string, env: Record<string, string>) => ({
  PATH: process.env.PATH,
  HOME: cwd,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Other',
  GIT_AUTHOR_EMAIL: 'o@x',
  GIT_COMMITTER_NAME: 'Other',
  GIT_COMMITTER_EMAIL: 'o@x',
  ...env,
});

/** The test's git runs as root on trees a root daemon hands to the sandbox uid: trust them. */
const TRUST = ['-c', 'safe.directory=*'];

export function gitSh(cwd: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync('git', [...TRUST, ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: envOf(cwd, env),
  });
}

/**
 * Like gitSh, but asynchronous (a server in the test process must answer it) and a failure is an
 * expected outcome: a control's program breaks git on purpose, only its start matters.
 */
export function gitShTry(cwd: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve) => {
    execFile('git', [...TRUST, ...args], { cwd, env: envOf(cwd, env), timeout: 20_000 }, () => resolve());
  });
}
