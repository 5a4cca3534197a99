import type * as SyncToDisk from '../util/sync-to-disk.js';

/**
 * For `vi.mock('../util/sync-to-disk.js', ...)`: the real syncs, each recorded in `events` once it
 * has returned (`sync <path>`, `write <path>` for a file written and synced in one go), so a test
 * can check what reached the disk before what.
 */
export function recordingSyncs(real: typeof SyncToDisk, events: string[]): typeof SyncToDisk {
  return {
    ...real,
    syncToDisk: async (path, opts) => {
      await real.syncToDisk(path, opts);
      events.push(`sync ${path}`);
    },
    writeDurably: async (path, bytes) => {
      await real.writeDurably(path, bytes);
      events.push(`write ${path}`);
    },
  };
}
