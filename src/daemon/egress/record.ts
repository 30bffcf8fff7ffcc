import type { AuditRecord } from '../db/audit-repo.js';
import type { RefusalCode } from './policy.js';

export type EgressProtocol = 'connect' | 'http' | 'socks5';

/** One egress connection (or, for plain HTTP, one forwarded request) as counted. */
export interface EgressRecord {
  containerId: string;
  protocol: EgressProtocol;
  host: string;
  port: number;
  /** The address connected to; null when refused before or without one. */
  address: string | null;
  bytesUp: number;
  bytesDown: number;
  durationMs: number;
  outcome: 'ok' | 'refused' | 'error';
  /** Refusal code or connection error code. */
  code?: RefusalCode | string;
  reason?: string;
}

/** Who hears about each connection: Metrics implements it. */
export interface EgressObserver {
  egressDone(r: EgressRecord): void;
  /** Connections dropped unread because the container held too many (counted, never audited one by one). */
  egressThrottled(containerId: string, code: RefusalCode): void;
}

/** The audit row of one connection: action `egress.connect`, target the container. */
export function auditOf(r: EgressRecord): AuditRecord {
  return {
    userId: null,
    action: 'egress.connect',
    target: r.containerId,
    outcome: r.outcome === 'ok' ? 'ok' : r.outcome === 'refused' ? 'denied' : 'failed',
    via: 'egress',
    ip: null,
    userAgent: null,
    detail: {
      protocol: r.protocol,
      host: r.host.slice(0, 255),
      port: r.port,
      address: r.address,
      bytesUp: r.bytesUp,
      bytesDown: r.bytesDown,
      durationMs: Math.round(r.durationMs),
      ...(r.code ? { code: r.code } : {}),
      ...(r.reason ? { reason: r.reason.slice(0, 300) } : {}),
    },
  };
}

/** Rate-limit refusals of one container summed over a minute: one audit row, not one per attempt. */
export function auditThrottled(containerId: string, counts: Map<string, number>): AuditRecord {
  return {
    userId: null,
    action: 'egress.throttled',
    target: containerId,
    outcome: 'denied',
    via: 'egress',
    ip: null,
    userAgent: null,
    detail: Object.fromEntries(counts),
  };
}

/** A connection as handed to the counter: the record without its duration, and when it started. */
export type CountedRecord = Omit<EgressRecord, 'durationMs'> & { startedAt: number };

/** The count of a connection refused before it reached any address. */
export function refusedRecord(
  base: Pick<EgressRecord, 'containerId' | 'protocol' | 'host' | 'port'>,
  code: RefusalCode | string,
  reason: string,
  startedAt: number,
): CountedRecord {
  return { ...base, address: null, bytesUp: 0, bytesDown: 0, outcome: 'refused', code, reason, startedAt };
}

/** The count of a connection whose dial failed (`address`: the last one tried, if any). */
export function failedRecord(
  base: Pick<EgressRecord, 'containerId' | 'protocol' | 'host' | 'port'>,
  error: { code: string; address: string; message: string },
  startedAt: number,
): CountedRecord {
  const { code, address, message } = error;
  return {
    ...base,
    address: address || null,
    bytesUp: 0,
    bytesDown: 0,
    outcome: 'error',
    code,
    reason: message,
    startedAt,
  };
}
