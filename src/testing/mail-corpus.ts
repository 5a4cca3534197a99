import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import iconv from 'iconv-lite';
import { sharedPath } from './app.js';
import { buildMail } from './mail.js';

/**
 * Test material only: every message of the shared third-party mail corpus
 * (../shared/corpora/mail), as intake would receive it, plus messages built from CPython's CJK
 * encoding samples. Loaded lazily, one at a time, so a run never holds the corpus in memory.
 */

export interface CorpusMessage {
  /** Where it came from, relative to corpora/mail ("mbox#3" for the third message of an mbox). */
  id: string;
  load(): Buffer;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** mbox: messages separated by "From " lines at the start of a line (mboxrd quoting undone). */
export function splitMbox(raw: Buffer): Buffer[] {
  const text = raw.toString('latin1');
  const starts: number[] = [];
  const re = /^From [^\r\n]*\r?\n/gm;
  for (const m of text.matchAll(re)) starts.push(m.index);
  if (starts.length === 0) return [raw];
  return starts.map((s, i) => {
    const chunk = text.slice(s, starts[i + 1] ?? text.length).replace(/^From [^\r\n]*\r?\n/, '').replace(/^>(>*From )/gm, '$1');
    return Buffer.from(chunk, 'latin1');
  });
}

const TNEF_NAME = /\.tnef$|(^|\/)winmail\.dat$/i;
const MESSAGE_FILE = /\.eml$|(^|\/)cpython-test_email\/msg_\d+[a-z]?\.txt$|(^|\/)spamscope-mail-parser\/tests\/mails\/mail_test_\d+$|(^|\/)jsmime\/test\/unit\/data\/charsets$/i;

export function mailCorpus(): CorpusMessage[] {
  const root = sharedPath('corpora', 'mail');
  const out: CorpusMessage[] = [];
  for (const path of walk(root).sort()) {
    const id = relative(root, path);
    if (MESSAGE_FILE.test(id)) out.push({ id, load: () => readFileSync(path) });
    else if (/\.mbox$/i.test(id)) {
      const n = splitMbox(readFileSync(path)).length;
      for (let i = 0; i < n; i++) out.push({ id: `${id}#${i + 1}`, load: () => splitMbox(readFileSync(path))[i]! });
    } else if (TNEF_NAME.test(id) && statSync(path).size > 0) {
      // A winmail.dat arrives as an attachment of an Outlook message.
      out.push({
        id,
        load: () =>
          buildMail({
            from: { name: 'Outlook', address: 'sender@example.com' },
            subject: `TNEF ${id}`,
            messageId: `<tnef-${out.length}@example.com>`,
            date: new Date('2021-07-15T00:00:00Z'),
            received: new Date('2021-07-15T00:00:05Z'),
            text: 'See attachment',
            attachments: [{ filename: 'winmail.dat', content: readFileSync(path), contentType: 'application/ms-tnef', nameEncoding: 'ascii' }],
          }),
      });
    }
  }
  return out;
}

export interface CjkSample {
  charset: string;
  /** The sample's bytes in its charset. */
  bytes: Buffer;
  /** The same text, from its UTF-8 twin. */
  text: string;
}

/** CPython's CJK encoding samples with their UTF-8 twins (HZ is left out: iconv-lite has no HZ). */
export function cjkSamples(): CjkSample[] {
  const dir = sharedPath('corpora', 'mail', 'cpython-cjkencodings');
  return ['gb2312', 'gbk', 'gb18030', 'big5', 'big5hkscs'].map((charset) => ({
    charset,
    bytes: readFileSync(join(dir, `${charset}.txt`)),
    text: readFileSync(join(dir, `${charset}-utf8.txt`), 'utf8'),
  }));
}

export interface CjkCase {
  id: string;
  raw: Buffer;
  /** What the body, the subject and the attachment's name must decode to. */
  text: string;
  subject: string;
  filename: string;
}

const CRLF = '\r\n';

/**
 * Each sample sent the ways mail really labels it: correctly, with GB2312 on GBK/GB18030 text,
 * as UTF-8 when it is not, with no charset at all, and with raw 8-bit subject and file name.
 */
export function cjkCases(): CjkCase[] {
  const out: CjkCase[] = [];
  for (const s of cjkSamples()) {
    const firstLine = s.text.split('\n')[0]!.trim().slice(0, 20).trim();
    const subjectBytes = iconv.encode(firstLine, s.charset);
    const filename = `${firstLine.slice(0, 8)}.txt`;
    const nameBytes = iconv.encode(filename, s.charset);
    const gb = s.charset.startsWith('gb');
    const labels: Array<[string, string | null]> = [
      ['labelled', s.charset],
      ...(gb ? ([['labelled-gb2312', 'gb2312'], ['labelled-utf8', 'utf-8'], ['unlabelled', null]] as Array<[string, string | null]>) : []),
    ];
    for (const [how, label] of labels) {
      const word = (b: Buffer) => `=?${label ?? s.charset}?B?${b.toString('base64')}?=`;
      const headers = [
        'From: sender@example.com',
        'To: jjszjjb@sina.com',
        // Correct labels travel in encoded words; without one, the bytes are raw 8-bit.
        label && label !== 'utf-8' ? `Subject: ${word(subjectBytes)}` : `Subject: ${subjectBytes.toString('latin1')}`,
        `Message-ID: <cjk-${s.charset}-${how}@example.com>`,
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b"',
      ];
      const body = [
        '--b',
        `Content-Type: text/plain${label ? `; charset=${label}` : ''}`,
        'Content-Transfer-Encoding: 8bit',
        '',
        s.bytes.toString('latin1'),
        '--b',
        `Content-Type: text/plain; name="${label && label !== 'utf-8' ? word(nameBytes) : nameBytes.toString('latin1')}"`,
        `Content-Disposition: attachment; filename="${label && label !== 'utf-8' ? word(nameBytes) : nameBytes.toString('latin1')}"`,
        'Content-Transfer-Encoding: base64',
        '',
        s.bytes.toString('base64'),
        '--b--',
        '',
      ];
      out.push({ id: `cjk:${s.charset}:${how}`, raw: Buffer.from([...headers, '', ...body].join(CRLF), 'latin1'), text: s.text, subject: firstLine, filename });
    }
  }
  return out;
}
