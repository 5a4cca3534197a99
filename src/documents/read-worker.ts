/**
 * The child process that reads documents for isolated-reader.ts. Hostile files are parsed here,
 * where a hang can be killed and a memory blow-up only ends this process.
 */
import { UnreadableError } from '../containers/budget.js';
import type { FileFormat } from '../mail/file-format.js';
import { LibreOfficeConverter } from './libreoffice.js';
import { loadPdfJs } from './pdf-reader.js';
import { documentReaders, readDocument } from './registry.js';

export interface ReadRequest {
  id: number;
  format: FileFormat;
  filename: string;
  content: Uint8Array;
  hints?: import('./reader.js').ReadHints;
}

export type ReadResponse =
  | { id: number; ok: import('./reader.js').DocumentContent }
  | { id: number; error: { unreadable: boolean; code: string; message: string; detail?: string } };

// Libraries here write diagnostics to the console (SheetJS: "Missing Info for XLS Record …",
// pdf.js: font warnings). The service's stderr is JSON log lines; keep them out of it.
for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) console[level] = () => {};

const soffice = process.env.INTAKE_READER_SOFFICE ?? '';
const converter = new LibreOfficeConverter(soffice === '' ? null : soffice, {
  timeoutMs: Number(process.env.INTAKE_READER_SOFFICE_TIMEOUT_MS ?? 60_000),
  unavailableReason: process.env.INTAKE_READER_SOFFICE_REASON || null,
});
const readers = documentReaders(converter);

// One file at a time, in the order sent: the service counts a file's time limit from when the
// one before it is answered, and blames a crash on the file being read. The next file waits until
// the answer has left this process: a large answer (a long text, a 2,000-row sheet) is written to
// the channel in parts between turns of the event loop, and a file that then blocks the loop or
// crashes the process would hold it back or lose it with the process.
const answer = (r: ReadResponse) => new Promise<void>((resolve) => void process.send!(r, undefined, undefined, () => resolve()));
let reading: Promise<void> = Promise.resolve();
process.on('message', (m: ReadRequest) => {
  reading = reading
    .then(() =>
      readDocument(readers, m.format, Buffer.from(m.content.buffer, m.content.byteOffset, m.content.length), m.filename, m.hints).then(
        (ok) => answer({ id: m.id, ok }),
        (err: unknown) => {
          const e = err as Error;
          const error =
            err instanceof UnreadableError
              ? { unreadable: true, code: err.code, message: err.message, ...(err.detail ? { detail: err.detail } : {}) }
              : { unreadable: false, code: 'reader-failed', message: '文件读取失败', detail: `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}` };
          return answer({ id: m.id, error });
        },
      ),
    )
    // An answer that cannot even be sent: end, so the service names this file at once rather than
    // waiting out its time limit.
    .catch(() => process.exit(1));
});
// The service went away: nothing is left to read for.
process.on('disconnect', () => process.exit(0));
// Ctrl-C in a terminal signals the whole foreground process group, and a service manager's stop
// signals every process of the unit; the service then finishes the message in flight, whose files
// this process may be reading. So it ends only with the service: at once if the service is
// already gone, else when the channel closes. (A file stuck in synchronous code holds a signal's
// handler back too: the service's time limit ends it, and so does the service's exit.)
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void (process.connected || process.exit(0)));
// Loading pdf.js takes seconds on a busy machine; done here it is not charged to the first PDF's time limit.
if (process.env.INTAKE_READER_PRELOAD === '1') await loadPdfJs();
process.send!({ id: 0, ready: true });
