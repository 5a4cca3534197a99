import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO } from '../testing/app.js';
import { SERVICE_V8_FLAGS } from './v8-flags.js';

describe('the service processes run with SERVICE_V8_FLAGS', () => {
  it('npm start passes them to `intake run`', () => {
    const start = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start!;
    expect(start).toContain(`node ${SERVICE_V8_FLAGS.join(' ')} dist/cli.js run`);
  });

  it('the Docker image passes them to its entry point', () => {
    const entry = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(join(REPO, 'Dockerfile'), 'utf8'))?.[1];
    expect(JSON.parse(entry ?? 'null')).toEqual(['node', ...SERVICE_V8_FLAGS, '/app/dist/cli.js']);
  });

  it('this Node accepts them', async () => {
    // Async: a synchronous spawn blocks vitest's worker.
    const { stdout } = await promisify(execFile)(process.execPath, [...SERVICE_V8_FLAGS, '-e', 'process.stdout.write("ok")'], { encoding: 'utf8' });
    expect(stdout).toBe('ok');
  });
});
