import { InvalidInput } from '../errors/berth-error.js';
import type { GitIdentity } from './session.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
const EMAIL_RE = /^[^\s<>@]+@[^\s<>@]+$/;

/** The name and email a session's commits carry: berth's default unless the caller gives both. */
export function checkGitUser(raw: unknown, sessionName: string): GitIdentity {
  if (raw === undefined || raw === null) {
    return { name: 'berth session', email: `${sessionName}@sessions.berth.invalid` };
  }
  const { name, email } = raw as { name?: unknown; email?: unknown };
  const hint = 'e.g. --git-user "Ada Lovelace" --git-email ada@example.com';
  if (
    typeof name !== 'string' ||
    name.trim() === '' ||
    name.length > 200 ||
    CONTROL.test(name) ||
    /[<>]/.test(name)
  ) {
    throw new InvalidInput('a git user name is 1 to 200 characters, without control characters or < >', {
      hint,
    });
  }
  if (typeof email !== 'string' || email.length > 254 || CONTROL.test(email) || !EMAIL_RE.test(email)) {
    throw new InvalidInput('a git email is an address like name@example.com (at most 254 characters)', {
      hint,
    });
  }
  return { name: name.trim(), email };
}
