#!/usr/bin/env node
/**
 * The `intake` command (commands.ts). For `intake run`, the document-reading process is started
 * before the rest of the program is even loaded: its libraries (exceljs, mammoth, SheetJS) take
 * about a second to load, and they then load while this process loads its own (about half a
 * second) instead of after it, so the first message of a deadline-day backlog is read that much
 * sooner. Its settings are read exactly as the service reads them, so the service finds this
 * process in its pool; settings that do not parse start nothing here and are reported by the
 * command.
 */
if (process.argv[2] === 'run' && !process.argv.includes('--help') && !process.argv.includes('-h')) {
  const [{ loadSettings }, { isolatedReaders }] = await Promise.all([import('./config/env.js'), import('./documents/isolated-reader.js')]);
  let settings: ReturnType<typeof loadSettings> | undefined;
  try {
    settings = loadSettings({});
  } catch {
    // Reported by the command itself, with the rest of what is wrong.
  }
  if (settings) for (const reader of isolatedReaders(settings.soffice, settings.readerProcesses)) reader.warm?.();
}
/**
 * A sync that says data did not reach the disk ends the process (sync-to-disk.ts says why): the
 * database and the archive are only trusted again after a restart reads back what the disk holds.
 * A message that was being taken in is still in the mailbox and is taken in again then; nothing
 * is answered meanwhile. Exit code 74 (EX_IOERR) tells a service manager an I/O error ended it.
 */
const [{ whenWriteBackFails }, { createLogger }] = await Promise.all([import('./util/sync-to-disk.js'), import('./log.js')]);
whenWriteBackFails((err) => {
  createLogger().fatal({ path: err.path, code: err.code }, 'a disk sync failed: data written since the last sync may be lost; stopping (start again once the disk is checked)');
  process.exit(74);
});
// `intake messages --json | head -1`: the reader has what it wanted and closed the pipe. Node
// ignores SIGPIPE, so writes fail with EPIPE (then with the stream destroyed). The rest of the
// output has nowhere to go and is dropped; the command still finishes its work (a resend, an
// ingest) and ends with its own exit code (`intake health | grep -q` under pipefail still fails
// for an unreachable mailbox).
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
});
await import('./commands.js');
