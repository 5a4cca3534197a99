import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, tempDir } from '../testing/app.js';
import { runCli } from '../testing/cli.js';

describe('intake messages --json on containers and unreadable files', { timeout: 120_000 }, () => {
  it('shows where each file was found, its real format and the named error', async () => {
    const data = tempDir();
    const files = [join(REPO, 'fixtures', 'containers', 'zip-gbk-nested.eml'), join(REPO, 'fixtures', 'hostile', 'encrypted-and-truncated-archives.eml'), join(REPO, 'fixtures', 'encodings', 'unknown-charset-html.eml')];
    expect((await runCli(['ingest', ...files, '--data', data])).status).toBe(0);
    const byFile = new Map(
      (await runCli(['messages', '--json', '--data', data])).stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { source: string; documents: Array<Record<string, unknown>>; links: string[]; reply: string })
        .map((m) => [m.source.split('/').pop(), m]),
    );
    expect(byFile.get('zip-gbk-nested.eml')!.documents).toEqual([
      expect.objectContaining({ filename: '濂溪区参赛报名表.xlsx', path: '濂溪区参赛材料.zip / 濂溪区参赛材料 / 一、报名表 / 濂溪区参赛报名表.xlsx', format: 'xlsx', kind: 'registration', readable: true }),
      expect.objectContaining({ filename: '附件2：竞赛实施方案.docx', path: '濂溪区参赛材料.zip / 濂溪区参赛材料 / 二、方案 / 方案压缩包.zip / 附件2：竞赛实施方案.docx', format: 'docx', kind: 'plan', readable: true }),
    ]);
    const enc = byFile.get('encrypted-and-truncated-archives.eml')!.documents;
    expect(enc.map((d) => [d.path, d.format, d.errorCode])).toEqual([
      ['加密.zip / 报名表.xlsx', 'unknown', 'encrypted'],
      ['加密.rar', 'rar', 'encrypted'],
      ['加密.7z', '7z', 'encrypted'],
      ['损坏.zip', 'zip', 'corrupt-archive'],
      ['不是压缩包.rar', 'rar', 'corrupt-archive'],
    ]);
    expect(enc[0]).toMatchObject({ readable: false, error: expect.stringMatching(/^encrypted: 文件已加密/) });
    const links = byFile.get('unknown-charset-html.eml')!;
    expect(links.links).toEqual(['https://mail.qq.com/cgi-bin/ftnExs_download?k=0a3b5c7d&t=exs_ftn_download&code=1f2e']);
    expect(links.reply).toBe('review');
  });
});
