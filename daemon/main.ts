// The daemon's entry point: `bin/kagami.js` imports the compiled form of this file. It hands
// the arguments to the CLI (daemon/cli/main.ts) and exits with its code.
import { runCli } from './cli/main.js';
import { KAGAMI_VERSION } from './version.js';

process.exitCode = await runCli(process.argv.slice(2), KAGAMI_VERSION);
