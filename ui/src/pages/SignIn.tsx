// Sign in with an API token, or the one-time code `slipway login:ui` prints. The secret goes in a
// POST body only (never a URL); the server answers with an httpOnly cookie this page cannot read.
import { useState } from 'preact/hooks';
import { api } from '../api';

export function SignIn(props: { onSignedIn: (user: string) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <main class="signin">
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          const input = (e.currentTarget as HTMLFormElement).elements.namedItem('token') as HTMLInputElement;
          const token = input.value.trim();
          if (!token) return setError('Paste an API token or a code from `slipway login:ui`.');
          setBusy(true);
          setError(null);
          api<{ user: string }>('session', { method: 'POST', body: { token } }).then(
            (s) => {
              input.value = '';
              props.onSignedIn(s.user);
            },
            (err: Error) => {
              setBusy(false);
              setError(err.message);
            },
          );
        }}
      >
        <h1>
          <img src="/favicon.svg" alt="" width="28" height="28" /> Slipway
        </h1>
        <label class="field">
          API token or sign-in code
          <input name="token" type="password" autocomplete="off" autoFocus required spellcheck={false} placeholder="sw_… or swc_…" />
        </label>
        <p class="hint">
          Run <code>slipway login:ui</code> on a machine that has the CLI for a one-time code.
        </p>
        <p class="error" role="alert">
          {error ?? ''}
        </p>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
