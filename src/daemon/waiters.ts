/** One start-up waiting for its answer: settled by whoever takes it out of its map. */
export type Waiter = { resolve: () => void; reject: (e: Error) => void };

/**
 * Puts a waiter under `key` in `pending` and returns its promise. Whoever answers takes it out and
 * settles it; after `ms` without an answer it is taken out and rejected with what `timedOut` returns
 * (which also undoes whatever the caller had set up).
 */
export function waitWithTimeout(
  pending: Map<string, Waiter>,
  key: string,
  ms: number,
  timedOut: () => Error,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(key);
      reject(timedOut());
    }, ms);
    pending.set(key, {
      resolve: () => {
        clearTimeout(timer);
        resolve();
      },
      reject: (e) => {
        clearTimeout(timer);
        reject(e);
      },
    });
  });
}
