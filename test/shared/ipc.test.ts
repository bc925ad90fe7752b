import { describe, expect, it } from 'vitest';
import { bridgeMethodName, ipcChannels, ipcContract } from '../../shared/ipc.js';

describe('shared/ipc contract', () => {
  it('maps every channel to a distinct window.kagami method name', () => {
    const names = ipcChannels.map(bridgeMethodName);
    expect(names).toContain('keysSet');
    expect(names).toContain('appOpenExternal');
    expect(names).toContain('daemonConnection');
    expect(new Set(names).size).toBe(names.length);
  });

  it('never returns a secret: no result schema has a key/password/secret field', () => {
    const text = JSON.stringify(Object.values(ipcContract).map((c) => c.result));
    expect(text).not.toMatch(/"(key|api_key|password|secret)"/);
  });
});
