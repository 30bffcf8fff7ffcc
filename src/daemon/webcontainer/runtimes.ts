/**
 * Where a container's commands run: `sandbox` (on this host, in its live bubblewrap sandbox when there is
 * one) or `webcontainer` (in a browser page attached to the daemon over Socket.IO; nothing runs here).
 */
export const RUNTIMES = ['sandbox', 'webcontainer'] as const;
export type Runtime = (typeof RUNTIMES)[number];

/** A stored value this version does not know runs nothing on the host (fail closed). */
export const asRuntime = (v: string): Runtime => (v === 'sandbox' ? 'sandbox' : 'webcontainer');
