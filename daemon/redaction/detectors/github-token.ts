// GITHUB_TOKEN: GitHub's prefixed tokens: classic personal (ghp_), OAuth (gho_), user-to-server
// (ghu_), server-to-server (ghs_), refresh (ghr_), each 36 base62 characters, and fine-grained
// personal access tokens (github_pat_<22>_<59>).
import { shannonEntropy } from '../checksums.js';
import type { Detector, Span } from '../types.js';

const TOKEN = /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})(?![A-Za-z0-9_])/g;

export const githubTokenDetector: Detector = {
  id: 'github-token',
  entityTypes: ['GITHUB_TOKEN'],
  detect(text) {
    const spans: Span[] = [];
    if (!text.includes('gh') && !text.includes('github_pat_')) return spans;
    for (const match of text.matchAll(TOKEN)) {
      const start = match.index;
      // "ghp_xxxxxxxx…" placeholders in docs are not tokens.
      const body = match[0].slice(match[0].indexOf('_') + 1);
      const score = shannonEntropy(body) >= 3 ? 0.99 : 0.3;
      spans.push({ type: 'GITHUB_TOKEN', start, end: start + match[0].length, score, detector: 'github-token' });
    }
    return spans;
  },
};
