/**
 * One error model for every surface: REST answers `{ error: { code, message, details? } }` with `status`,
 * MCP answers a tool result with `isError: true` carrying the same code and message.
 */
export const ERROR_STATUS = {
  validation_failed: 400,
  invalid_path: 400,
  path_outside_workspace: 400,
  not_a_file: 400,
  not_a_directory: 400,
  command_not_found: 400,
  /** The program is there but may not run (no execute permission): a shell's 126. */
  not_executable: 400,
  unauthorized: 401,
  forbidden: 403,
  command_refused: 403,
  sandbox_required: 403,
  not_found: 404,
  conflict: 409,
  /** Nothing listens on the container port a preview or connection asked for. */
  port_closed: 409,
  /** A browser element ref from an older snapshot, or an element that is gone. */
  stale_ref: 409,
  /** A browser element that is covered, hidden or disabled, so it cannot be acted on. */
  not_actionable: 409,
  /**
   * The op exists but this container's runtime cannot do it (git in the webcontainer runtime). 409, not
   * 501: it is a property of the target container (others support the op), not a server without the feature.
   */
  unsupported: 409,
  too_large: 413,
  git_failed: 422,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
  /** A bounded wait (a navigation, an element, a browser condition) ran out. */
  timeout: 504,
  no_space: 507,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class DiscoError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'DiscoError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toBody(): ErrorBody {
    return {
      error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) },
    };
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

export class ValidationError extends DiscoError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('validation_failed', message, details);
  }
}

export class NotFoundError extends DiscoError {
  constructor(what: string, details?: Record<string, unknown>) {
    super('not_found', `${what} not found`, details);
  }
}

export class InvalidPathError extends DiscoError {
  constructor(message: string, path?: string) {
    super('invalid_path', message, path === undefined ? undefined : { path });
  }
}

export class PathOutsideWorkspaceError extends DiscoError {
  constructor(path: string) {
    super('path_outside_workspace', `path '${path}' resolves outside the container workspace`, { path });
  }
}

export class ConflictError extends DiscoError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('conflict', message, details);
  }
}

export class TooLargeError extends DiscoError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('too_large', message, details);
  }
}

/** A size as messages show it: `512 B`, `9.8 KiB`, `25 MiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/**
 * Over the write limit (`DISCO_FILE_WRITE_MAX_BYTES`), with one wording wherever it is found: a file write,
 * an archive to unpack, or a request body too large to parse (`requestLimit`: the body limit, which is
 * derived from the write limit).
 */
export class WriteLimitError extends TooLargeError {
  constructor(limit: number, found: { size?: number; what?: string; requestLimit?: number } = {}) {
    const { size, what = 'content', requestLimit } = found;
    // Sizes that round alike (65537 and 65536 bytes are both 64 KiB) are shown exactly.
    const exact = size !== undefined && formatBytes(size) === formatBytes(limit);
    const over = exact ? `over the ${limit}-byte write limit` : `over the ${formatBytes(limit)} write limit`;
    super(
      size !== undefined
        ? `${what} is ${exact ? `${size} bytes` : formatBytes(size)}, ${over}`
        : `${what} is ${over}${requestLimit ? ` (the request body is over ${formatBytes(requestLimit)})` : ''}`,
      { ...(size === undefined ? {} : { size }), limit },
    );
  }
}

export class UnauthorizedError extends DiscoError {
  constructor(message = 'a valid bearer token is required') {
    super('unauthorized', message);
  }
}

export class ForbiddenError extends DiscoError {
  constructor(message: string) {
    super('forbidden', message);
  }
}

/** Storage is full (ENOSPC, a quota, the daemon's reserve, SQLITE_FULL): 507, retry once space is freed. */
export class NoSpaceError extends DiscoError {
  constructor(message = 'no space left for this write; free some space and retry', details?: Record<string, unknown>) {
    super('no_space', message, details);
  }
}

/** Errno and SQLite codes meaning the storage is full or failing; their text never reaches a client. */
export function fromStorageError(err: unknown): DiscoError | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return undefined;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL') return new NoSpaceError();
  if (code === 'EIO' || code.startsWith('SQLITE_IOERR'))
    return new DiscoError('unavailable', 'storage I/O error; retry later');
  return undefined;
}

/** Maps anything thrown to a DiscoError; unknown errors become `internal` without leaking their text. */
export function toDiscoError(err: unknown): DiscoError {
  if (err instanceof DiscoError) return err;
  return fromStorageError(err) ?? new DiscoError('internal', 'internal error');
}

/** Node's errno codes that have a clear meaning for a client, mapped to our codes. */
export function fromErrno(err: unknown, path: string): DiscoError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return new NotFoundError(`'${path}'`, { path });
    case 'EEXIST':
    case 'ENOTEMPTY':
      return new ConflictError(`'${path}' already exists or is not empty`, { path });
    case 'ENOTDIR':
      return new DiscoError('not_a_directory', `a parent of '${path}' is not a directory`, { path });
    case 'EISDIR':
      return new DiscoError('not_a_file', `'${path}' is a directory`, { path });
    case 'ENAMETOOLONG':
      return new InvalidPathError(`'${path}' is too long`, path);
    case 'EINVAL':
      return new InvalidPathError(`invalid operation on '${path}'`, path);
    case 'EACCES':
    case 'EPERM':
      return new DiscoError('forbidden', `permission denied on '${path}'`, { path });
    default:
      return toDiscoError(err);
  }
}
