#!/usr/bin/env node
// The `kagami` command. The daemon is TypeScript compiled to dist/ by `npm run build`
// (run automatically by `npm start`, `npm test` and `npm install`'s prepare step).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/daemon/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('kagami: dist/ is missing; run `npm run build` first\n');
  process.exit(1);
}
try {
  await import(entry.href);
} catch (error) {
  // A setup problem the message explains (the SQLite driver for this Node is not installed):
  // the message, not a stack trace. Anything else keeps its stack.
  if (error?.name !== 'SqliteDriverError') throw error;
  process.stderr.write(`kagami: ${error.message}\n`);
  process.exit(1);
}
