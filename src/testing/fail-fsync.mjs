// Preloaded (`node --import`) by tests: every fsync(2) fails as a disk whose write-back failed
// does (EIO), from the process's first sync on. Plain JavaScript so that it loads before tsx.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

fs.fsync = (fd, cb) => process.nextTick(cb, Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO', syscall: 'fsync' }));
syncBuiltinESMExports();
