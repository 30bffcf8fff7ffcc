import type { ErrorCode } from '../errors.js';

/** The surface an op was called through. */
export type Transport = 'rest' | 'mcp';

/**
 * Told about every op invocation once it ends (metrics). Ops know this interface, never prom-client.
 * `errorCode` is undefined on success.
 */
export interface OpObserver {
  opDone(op: string, transport: Transport, seconds: number, errorCode: ErrorCode | undefined): void;
}
