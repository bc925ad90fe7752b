// What a `kagami` subcommand is, and the small helpers every command file shares: parsing
// flags with node:util parseArgs (strict: unknown flags are usage errors) and the exit codes.
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';

/** Exit codes: 0 ok, 1 failed, 2 bad usage, 78 bad config (EX_CONFIG from sysexits.h). */
export const EXIT = { ok: 0, failed: 1, usage: 2, config: 78 } as const;

export interface CliCommand {
  /** One line for `kagami help`. */
  readonly summary: string;
  /** Full usage text, shown by `kagami <command> --help` and after a usage error. */
  readonly usage: string;
  /** Runs the command with the arguments after its name; resolves with the exit code. */
  run(argv: readonly string[]): Promise<number>;
}

/** A mistake in how the command was called: printed with the command's usage, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs, strict, with errors turned into UsageErrors. */
export function parseFlags<const T extends Options>(argv: readonly string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** How a flag is written on the command line: `-n` for a one-letter one, `--port` otherwise. */
const spelled = (flag: string): string => (flag.length === 1 ? `-${flag}` : `--${flag}`);

/** A required string flag, or a UsageError naming it. */
export function requireFlag(value: string | undefined, flag: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`missing ${spelled(flag)}`);
  return value;
}

/** An integer flag in a range, or a UsageError. */
export function integerFlag(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) throw new UsageError(`${spelled(flag)} must be an integer from ${min} to ${max}, got "${value}"`);
  return number;
}

/** A number flag in a range, or a UsageError. */
export function numberFlag(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number < min || number > max) throw new UsageError(`${spelled(flag)} must be a number from ${min} to ${max}, got "${value}"`);
  return number;
}
