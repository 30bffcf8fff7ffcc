import type { Logger } from './log.js';

export type UncaughtKind = 'exception' | 'rejection';

/**
 * The last line of defence for a daemon that serves many users: an error thrown in a stream, timer or
 * event callback (where no request handler can catch it) is logged with its stack and counted, and the
 * daemon keeps serving; only the operation that threw is lost. Installed by startDaemon at run time,
 * never at import; returns the uninstaller.
 */
export function installProcessGuard(log: Logger, count: (kind: UncaughtKind) => void = () => {}): () => void {
  const onException = (err: unknown) => {
    count('exception');
    log.error({ err }, 'uncaught exception in a callback; that operation failed, the daemon keeps serving');
  };
  const onRejection = (reason: unknown) => {
    count('rejection');
    log.error({ err: reason }, 'unhandled promise rejection; that operation failed, the daemon keeps serving');
  };
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
