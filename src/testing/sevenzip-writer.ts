import sevenZipPackage, { type SevenZipModuleFactory } from '7z-wasm';
import type { NamedContent } from './archives.js';

const SevenZip = ((sevenZipPackage as unknown as { default?: SevenZipModuleFactory }).default ?? sevenZipPackage) as unknown as SevenZipModuleFactory;

/** Test material only: a .7z or .tar.gz made by 7-Zip itself (in WebAssembly, no tools needed). */
export async function sevenZipArchive(files: NamedContent[], type: '7z' | 'tar.gz', password?: string, tarName = 'archive.tar'): Promise<Buffer> {
  const log: string[] = [];
  const mod = await SevenZip({ stdin: () => null, print: (s: string) => log.push(s), printErr: (s: string) => log.push(s), quit: () => {} } as never);
  const FS = mod.FS;
  FS.mkdir('/src');
  for (const f of files) {
    const parts = f.name.split('/');
    let dir = '/src';
    for (const p of parts.slice(0, -1)) {
      dir += `/${p}`;
      try {
        FS.mkdir(dir);
      } catch {
        // the folder exists already
      }
    }
    FS.writeFile(`/src/${f.name}`, f.content);
    // A fixed time, so the archive bytes do not change between runs of the generator.
    FS.utime(`/src/${f.name}`, 1626307200000, 1626307200000);
  }
  FS.chdir('/src');
  const processExitCode = process.exitCode;
  const names = [...new Set(files.map((f) => f.name.split('/')[0]!))];
  if (type === '7z') {
    mod.callMain(['a', '-bd', '-t7z', ...(password ? [`-p${password}`, '-mhe=on'] : []), '/out.7z', ...names]);
    process.exitCode = processExitCode;
    return Buffer.from(FS.readFile('/out.7z'));
  }
  mod.callMain(['a', '-bd', '-ttar', `/${tarName}`, ...names]);
  mod.callMain(['a', '-bd', '-tgzip', '/out.tar.gz', `/${tarName}`]);
  process.exitCode = processExitCode;
  return Buffer.from(FS.readFile('/out.tar.gz'));
}
