import { DiscoError } from '../errors.js';

/**
 * Security: git is code. A repository's config names programs git runs (filters, diff and merge drivers,
 * hooks, editors, pagers, signing programs, credential helpers, transport commands), and the repository
 * belongs to the container. Ops with the `git` scope must run none of them. Three layers, each complete
 * for what it covers:
 *
 * 1. Keys with one fixed name are overridden on the command line (`-c`, which wins over every config file;
 *    git also passes it on to the git processes it starts): FIXED_OVERRIDES, plus flags per command
 *    (`--no-ext-diff --no-textconv`, `--no-verify`, `--no-gpg-sign`, `--no-recurse-submodules`,
 *    `--ignore-submodules=all`) and the environment (editors `:`, GIT_ALLOW_PROTOCOL, no system or global config).
 * 2. Keys whose name carries a driver or remote the repository chooses (`filter.<x>.*`, `diff.<x>.*`,
 *    `merge.<x>.driver`, `remote.<x>.uploadpack`/`receivepack`) are read from the repository's config (by
 *    git itself, in the same sandbox as the op, includes off) right before each git command, and each one
 *    found is overridden with an inert value on that command's line (repoConfigOverrides).
 * 3. What cannot be overridden is refused: `include.*`/`includeIf.*` (they pull in files whose keys layer 2
 *    would not see), `url.*` (rewrites a remote after Disco checked it), transport settings (`http.*` but a
 *    few harmless ones, `remote.<x>.proxy`, `remote.<x>.vcs`) and `core.worktree` (moves the work tree).
 *
 * On the remote side of a local (file) transport git starts upload-pack/receive-pack in the other
 * repository and drops our `-c` there, so that command is ours too (REMOTE_PROGRAMS): no hooks, no
 * fsmonitor, no alternate-refs command, no checkout of a pushed branch.
 *
 * Residual: layer 2 reads the config, then git reads it again; a process writing .git/config between the
 * two could add a driver. Such a program runs in the container's sandbox, with the rights the container's
 * own commands have (docs/security/git.md).
 */
export const FIXED_OVERRIDES: readonly string[] = [
  'core.quotepath=false',
  'core.hooksPath=/dev/null',
  'core.fsmonitor=false',
  'core.pager=cat',
  'core.alternateRefsCommand=',
  'credential.helper=',
  'commit.gpgSign=false',
  'tag.gpgSign=false',
  'push.gpgSign=false',
  'log.showSignature=false',
  'merge.verifySignatures=false',
  'pull.rebase=false',
  'submodule.recurse=false',
  'fetch.recurseSubmodules=false',
  'push.recurseSubmodules=no',
  'diff.ignoreSubmodules=all',
  'status.submoduleSummary=false',
  'gc.auto=0',
  'maintenance.auto=false',
];

/** Sent as --upload-pack/--receive-pack: what git runs in the other repository of a local remote. */
const REMOTE_SIDE = [
  'git',
  '-c core.hooksPath=/dev/null',
  '-c core.fsmonitor=false',
  '-c core.alternateRefsCommand=',
  '-c receive.denyCurrentBranch=refuse',
  '-c receive.autogc=false',
  '-c gc.auto=0',
].join(' ');
export const REMOTE_PROGRAMS = {
  uploadPack: `${REMOTE_SIDE} upload-pack`,
  receivePack: `${REMOTE_SIDE} receive-pack`,
} as const;

export interface ConfigEntry {
  scope: string;
  key: string;
  value: string | null;
}

/** Parses `git config --list -z --show-scope`: `scope NUL key LF value NUL` (no LF when valueless). */
export function parseConfigList(out: string): ConfigEntry[] {
  const parts = out.split('\0');
  const entries: ConfigEntry[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const scope = parts[i] ?? '';
    const item = parts[i + 1] ?? '';
    const nl = item.indexOf('\n');
    entries.push(
      nl < 0 ? { scope, key: item, value: null } : { scope, key: item.slice(0, nl), value: item.slice(nl + 1) },
    );
  }
  return entries;
}

/** `section.sub.section.key` → parts; git lower-cases section and key, keeps the subsection. */
export function splitKey(key: string): { section: string; sub: string | null; name: string } {
  const first = key.indexOf('.');
  const last = key.lastIndexOf('.');
  if (first < 0) return { section: key.toLowerCase(), sub: null, name: '' };
  return {
    section: key.slice(0, first).toLowerCase(),
    sub: first === last ? null : key.slice(first + 1, last),
    name: key.slice(last + 1).toLowerCase(),
  };
}

/** http.* settings that only tune the transfer; every other one is refused. */
const HARMLESS_HTTP = new Set(['postbuffer', 'lowspeedlimit', 'lowspeedtime', 'version', 'maxrequests', 'minsessions']);

function refusal(key: string): string | undefined {
  const { section, sub, name } = splitKey(key);
  if (section === 'include' || section === 'includeif') return 'it includes another config file';
  if (section === 'url') return 'it rewrites remote URLs';
  if (section === 'http' && !HARMLESS_HTTP.has(name)) return 'it changes how git reaches remotes';
  if (section === 'remote' && sub !== null && (name === 'proxy' || name === 'vcs')) return 'it changes a transport';
  if (section === 'core' && name === 'worktree') return 'it moves the work tree';
  return undefined;
}

/**
 * The `-c` arguments that make this repository's named drivers inert; throws `command_refused` for a key
 * that cannot be made inert. Only the repository's own scopes count (local, worktree).
 */
export function repoConfigOverrides(entries: readonly ConfigEntry[]): string[] {
  const out = new Set<string>();
  for (const e of entries) {
    if (e.scope !== 'local' && e.scope !== 'worktree') continue;
    const why = refusal(e.key);
    if (why) {
      throw new DiscoError(
        'command_refused',
        `the repository's git config sets ${e.key}, which Disco refuses: ${why}`,
        {
          key: e.key,
        },
      );
    }
    const { section, sub } = splitKey(e.key);
    if (sub === null) continue;
    if (section === 'filter') {
      for (const k of ['clean=', 'smudge=', 'process=', 'required=false']) out.add(`filter.${sub}.${k}`);
    } else if (section === 'diff') {
      out.add(`diff.${sub}.textconv=`);
      out.add(`diff.${sub}.command=`);
    } else if (section === 'merge') {
      out.add(`merge.${sub}.driver=`);
    } else if (section === 'remote') {
      out.add(`remote.${sub}.uploadpack=${REMOTE_PROGRAMS.uploadPack}`);
      out.add(`remote.${sub}.receivepack=${REMOTE_PROGRAMS.receivePack}`);
    }
  }
  return [...out].flatMap((kv) => ['-c', kv]);
}

/** Every URL git would use for a configured remote (fetch, or push: pushurl when set, else url). */
export function remoteUrls(entries: readonly ConfigEntry[], remote: string, push: boolean): string[] {
  const values = (name: string) =>
    entries
      .filter((e) => {
        const k = splitKey(e.key);
        return k.section === 'remote' && k.sub === remote && k.name === name && e.value !== null;
      })
      .map((e) => e.value as string);
  const pushUrls = push ? values('pushurl') : [];
  return pushUrls.length > 0 ? pushUrls : values('url');
}
