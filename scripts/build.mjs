// `npm run build`: dist/ is intake bundled by esbuild, after tsc has type-checked src/.
//
// Why a bundle: `intake run` used to load about 250 modules of its own and its libraries from
// separate files at start, and its document-reading process about as many again; that loading
// was most of the ~0.6 s before the first message of a deadline-day backlog is read (README,
// "Benchmark"). Bundling keeps the program's own lazy loading: every dynamic import() becomes
// its own chunk (splitting), so a command loads only what it runs.
//
// Everything is written flat into dist/: the document-reading process is forked from
// `./read-worker.js` next to the chunk that forks it (documents/isolated-reader.ts), which holds
// only if entries and chunks share one folder.
import { build } from 'esbuild';
import { chmodSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = process.argv[2] ?? join(root, 'dist');

// Left to node_modules: a native addon (better-sqlite3), files read beside the package at run
// time (pdfjs-dist's fonts and worker, 7z-wasm's .wasm), and pg, whose optional pg-native a
// bundler would try to resolve.
const external = ['better-sqlite3', 'pdfjs-dist', '7z-wasm', 'pg', 'pg-native'];

rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli.ts', 'read-worker': 'src/documents/read-worker.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  chunkNames: '[name]-[hash]',
  sourcemap: 'linked',
  // The CommonJS libraries inside an ESM bundle call require() for Node's own modules.
  banner: { js: "import { createRequire as __intakeRequire } from 'node:module'; const require = __intakeRequire(import.meta.url);" },
  logLevel: 'warning',
});
chmodSync(join(outdir, 'cli.js'), 0o755);
