// URL_CREDENTIALS: only the user:password of a URL, so the masked URL still names its host.
import { urlCredentialsDetector } from '../../../../daemon/redaction/detectors/url-credentials.js';
import { describeDetector } from './detector-suite.js';

describeDetector(urlCredentialsDetector, {
  valid: [
    'DATABASE_URL=postgres://⟦app:s3cretPw⟧@db.internal:5432/main',
    'mongodb+srv://⟦svc_reporting:Q8x!iM0O⟧@cluster0.ab1cd.mongodb.net/test',
    'git remote add origin https://⟦alice:ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d⟧@github.com/o/r.git',
    'redis://⟦default:9f8e7d6c⟧@cache.prod.example.org:6379',
    'amqp://⟦guest:guest⟧@[::1]:5672/',
  ],
  nearMiss: [
    'https://example.com/path?q=1&user=a:b',
    'postgres://user@host/db', // a user, no password
    'postgres://${DB_USER}:${DB_PASS}@db/main',
    'postgres://<user>:<password>@localhost/db',
    'postgres://user:password@localhost/db', // the docs' template
    'https://alice:@host.example', // empty password
    'mailto:someone@example.com',
    'ssh user@host:22',
  ],
});
