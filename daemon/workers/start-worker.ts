// Starts a worker thread from a module next to the caller: its compiled .js when the caller
// runs from dist/, or, when the caller is TypeScript source (vitest, tsx), its .ts through
// tsx's loader. A bare `--import tsx` in execArgv registers tsx's hooks too late for a worker's
// entry module, so a tiny eval bootstrap imports tsx's ESM API and then the entry.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** tsx's ESM API file (its CJS twin cannot register the loader from inside a worker). */
function tsxEsmApiPath(from: string): string {
  const manifestPath = createRequire(from).resolve('tsx/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { exports: Record<string, { import?: { default?: string } }> };
  const relative = manifest.exports['./esm/api']?.import?.default ?? './dist/esm/api/index.mjs';
  return path.join(path.dirname(manifestPath), relative);
}

/**
 * `new Worker` for `<name>.js` / `<name>.ts` beside `callerUrl` (the caller's import.meta.url).
 * None of the process's flags are passed on: inherited, --input-type (a daemon started with -e)
 * stops the worker, and given explicitly, per-process ones (--expose-gc, V8 flags) are refused.
 * The worker needs none: it is plain JS, or TypeScript loaded by the bootstrap.
 */
export function startModuleWorker(callerUrl: string, name: string, workerData: unknown): Worker {
  const execArgv: string[] = [];
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, callerUrl), { workerData, execArgv });
  const entry = new URL(`./${name}.ts`, callerUrl).href;
  const tsx = pathToFileURL(tsxEsmApiPath(callerUrl)).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(callerUrl)}))`;
  return new Worker(bootstrap, { eval: true, workerData, execArgv });
}
