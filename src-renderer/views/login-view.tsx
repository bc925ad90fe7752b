// Sign-in for the web UI (like Jupyter): the admin token the daemon printed at start. The
// token is kept in sessionStorage for this tab only: never a cookie, so no other site can
// make the browser send it.

import { useState } from 'react';
import { useI18n } from '../i18n.js';

export function LoginView({ onSubmit, error }: { onSubmit: (token: string) => void; error: string | null }): React.JSX.Element {
  const { t } = useI18n();
  const [token, setToken] = useState('');
  return (
    <main className="login">
      <form
        className="card"
        onSubmit={(e) => {
          e.preventDefault();
          if (token.trim()) onSubmit(token.trim());
        }}
      >
        <h1>
          <span className="logo" aria-hidden="true" /> {t('login.title')}
        </h1>
        <p className="dim">{t('login.help')}</p>
        <label>
          {t('login.token')}
          <input type="password" autoComplete="off" spellCheck={false} autoFocus value={token} onChange={(e) => setToken(e.target.value)} data-testid="token-input" />
        </label>
        {error ? <p className="error">{error}</p> : null}
        <button type="submit" className="primary" disabled={!token.trim()}>
          {t('login.submit')}
        </button>
      </form>
    </main>
  );
}
