import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { DiscoError, ValidationError } from '../errors.js';
import { type ConfigEntry, remoteUrls } from './git-config-guard.js';
import type { GitProtocol } from './git-runner.js';
import { isInside } from './paths.js';

/** Hides credentials a URL may carry, for messages and logs. */
export const redactUrl = (text: string) => text.replace(/(\w+:\/\/)[^/@\s]+@/g, '$1***@');

/** Checks a remote URL against the allowed transports; returns the local path of a file remote. */
export function checkRemoteUrl(url: string, protocols: readonly GitProtocol[]): string | undefined {
  const allowed = protocols.map((p) => `${p}://`).join(', ');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    if (protocols.includes('file') && path.isAbsolute(url)) return url;
    throw new ValidationError(`url must be a URL (${allowed})`, { url: redactUrl(url) });
  }
  if (parsed.username || parsed.password) {
    // Security: a token in the URL would be stored in .git/config and shown in logs.
    throw new ValidationError('url must not contain credentials', { url: redactUrl(url) });
  }
  const scheme = parsed.protocol.slice(0, -1) as GitProtocol;
  if (!protocols.includes(scheme)) {
    throw new ValidationError(`url scheme ${parsed.protocol} is not allowed; use ${allowed}`, { url: redactUrl(url) });
  }
  return scheme === 'file' ? decodeURIComponent(parsed.pathname) : undefined;
}

/**
 * The local repository a push/pull remote (a URL, or a path as git reads one) stands for, or undefined
 * when it is not local. Relative paths resolve against the repository directory. Throws for a URL the
 * daemon does not allow. Git's rule: a path has no ':' before its first '/' (else `host:path` means ssh).
 */
export function localRemotePath(url: string, cwd: string, protocols: readonly GitProtocol[]): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return checkRemoteUrl(url, protocols);
  const colon = url.indexOf(':');
  const slash = url.indexOf('/');
  if (colon >= 0 && (slash < 0 || colon < slash)) return undefined; // ssh or a helper: GIT_ALLOW_PROTOCOL refuses it
  return protocols.includes('file') ? path.resolve(cwd, url) : undefined;
}

export interface Binds {
  readOnly?: string[];
  writable?: string[];
}

export interface RemoteScope {
  root: string;
  /** Disco's state directory and the containers directory: no file remote may reach them. */
  stateDir: string;
  containersDir: string;
  protocols: readonly GitProtocol[];
}

const real = (p: string) => realpath(p).catch(() => p);

/**
 * A trusted local remote must be visible inside the sandbox: it is bound at its own path (read-only to
 * fetch, writable to push). Security: a remote inside this container's workspace needs no bind; any other
 * that is, contains or is inside Disco's state directory or the containers directory is refused (a parent
 * of $DISCO_HOME bound writable would hand the sandbox the keys and every workspace). Compared after
 * realpath on both sides.
 */
export async function localRemoteBinds(scope: RemoteScope, localPaths: readonly string[], write: boolean) {
  const binds: string[] = [];
  const root = await real(scope.root);
  const guarded = [await real(scope.stateDir), await real(scope.containersDir)];
  for (const localPath of localPaths) {
    const target = await realpath(localPath).catch(() => undefined);
    if (target === undefined) throw new DiscoError('git_failed', `git remote '${localPath}' does not exist`);
    if (isInside(root, target)) continue;
    if (guarded.some((g) => isInside(g, target) || isInside(target, g))) {
      throw new ValidationError("a file remote may not point into (or contain) Disco's state directory", {
        url: localPath,
      });
    }
    binds.push(target);
  }
  if (binds.length === 0) return {};
  return write ? { writable: binds } : { readOnly: binds };
}

/**
 * The local paths behind a push/pull remote: every URL the repository configures for it (url, or pushurl
 * for a push), else the remote itself as a URL or path. Only a URL given in the request is refused here;
 * a configured one that is not allowed is left to git, which refuses it through GIT_ALLOW_PROTOCOL.
 */
export function remoteLocalPaths(
  scope: RemoteScope,
  entries: readonly ConfigEntry[],
  cwd: string,
  remote: string,
  push: boolean,
): string[] {
  const configured = remoteUrls(entries, remote, push);
  if (configured.length === 0) {
    const local = localRemotePath(remote, cwd, scope.protocols);
    return local === undefined ? [] : [local];
  }
  return configured.flatMap((url) => {
    try {
      const local = localRemotePath(url, cwd, scope.protocols);
      return local === undefined ? [] : [local];
    } catch {
      return [];
    }
  });
}
