import type { Runtime } from '../../contracts/vocabulary.js';

export { RUNTIMES, type Runtime } from '../../contracts/vocabulary.js';

/** A stored value this version does not know runs nothing on the host (fail closed). */
export const asRuntime = (v: string): Runtime => (v === 'sandbox' ? 'sandbox' : 'webcontainer');
