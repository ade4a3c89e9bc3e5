import { type FormEvent, useState } from 'react';
import { useAuth } from '../../app/auth-context';
import { useDocumentTitle } from '../../app/use-document-title';
import { ProblemMessage } from '../../components/problem-message';
import './login.css';

/** Username and password; on success the app goes where the user was headed. */
export function LoginPage({ reason }: { reason: string | null }) {
  useDocumentTitle('Sign in');
  const { signIn } = useAuth();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(username, password);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <main id="main" className="login">
      <form className="card login-card" onSubmit={submit} aria-busy={busy}>
        <h1 className="login-title">Sign in to berth</h1>
        {reason && !error && <p className="notice">{reason}</p>}
        {error !== null && <ProblemMessage error={error} />}
        <label className="field-label" htmlFor="login-username">
          Username
        </label>
        <input
          id="login-username"
          className="input"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
        <label className="field-label" htmlFor="login-password">
          Password
        </label>
        <input
          id="login-password"
          className="input"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <button type="submit" className="button button-primary button-wide" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="login-help">
          No account yet? An admin makes one with <code>berth user add NAME</code>.
        </p>
      </form>
    </main>
  );
}
