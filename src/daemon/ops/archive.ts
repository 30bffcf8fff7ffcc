import * as contract from '../../contracts/archive.js';
import { packArchive, unpackArchive } from '../workspace/archive.js';
import { openContainer } from './container-scope.js';
import { implement } from './op.js';

/** Members per archive, either way. */
const MAX_ENTRIES = 20_000;

export const fileUnpack = implement(contract.fileUnpack, {
  run: async ({ container, path, archive }, ctx) => {
    const c = await openContainer(ctx, container);
    const limits = { maxBytes: ctx.services.config.fileWriteMaxBytes, maxEntries: MAX_ENTRIES };
    return unpackArchive(ctx.services.files, c.root, path, Buffer.from(archive, 'base64'), limits);
  },
});

export const filePack = implement(contract.filePack, {
  run: async ({ container, path }, ctx) => {
    const c = await openContainer(ctx, container);
    const limits = { maxBytes: ctx.services.config.fileWriteMaxBytes, maxEntries: MAX_ENTRIES };
    const { archive, summary, skipped } = await packArchive(c.root, path, limits);
    return { ...summary, archive: archive.toString('base64'), skipped };
  },
});
