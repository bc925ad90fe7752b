// A local folder an admin tool (or MDM, or a git checkout) drops signed bundles into
// (`*.json`). Watched with fs.watch and rescanned on a timer, because watch events can be
// missed (network file systems, editors that replace files).
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createNewContentFilter, type Offer, type PolicySource } from './source.js';

export interface DirectorySourceOptions {
  readonly dir: string;
  readonly offer: Offer;
  readonly rescanMs?: number;
}

export function createDirectorySource(options: DirectorySourceOptions): PolicySource {
  const isNew = createNewContentFilter();
  let watcher: FSWatcher | null = null;
  let timer: NodeJS.Timeout | null = null;
  let debounce: NodeJS.Timeout | null = null;
  let error: string | null = null;
  let running: Promise<void> = Promise.resolve();

  async function scan(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(options.dir)).filter((name) => name.endsWith('.json')).sort();
      error = null;
    } catch (cause) {
      error = `cannot read policy folder ${options.dir}: ${(cause as Error).message}`;
      return;
    }
    const bundles: { path: string; text: string; version: number }[] = [];
    for (const name of names) {
      const path = join(options.dir, name);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch {
        continue; // removed between readdir and read
      }
      if (!isNew(path, text)) continue;
      bundles.push({ path, text, version: claimedVersion(text) });
    }
    // Oldest first, so with several new files the newest one ends up applied.
    bundles.sort((a, b) => a.version - b.version);
    for (const bundle of bundles) options.offer(bundle.text, bundle.path);
  }

  // Serialise scans: a watch event during a scan queues one more scan.
  const check = (): Promise<void> => (running = running.then(scan, scan));

  return {
    label: options.dir,
    async start() {
      await check();
      try {
        watcher = watch(options.dir, () => {
          if (debounce) clearTimeout(debounce);
          debounce = setTimeout(() => void check(), 50);
        });
        watcher.on('error', () => undefined); // the rescan timer still runs
      } catch {
        // folder missing: the timer picks it up once it exists
      }
      timer = setInterval(() => void check(), options.rescanMs ?? 30_000);
      timer.unref();
    },
    check,
    async close() {
      watcher?.close();
      if (timer) clearInterval(timer);
      if (debounce) clearTimeout(debounce);
      await running;
    },
    lastError: () => error,
  };
}

function claimedVersion(text: string): number {
  try {
    const version = (JSON.parse(text) as { policy_version?: unknown }).policy_version;
    return typeof version === 'number' ? version : 0;
  } catch {
    return 0;
  }
}
