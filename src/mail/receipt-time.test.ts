import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../testing/app.js';
import { fileReceiptTime, receivedHeaderDate } from './receipt-time.js';

describe('receipt time', () => {
  it('reads the date after the last semicolon, ignoring zone comments', () => {
    expect(receivedHeaderDate('from a by b with ESMTP id 1 for <x@y>; Tue, 20 Jul 2021 10:15:03 +0800 (CST)')?.toISOString()).toBe('2021-07-20T02:15:03.000Z');
    expect(receivedHeaderDate('from a (b; c) by d; 23 Jul 2021 09:12:40 +0800')?.toISOString()).toBe('2021-07-23T01:12:40.000Z');
    expect(receivedHeaderDate('no date here')).toBeNull();
  });

  it('uses the topmost Received header, never Date, and falls back to the file time', async () => {
    const dir = tempDir();
    const withReceived = Buffer.from(
      'Received: by mx.sina.com; Fri, 23 Jul 2021 09:00:00 +0800\r\nReceived: by client; Thu, 22 Jul 2021 20:00:00 +0800\r\nDate: Thu, 22 Jul 2021 20:00:00 +0800\r\nSubject: x\r\n\r\nbody',
    );
    const p1 = join(dir, 'a.eml');
    writeFileSync(p1, withReceived);
    expect(await fileReceiptTime(withReceived, p1)).toEqual({ at: new Date('2021-07-23T01:00:00Z'), basis: 'received-header' });

    const noReceived = Buffer.from('Date: Thu, 22 Jul 2021 20:00:00 +0800\r\nSubject: x\r\n\r\nbody');
    const p2 = join(dir, 'b.eml');
    writeFileSync(p2, noReceived);
    const mtime = new Date('2021-07-24T00:00:00Z');
    utimesSync(p2, mtime, mtime);
    expect(await fileReceiptTime(noReceived, p2)).toEqual({ at: mtime, basis: 'file-mtime' });
  });
});
