/**
 * jose, loaded on first use. Perf: its module graph (some fifty files) is a twentieth of the daemon's start
 * and nothing on the way to listening signs or verifies a token; the daemon preloads it right after it
 * listens, and the first caller that needs it before then waits for the one import.
 */
type Jose = typeof import('jose');

let loading: Promise<Jose> | undefined;

export const loadJose = (): Promise<Jose> => {
  loading ??= import('jose');
  return loading;
};
