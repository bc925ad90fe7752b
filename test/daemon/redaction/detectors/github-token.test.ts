// GITHUB_TOKEN: gh[pousr]_ + 36 base62, and fine-grained github_pat_<22>_<59>.
import { githubTokenDetector } from '../../../../daemon/redaction/detectors/github-token.js';
import { describeDetector } from './detector-suite.js';

describeDetector(githubTokenDetector, {
  valid: [
    'GITHUB_TOKEN=⟦ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d⟧',
    'oauth ⟦gho_KLzdocJ2isAjIhKtJ0RlgLKOmxgJTeKdNnFR⟧ expired?',
    'git clone https://x-access-token:⟦ghs_KLzdocJ2isAjIhKtJ0RlgLKOmxgJTeKdNnFR⟧@github.com/o/r.git',
    'fine-grained: ⟦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⟧',
  ],
  nearMiss: [
    'ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', // the docs' placeholder
    'ghp_abc',
    'ghx_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d', // no such prefix
    'ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8dZ', // 37 characters
    'github_pat_IBXuDL7DxtpYlSXpfKtHF4_vUCsMehGAkWvj7FAc9QeWJKY40uvSwMFLZDe1f8rESQedUStPKR0CsTy4', // body too short
  ],
});
