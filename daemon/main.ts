// The daemon's entry point: `bin/kagami.js` imports the compiled form of this file. It hands
// the arguments to the CLI (daemon/cli/main.ts) and exits with its code.
import { runCli } from './cli/main.js';
import { KAGAMI_VERSION } from './version.js';

// `kagami keys list --json | head -1`: the reader closed the pipe, so there is no one left to
// tell anything; stop quietly instead of crashing with an unhandled EPIPE stack.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

process.exitCode = await runCli(process.argv.slice(2), KAGAMI_VERSION);
