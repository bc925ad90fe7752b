// What the multi-process benchmarks (gateway, audit-commit) share: waiting for a child's
// "listening" line, and the 1 KB chat body they send.
import type { ChildProcess } from 'node:child_process';

/** Waits for a line matching `pattern` on the child's stdout. */
export function waitForLine(child: ChildProcess, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString('utf8');
      const match = pattern.exec(buffer);
      if (match) {
        child.stdout?.off('data', onData);
        resolve(match);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${String(child.spawnargs.slice(1, 3))} exited with ${code}: ${buffer}`)));
  });
}

export function chatBody(stream: boolean): string {
  // ~1 KB: a system prompt and a user message of plain prose.
  const prose = 'The quarterly report covers revenue, costs and the hiring plan for the next two quarters. ';
  const content = prose.repeat(10).slice(0, 880);
  return JSON.stringify({
    model: 'kagami-sim-chat',
    messages: [
      { role: 'system', content: 'You are a concise assistant.' },
      { role: 'user', content },
    ],
    temperature: 0.2,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
}
