import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { onProcessExit } from '../util/on-exit.js';

/** Converts an office file LibreOffice can open into one our libraries read. */
export interface OfficeConverter {
  /** The soffice binary in use, or null when LibreOffice is not available. */
  readonly path: string | null;
  /** Why it is not available ("not installed", "SOFFICE=off"), for error details. */
  readonly unavailableReason: string | null;
  convert(content: Buffer, inputExt: string, to: 'docx' | 'xlsx'): Promise<Buffer>;
}

export class ConversionError extends Error {
  override name = 'ConversionError';
}

/**
 * The private profile every conversion starts from. Macros are switched off outright
 * (DisableMacrosExecution, and the "very high" security level that runs only macros from
 * trusted places, of which there are none), links to other files and the web are never
 * updated (Writer 0 = never; Calc 1 = never), and remote images and links are blocked.
 */
const PROFILE_SETTINGS = `<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Writer/Content/Update"><prop oor:name="Link" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Content/Update"><prop oor:name="Link" oor:op="fuse"><value>1</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
`;

const WELL_KNOWN = ['/usr/bin/soffice', '/usr/lib/libreoffice/program/soffice', '/opt/libreoffice/program/soffice', '/Applications/LibreOffice.app/Contents/MacOS/soffice'];

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where soffice is. `setting` is the SOFFICE environment variable: unset looks on PATH and in
 * the usual install places, "off" disables LibreOffice, anything else is the binary's path.
 */
export function findSoffice(setting: string | undefined, pathEnv = process.env.PATH ?? ''): { path: string | null; reason: string | null } {
  if (setting === 'off') return { path: null, reason: 'LibreOffice is switched off (SOFFICE=off)' };
  if (setting) return executable(setting) ? { path: setting, reason: null } : { path: null, reason: `LibreOffice not found at SOFFICE=${setting}` };
  for (const dir of pathEnv.split(delimiter).filter(Boolean)) {
    for (const name of ['soffice', 'libreoffice']) if (executable(join(dir, name))) return { path: join(dir, name), reason: null };
  }
  const known = WELL_KNOWN.find(executable);
  return known ? { path: known, reason: null } : { path: null, reason: 'LibreOffice (soffice) is not installed' };
}

/**
 * LibreOffice in headless mode, one conversion at a time (each is a whole office process; two
 * at once would only compete for the same cores), each in its own temporary folder with a fresh
 * private profile so that a killed run can never leave a lock that blocks the next one.
 */
export class LibreOfficeConverter implements OfficeConverter {
  private queue: Promise<unknown> = Promise.resolve();
  readonly unavailableReason: string | null;

  constructor(
    readonly path: string | null,
    private readonly opts: { timeoutMs?: number; unavailableReason?: string | null } = {},
  ) {
    this.unavailableReason = path ? null : (opts.unavailableReason ?? 'LibreOffice (soffice) is not installed');
  }

  static fromSetting(setting: string | undefined, opts: { timeoutMs?: number } = {}): LibreOfficeConverter {
    const found = findSoffice(setting);
    return new LibreOfficeConverter(found.path, { ...opts, unavailableReason: found.reason });
  }

  convert(content: Buffer, inputExt: string, to: 'docx' | 'xlsx'): Promise<Buffer> {
    const run = this.queue.then(() => this.convertNow(content, inputExt, to));
    this.queue = run.catch(() => {});
    return run;
  }

  private async convertNow(content: Buffer, inputExt: string, to: 'docx' | 'xlsx'): Promise<Buffer> {
    if (!this.path) throw new ConversionError(this.unavailableReason ?? 'LibreOffice is not available');
    const dir = mkdtempSync(join(tmpdir(), 'intake-soffice-'));
    try {
      const profile = join(dir, 'profile');
      mkdirSync(join(profile, 'user'), { recursive: true });
      writeFileSync(join(profile, 'user', 'registrymodifications.xcu'), PROFILE_SETTINGS);
      const input = join(dir, `input.${/^[a-z0-9]{1,5}$/i.test(inputExt) ? inputExt : 'bin'}`);
      const outdir = join(dir, 'out');
      writeFileSync(input, content);
      const args = ['--headless', '--invisible', '--norestore', '--nologo', '--nodefault', '--nolockcheck', `-env:UserInstallation=${pathToFileURL(profile).href}`, '--convert-to', to, '--outdir', outdir, input];
      const { code, stderr, timedOut } = await runGroup(this.path, args, this.opts.timeoutMs ?? 60_000, { ...process.env, HOME: dir, SAL_USE_VCLPLUGIN: 'svp' });
      if (timedOut) throw new ConversionError(`LibreOffice did not finish within ${Math.round((this.opts.timeoutMs ?? 60_000) / 1000)} s`);
      const output = join(outdir, `input.${to}`);
      if (!existsSync(output)) throw new ConversionError(`LibreOffice could not convert it (exit ${code}${stderr.trim() ? `: ${stderr.trim().split('\n').pop()}` : ''})`);
      return readFileSync(output);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/**
 * GNU coreutils' timeout, when there is one (see runGroup); looked up at the first conversion.
 * Only GNU's: BusyBox's kills the command alone, not the office processes it started. A check
 * that could not run (EAGAIN on a loaded machine) is not kept: the next conversion asks again.
 */
let groupTimeout: string | null | undefined;
function gnuTimeout(): string | null {
  if (groupTimeout !== undefined) return groupTimeout;
  const bin = ['/usr/bin/timeout', '/bin/timeout'].find(executable) ?? null;
  if (!bin) return (groupTimeout = null);
  const check = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 5000 });
  if (check.error || check.status !== 0) return null;
  return (groupTimeout = check.stdout.includes('GNU coreutils') ? bin : null);
}

/** Process groups of conversions running in this process: ended with it (see runGroup). */
const liveGroups = new Set<number>();
onProcessExit(() => {
  for (const pgid of liveGroups) killGroup(pgid);
});

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/**
 * Runs a command in its own process group and kills the whole group on timeout: soffice is a
 * launcher (oosplash) around soffice.bin, and killing only the launcher leaves the office running.
 * The group must not outlive the reading process that started it either, which may itself be
 * killed (a file over its time limit, the service exiting) with no chance to clean up: the
 * command runs under coreutils' timeout, which leads the group and SIGKILLs all of it a little
 * after our own limit, whoever is left to watch.
 */
function runGroup(cmd: string, args: string[], timeoutMs: number, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const timeout = gnuTimeout();
    const [file, argv] = timeout ? [timeout, ['-s', 'KILL', String(Math.ceil(timeoutMs / 1000) + 2), cmd, ...args]] : [cmd, args];
    const child = spawn(file, argv, { detached: true, stdio: ['ignore', 'ignore', 'pipe'], env });
    const pgid = child.pid;
    if (pgid) liveGroups.add(pgid);
    let stderr = '';
    let timedOut = false;
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 4000) stderr += d.toString('utf8');
    });
    const kill = () => {
      if (pgid) killGroup(pgid);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      if (pgid) liveGroups.delete(pgid);
      reject(new ConversionError(`LibreOffice could not be started: ${err.message}`));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      // Anything the office left behind in its group goes too.
      kill();
      if (pgid) liveGroups.delete(pgid);
      resolve({ code, stderr: stderr.replace(/^Warning: failed to launch javaldx.*\n?/gm, ''), timedOut });
    });
  });
}
