import { ValidationError } from '../errors.js';

/**
 * Security: names a client gives git (branches, revisions, refspecs, remotes) are checked before git sees
 * them, and passed after `--end-of-options` (or before `--`), so none can be read as an option such as
 * `--upload-pack=<program>`. These are pure functions; git.ts applies them.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f]/;

function refuse(what: string, value: string, why: string): never {
  throw new ValidationError(`${what} ${why}`, { [what]: value });
}

/** A branch name as `git check-ref-format --branch` accepts it (without the `@{-n}` shorthand). */
export function assertBranchName(name: string, what = 'branch'): string {
  if (name.startsWith('-')) refuse(what, name, 'must not start with -');
  if (name === '' || name === '@' || name === 'HEAD') refuse(what, name, 'is not a valid branch name');
  if (CONTROL_OR_SPACE.test(name) || /[~^:?*[\\]/.test(name)) refuse(what, name, 'contains a character git refuses');
  if (name.includes('..') || name.includes('@{') || name.includes('//')) refuse(what, name, 'is not a valid ref name');
  if (name.startsWith('/') || name.endsWith('/') || name.endsWith('.')) refuse(what, name, 'is not a valid ref name');
  for (const part of name.split('/')) {
    if (part.startsWith('.') || part.endsWith('.lock')) refuse(what, name, 'is not a valid ref name');
  }
  return name;
}

/** A revision (branch, tag, hash, `HEAD~2`, `origin/main`): no option shape, no spaces or control characters. */
export function assertRevision(rev: string, what = 'ref'): string {
  if (rev.startsWith('-')) refuse(what, rev, 'must not start with -');
  if (rev === '' || CONTROL_OR_SPACE.test(rev)) refuse(what, rev, 'is not a valid revision');
  return rev;
}

/** A push or pull refspec: `[+]<src>[:<dst>]`, each side a revision or empty. */
export function assertRefspec(spec: string, what = 'branch'): string {
  if (spec.startsWith('-')) refuse(what, spec, 'must not start with -');
  const body = spec.startsWith('+') ? spec.slice(1) : spec;
  const sides = body.split(':');
  if (body === '' || sides.length > 2) refuse(what, spec, 'is not a valid refspec');
  for (const side of sides) if (side !== '') assertRevision(side, what);
  return spec;
}

/** A remote: a configured name, or a URL or path (checked against the allowed transports elsewhere). */
export function assertRemote(remote: string): string {
  if (remote.startsWith('-')) refuse('remote', remote, 'must not start with -');
  if (remote === '' || CONTROL_OR_SPACE.test(remote)) refuse('remote', remote, 'is not a valid remote');
  return remote;
}
