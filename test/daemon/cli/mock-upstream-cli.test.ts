// `kagami mock-upstream` flags that cannot both apply are refused before anything listens.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../../daemon/cli/main.js';

describe('kagami mock-upstream', () => {
  let err: string;
  beforeEach(() => {
    err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('refuses --echo with both --chunk-size and --chunk-count, saying why', async () => {
    expect(await runCli(['mock-upstream', '--echo', '--chunk-size', '4', '--chunk-count', '2', '--port', '0'], 'test')).toBe(2);
    expect(err).toContain('--echo sets the reply text: give it --chunk-size or --chunk-count, not both');
  });
});
