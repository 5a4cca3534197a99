import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = fileURLToPath(new URL('./on-exit.ts', import.meta.url));

describe('onProcessExit', () => {
  it('runs every hook at exit through one listener, even when its module is loaded many times', () => {
    // Fresh module instances (as vitest makes per test file) in one process, each registering.
    const script = `
      const before = process.listenerCount('exit');
      const warnings = [];
      process.on('warning', (w) => warnings.push(w.name));
      for (let i = 0; i < 15; i++) {
        const { onProcessExit } = await import(${JSON.stringify(here)} + '?copy=' + i);
        onProcessExit(() => process.stdout.write('hook ' + i + '\\n'));
      }
      {
        const { onProcessExit } = await import(${JSON.stringify(here)});
        onProcessExit(() => { throw new Error('one cleanup fails'); });
        onProcessExit(() => process.stdout.write('after the failing one\\n'));
      }
      process.stdout.write('listeners added ' + (process.listenerCount('exit') - before) + '\\n');
      await new Promise((r) => setTimeout(r, 10));
      process.stdout.write('warnings ' + warnings.length + '\\n');
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines).toContain('listeners added 1');
    expect(lines).toContain('warnings 0');
    expect(lines.filter((l) => l.startsWith('hook '))).toEqual(Array.from({ length: 15 }, (_, i) => `hook ${i}`));
    expect(lines.at(-1)).toBe('after the failing one');
  });
});

describe('the modules that end their children at exit', () => {
  it('add one exit listener between them however often they are loaded', () => {
    const modules = ['../documents/isolated-reader.ts', '../documents/libreoffice.ts', '../testing/dovecot.ts'].map((m) => fileURLToPath(new URL(m, import.meta.url)));
    const script = `
      const before = process.listenerCount('exit');
      const warnings = [];
      process.on('warning', (w) => warnings.push(w.name));
      for (let i = 0; i < 12; i++) for (const m of ${JSON.stringify(modules)}) await import(m + '?copy=' + i);
      await new Promise((r) => setTimeout(r, 10));
      process.stdout.write(JSON.stringify({ added: process.listenerCount('exit') - before, warnings }));
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(r.stdout)).toEqual({ added: 1, warnings: [] });
  });
});
