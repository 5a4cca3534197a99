// Preloaded (`node --import`) by tests: every fsync(2) fails as a disk whose write-back failed
// does (EIO), from the process's first sync on. Plain JavaScript so that it loads before tsx.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const code = process.env.INTAKE_TEST_FSYNC_ERROR ?? 'EIO';
fs.fsync = (fd, cb) => process.nextTick(cb, Object.assign(new Error(`${code}: i/o error, fsync`), { code, syscall: 'fsync' }));
syncBuiltinESMExports();
