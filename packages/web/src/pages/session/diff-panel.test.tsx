// @vitest-environment jsdom
// The server is faked at the seam: fetch answers /diff from a route table.
import { fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { json, pending, problem } from '../../test/fake-fetch';
import { renderApp } from '../../test/render-app';
import { makeSession } from '../../test/sessions';

const session = makeSession({ name: 'fix-login' });
const DIFF = [
  'diff --git a/login.js b/login.js',
  'index 1111111..2222222 100644',
  '--- a/login.js',
  '+++ b/login.js',
  '@@ -1,2 +1,2 @@',
  ' const user = read();',
  '-check(user)',
  '+check(user, password)',
  '',
].join('\n');

const open = async (diff: Parameters<typeof renderApp>[1][string]) => {
  const app = renderApp('/sessions/fix-login#diff', {
    'GET /api/v1/sessions/fix-login': () => json(session),
    'GET /api/v1/sessions/fix-login/diff': diff,
  });
  return { app, panel: (await screen.findByRole('heading', { name: 'Changes' })).closest('section')! };
};

describe('diff panel', () => {
  it('shows a loading state while the diff is read', async () => {
    const { panel } = await open(pending);
    within(panel).getByText('Reading the branch’s changes…');
  });

  it('shows the problem when the diff cannot be read', async () => {
    const { panel } = await open(() => problem(500, 'git_error', 'git diff failed'));
    expect((await within(panel).findByRole('alert')).textContent).toContain('Git diff failed');
  });

  it('says when the branch has no changes', async () => {
    const { panel } = await open(() => json({ base: 'aaa', head: 'bbb', diff: '' }));
    await within(panel).findByText('No changes yet.');
  });

  it('colours added and removed lines, counts the files, and refreshes on request', async () => {
    const { app, panel } = await open(() => json({ base: 'a'.repeat(40), head: 'b'.repeat(40), diff: DIFF }));
    expect((await within(panel).findByText('+check(user, password)')).className).toContain('diff-add');
    expect(within(panel).getByText('-check(user)').className).toContain('diff-del');
    expect(within(panel).getByText('@@ -1,2 +1,2 @@').className).toContain('diff-hunk');
    within(panel).getByText(/1 file changed/);
    fireEvent.click(within(panel).getByRole('button', { name: 'Refresh' }));
    expect(app.server.calls.filter((c) => c.url.endsWith('/diff'))).toHaveLength(2);
  });
});
