import { defineConfig } from 'vitest/config';

// `npm run test:webcontainer:live`: the webcontainer flow against the real WebContainer (needs the network
// to reach StackBlitz). Not part of `npm test` or `.ci/run`: its files do not end in `.test.ts`.
export default defineConfig({
  test: {
    include: ['test/live/**/*.live.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
