// The benchmark's raw baseline, in its own fresh Node process like intake: imapflow fetches every
// message of the mailbox, mailparser parses it, exceljs and mammoth read its attachments. No
// intake code. Plain JavaScript, so no TypeScript loader is timed. Prints one JSON line with the
// time and CPU since this process started.
import ExcelJS from 'exceljs';
import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import mammoth from 'mammoth';

const { BENCH_IMAP_PORT, BENCH_IMAP_USER, BENCH_IMAP_PASSWORD } = process.env;
const client = new ImapFlow({ host: '127.0.0.1', port: Number(BENCH_IMAP_PORT), secure: false, doSTARTTLS: false, auth: { user: BENCH_IMAP_USER, pass: BENCH_IMAP_PASSWORD }, logger: false });
await client.connect();
const lock = await client.getMailboxLock('INBOX');
let messages = 0;
let attachments = 0;
let cells = 0;
let chars = 0;
try {
  for await (const m of client.fetch('1:*', { uid: true, internalDate: true, source: true })) {
    const parsed = await simpleParser(m.source);
    for (const a of parsed.attachments) {
      if (a.filename?.endsWith('.xlsx')) {
        const wb = new ExcelJS.Workbook();
        await wb.xlsx.load(a.content);
        wb.eachSheet((ws) => ws.eachRow((row) => row.eachCell((c) => void (cells += String(c.text).length > 0 ? 1 : 0))));
      } else if (a.filename?.endsWith('.docx')) {
        chars += (await mammoth.extractRawText({ buffer: a.content })).value.length;
      }
      attachments++;
    }
    messages++;
  }
} finally {
  lock.release();
  await client.logout();
}
const cpu = process.cpuUsage();
process.stdout.write(JSON.stringify({ ms: performance.now(), cpuMs: (cpu.user + cpu.system) / 1000, messages, attachments, cells, chars }) + '\n');
