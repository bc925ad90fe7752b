// The `kagami` command line: a table of subcommands, each its own file exporting `command`.
// Adding a command is its file plus ONE line in COMMANDS. Commands load lazily, so
// `kagami keys list` does not pay for the HTTP server's imports.
import { ConfigError } from '../config/config-error.js';
import { PolicyError } from '../policy/policy-error.js';
import { EXIT, UsageError } from './command.js';
import type { CliCommand } from './command.js';

const COMMANDS: Record<string, () => Promise<{ command: CliCommand }>> = {
  start: () => import('./start.js'),
  keys: () => import('./keys.js'),
  'mock-upstream': () => import('./mock-upstream.js'),
  secrets: () => import('./secrets.js'),
  admin: () => import('./admin.js'),
  policy: () => import('./policy.js'),
  audit: () => import('./audit.js'),
  siem: () => import('./siem.js'),
  simulate: () => import('./simulate.js'),
};

async function printHelp(out: NodeJS.WritableStream): Promise<void> {
  const lines = ['Usage: kagami <command> [options]', '', 'Commands:'];
  for (const [name, load] of Object.entries(COMMANDS)) {
    const { command } = await load();
    lines.push(`  ${name.padEnd(15)} ${command.summary}`);
  }
  lines.push('', 'Run `kagami <command> --help` for a command\'s options.', 'Exit codes: 0 ok, 1 failed, 2 bad usage, 78 invalid config.');
  out.write(`${lines.join('\n')}\n`);
}

/** Runs `kagami <argv…>` and resolves with the exit code. */
export async function runCli(argv: readonly string[], version: string): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    await printHelp(name === undefined ? process.stderr : process.stdout);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    process.stdout.write(`kagami ${version}\n`);
    return EXIT.ok;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (load === undefined) {
    process.stderr.write(`kagami: unknown command "${name}"\n\n`);
    await printHelp(process.stderr);
    return EXIT.usage;
  }
  const { command } = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`kagami ${name}: ${error.message}\n\n${command.usage}\n`);
      return EXIT.usage;
    }
    if (error instanceof ConfigError || error instanceof PolicyError) {
      process.stderr.write(`kagami ${name}: ${error.message}\n`);
      return EXIT.config;
    }
    process.stderr.write(`kagami ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failed;
  }
}
