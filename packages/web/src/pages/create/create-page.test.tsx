// @vitest-environment jsdom
// The server is faked at the seam: fetch answers from a route table (the create stream as ndjson).
import { fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { json, ndjson, pending, problem } from '../../test/fake-fetch';
import { renderApp } from '../../test/render-app';
import { makeSession } from '../../test/sessions';

const CONFIG = {
  version: 'test',
  maxRunningSessions: 10,
  defaultImage: 'berth/session:bookworm',
  defaultLimits: { cpus: 2, memoryBytes: 2 * 1024 ** 3, pids: 512 },
  sessionNetwork: 'berth',
  tcp: null,
};

/** An agent profile as GET /api/v1/agents lists it. */
const profile = (name: string) => ({
  name,
  description: `${name} agent`,
  builtin: true,
  command: [name],
  resume: null,
  image: null,
  prompt: 'arg',
  credentials: { dir: null, keys: [] },
  configured: { dir: null, keys: [] },
});

const type = (label: string, value: string) =>
  fireEvent.change(screen.getByLabelText(label), { target: { value } });

describe('create form', () => {
  it('shows a loading state while it reads the server’s defaults', async () => {
    renderApp('/new', { 'GET /api/v1/config': pending });
    await screen.findByText('Loading the server’s defaults…');
  });

  it('shows the problem when the defaults cannot be read', async () => {
    renderApp('/new', {
      'GET /api/v1/config': () => problem(500, 'internal', 'the daemon hit an unexpected error'),
    });
    expect((await screen.findByRole('alert')).textContent).toContain('The daemon hit an unexpected error');
  });

  it('offers no team choice to someone in no team, and the defaults as placeholders', async () => {
    renderApp('/new', { 'GET /api/v1/config': () => json(CONFIG) });
    const image = (await screen.findByLabelText('Image')) as HTMLInputElement;
    expect(image.placeholder).toBe('berth/session:bookworm');
    expect((screen.getByLabelText('Memory') as HTMLInputElement).placeholder).toBe('2 GiB');
    expect(screen.queryByLabelText('Share with team')).toBeNull();
  });

  it('sends the fields as the API takes them over the progress stream, then opens the session', async () => {
    const made = makeSession({ name: 'fix-login' });
    const { server } = renderApp('/new', {
      'GET /api/v1/config': () => json(CONFIG),
      'GET /api/v1/teams': () =>
        json({ teams: [{ id: 't1', name: 'web', createdAt: '2025-01-01T00:00:00Z', members: ['ann'] }] }),
      'POST /api/v1/sessions': () =>
        ndjson([
          { progress: 'creating the branch' },
          { progress: 'starting the container' },
          { session: made },
        ]),
      'GET /api/v1/sessions/fix-login': () => json(made),
    });
    await screen.findByLabelText('Image');
    type('Name', 'fix-login');
    type('Description', 'Make login work');
    type('Path or URL', '/home/ann/src/shop');
    type('CPUs', '1.5');
    type('Memory', '512m');
    type('Idle timeout', '10m');
    fireEvent.change(screen.getByLabelText('When idle'), { target: { value: 'stop' } });
    fireEvent.change(screen.getByLabelText('Share with team'), { target: { value: 'web' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add variable' }));
    type('Variable 1 name', 'DEBUG');
    type('Variable 1 value', '1');
    fireEvent.click(screen.getByRole('button', { name: 'Create session' }));
    await screen.findByRole('heading', { name: 'fix-login' });
    expect(location.pathname).toBe('/sessions/fix-login');
    const create = server.calls.find((c) => c.method === 'POST' && c.url === '/api/v1/sessions')!;
    expect(create.headers.accept).toBe('application/x-ndjson');
    expect(create.body).toEqual({
      name: 'fix-login',
      repo: '/home/ann/src/shop',
      cpus: 1.5,
      memoryBytes: 512 * 1024 ** 2,
      idleTimeoutSeconds: 600,
      idleAction: 'stop',
      env: { DEBUG: '1' },
      description: 'Make login work',
      team: 'web',
    });
  });

  it('shows the steps so far and the server’s problem at the field it is about', async () => {
    renderApp('/new', {
      'GET /api/v1/config': () => json(CONFIG),
      'POST /api/v1/sessions': () =>
        ndjson([
          { progress: 'checking the repository' },
          {
            problem: {
              type: 'urn:berth:problem:invalid_input',
              title: 'Invalid input',
              status: 400,
              code: 'invalid_input',
              detail: '/tmp/nothing is not a git repository',
              hint: 'run `git init` there first',
            },
          },
        ]),
    });
    await screen.findByLabelText('Image');
    type('Name', 'fix-login');
    type('Path or URL', '/tmp/nothing');
    fireEvent.click(screen.getByRole('button', { name: 'Create session' }));
    const repo = screen.getByLabelText('Path or URL');
    await screen.findByText(/is not a git repository/);
    expect(repo.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(repo.getAttribute('aria-describedby')!)?.textContent).toBe(
      '/tmp/nothing is not a git repository: run git init there first',
    );
    const steps = screen.getByText('Starting the session').parentElement!;
    expect(within(steps).getByText('checking the repository').className).toContain('step-failed');
  });

  it('shows a refusal that is about no one field above the form', async () => {
    renderApp('/new', {
      'GET /api/v1/config': () => json(CONFIG),
      'POST /api/v1/sessions': () =>
        problem(429, 'limit_reached', '10 sessions are running: the limit', 'pause or stop one first'),
    });
    await screen.findByLabelText('Image');
    type('Name', 'fix-login');
    type('Path or URL', '/home/ann/src/shop');
    fireEvent.click(screen.getByRole('button', { name: 'Create session' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The session was not created');
    expect(alert.textContent).toContain('Pause or stop one first');
  });

  it('checks required fields, sizes and variable names before asking the server', async () => {
    const { server } = renderApp('/new', { 'GET /api/v1/config': () => json(CONFIG) });
    await screen.findByLabelText('Image');
    type('Memory', 'lots');
    type('Idle timeout', 'soon');
    fireEvent.click(screen.getByRole('button', { name: 'Add variable' }));
    type('Variable 1 name', '1BAD');
    fireEvent.click(screen.getByRole('button', { name: 'Create session' }));
    screen.getByText('a name is required');
    screen.getByText('the path or URL of a git repository is required');
    screen.getByText('a size such as 512m or 2g');
    screen.getByText('a time such as 300, 10m or 1h (0: never)');
    screen.getByText(/is not a variable name/);
    expect(server.calls.some((c) => c.method === 'POST')).toBe(false);
  });

  it('takes an SSH key and a git identity for a remote repository, checking the key’s shape first', async () => {
    const made = makeSession({ name: 'fix-login', remote: 'git@example.test:shop.git', hasSshKey: true });
    const { server } = renderApp('/new', {
      'GET /api/v1/config': () => json(CONFIG),
      'POST /api/v1/sessions': () => ndjson([{ session: made }]),
      'GET /api/v1/sessions/fix-login': () => json(made),
    });
    await screen.findByLabelText('Image');
    expect(screen.queryByLabelText('SSH private key')).toBeNull();
    type('Name', 'fix-login');
    type('Path or URL', 'git@example.test:shop.git');
    type('SSH private key', 'ssh-ed25519 AAAAC3Nza ann@laptop');
    type('Git user name', 'Ann');
    fireEvent.click(screen.getByRole('button', { name: 'Create session' }));
    screen.getByText('that is a public key; paste the private key');
    screen.getByText('give an email with the name');
    expect(server.calls.some((c) => c.method === 'POST')).toBe(false);

    const key =
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----';
    type('SSH private key', key);
    type('Git email', 'ann@example.test');
    fireEvent.click(screen.getByRole('button', { name: 'Create session' }));
    await screen.findByRole('heading', { name: 'fix-login' });
    const create = server.calls.find((c) => c.method === 'POST' && c.url === '/api/v1/sessions')!;
    expect(create.body).toEqual({
      name: 'fix-login',
      repo: 'git@example.test:shop.git',
      sshKey: `${key}\n`,
      gitUser: { name: 'Ann', email: 'ann@example.test' },
    });
  });

  it('runs an agent with its prompt and a preview, choosing from the server’s agent profiles', async () => {
    const made = makeSession({ name: 'fix-login', kind: 'agent', agent: 'claude' });
    const { server } = renderApp('/new', {
      'GET /api/v1/config': () => json(CONFIG),
      'GET /api/v1/agents': () =>
        json({ agents: [profile('claude'), profile('aider')], defaultAgent: 'claude', configFile: '/x' }),
      'POST /api/v1/sessions': () => ndjson([{ progress: 'preparing the agent' }, { session: made }]),
      'GET /api/v1/sessions/fix-login': () => json(made),
    });
    await screen.findByLabelText('Image');
    expect(screen.queryByLabelText('Prompt')).toBeNull();
    type('Name', 'fix-login');
    type('Path or URL', '/home/ann/src/shop');
    await screen.findByRole('option', { name: 'aider — aider agent' });
    fireEvent.change(screen.getByLabelText('Agent'), { target: { value: 'claude' } });
    type('Prompt', 'Make the login form accept "quotes" and $(dollars)');
    fireEvent.click(screen.getByLabelText('Run the project’s dev server and give it a preview link'));
    type('Its port', '99999');
    fireEvent.click(screen.getByRole('button', { name: 'Create session' }));
    screen.getByText('a port between 1 and 65535');
    type('Its port', '');
    fireEvent.click(screen.getByRole('button', { name: 'Create session' }));
    await screen.findByRole('heading', { name: 'fix-login' });
    const create = server.calls.find((c) => c.method === 'POST' && c.url === '/api/v1/sessions')!;
    expect(create.body).toEqual({
      name: 'fix-login',
      repo: '/home/ann/src/shop',
      agent: 'claude',
      prompt: 'Make the login form accept "quotes" and $(dollars)',
      autonomy: 'full',
      preview: true,
    });
  });

  it('offers an agent’s autonomy, full by default, and sends the one chosen', async () => {
    const made = makeSession({ name: 'careful', kind: 'agent', agent: 'claude' });
    const { server } = renderApp('/new', {
      'GET /api/v1/config': () => json(CONFIG),
      'GET /api/v1/agents': () =>
        json({ agents: [profile('claude')], defaultAgent: 'claude', configFile: '/x' }),
      'POST /api/v1/sessions': () => ndjson([{ session: made }]),
      'GET /api/v1/sessions/careful': () => json(made),
    });
    await screen.findByLabelText('Image');
    // A session for people has no agent, so no autonomy to choose.
    expect(screen.queryByRole('group', { name: 'Autonomy' })).toBeNull();
    type('Name', 'careful');
    type('Path or URL', '/home/ann/src/shop');
    await screen.findByRole('option', { name: 'claude — claude agent' });
    fireEvent.change(screen.getByLabelText('Agent'), { target: { value: 'claude' } });
    const group = screen.getByRole('group', { name: 'Autonomy' });
    const full = within(group).getByRole('radio', { name: /^Full/ }) as HTMLInputElement;
    const ask = within(group).getByRole('radio', { name: /^Ask/ }) as HTMLInputElement;
    expect(full.checked).toBe(true);
    expect(ask.checked).toBe(false);
    expect(full.getAttribute('aria-describedby')).toBeTruthy();
    expect(document.getElementById(full.getAttribute('aria-describedby')!)?.textContent).toBe(
      'no permission prompts: the container is the sandbox',
    );
    expect(document.getElementById(ask.getAttribute('aria-describedby')!)?.textContent).toBe(
      'the agent asks before it writes or runs anything; you answer in its terminal',
    );
    fireEvent.click(ask);
    expect(ask.checked).toBe(true);
    expect(full.checked).toBe(false);
    type('Prompt', 'Rename the login route');
    fireEvent.click(screen.getByRole('button', { name: 'Create session' }));
    await screen.findByRole('heading', { name: 'careful' });
    const create = server.calls.find((c) => c.method === 'POST' && c.url === '/api/v1/sessions')!;
    expect(create.body).toEqual({
      name: 'careful',
      repo: '/home/ann/src/shop',
      agent: 'claude',
      prompt: 'Rename the login route',
      autonomy: 'ask',
    });
  });

  it('sends no autonomy once the agent is taken away again', async () => {
    const made = makeSession({ name: 'people' });
    const { server } = renderApp('/new', {
      'GET /api/v1/config': () => json(CONFIG),
      'GET /api/v1/agents': () =>
        json({ agents: [profile('claude')], defaultAgent: 'claude', configFile: '/x' }),
      'POST /api/v1/sessions': () => ndjson([{ session: made }]),
      'GET /api/v1/sessions/people': () => json(made),
    });
    await screen.findByLabelText('Image');
    type('Name', 'people');
    type('Path or URL', '/home/ann/src/shop');
    await screen.findByRole('option', { name: 'claude — claude agent' });
    fireEvent.change(screen.getByLabelText('Agent'), { target: { value: 'claude' } });
    fireEvent.click(screen.getByRole('radio', { name: /^Ask/ }));
    fireEvent.change(screen.getByLabelText('Agent'), { target: { value: '' } });
    expect(screen.queryByRole('group', { name: 'Autonomy' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Create session' }));
    await screen.findByRole('heading', { name: 'people' });
    const create = server.calls.find((c) => c.method === 'POST' && c.url === '/api/v1/sessions')!;
    expect(create.body).toEqual({ name: 'people', repo: '/home/ann/src/shop' });
  });

  it('sends the network chosen and the hosts added to its allow-list', async () => {
    const made = makeSession({ name: 'py' });
    const { server } = renderApp('/new', {
      'GET /api/v1/config': () => json(CONFIG),
      'POST /api/v1/sessions': () => ndjson([{ session: made }]),
      'GET /api/v1/sessions/py': () => json(made),
    });
    await screen.findByLabelText('Image');
    const network = screen.getByLabelText('Network') as HTMLSelectElement;
    expect(network.value).toBe('');
    expect([...network.options].map((o) => o.textContent)).toEqual([
      'Default (allowlist)',
      'Allow-list',
      'Open internet',
      'None',
    ]);
    // The server's default is an allow-list, so hosts may be added to it without choosing.
    screen.getByLabelText('Allow hosts');
    screen.getByText(/This machine and its network are never reachable/);
    type('Name', 'py');
    type('Path or URL', '/home/ann/src/shop');
    fireEvent.change(network, { target: { value: 'allowlist' } });
    type('Allow hosts', ' packages.example.org,*.example.org\n example.org:8443 , ');
    fireEvent.click(screen.getByRole('button', { name: 'Create session' }));
    await screen.findByRole('heading', { name: 'py' });
    const create = server.calls.find((c) => c.method === 'POST' && c.url === '/api/v1/sessions')!;
    expect(create.body).toEqual({
      name: 'py',
      repo: '/home/ann/src/shop',
      egress: 'allowlist',
      allow: ['packages.example.org', '*.example.org', 'example.org:8443'],
    });
  });

  it('sends hosts without a network for the server’s default allow-list', async () => {
    const made = makeSession({ name: 'py' });
    const { server } = renderApp('/new', {
      'GET /api/v1/config': () => json(CONFIG),
      'POST /api/v1/sessions': () => ndjson([{ session: made }]),
      'GET /api/v1/sessions/py': () => json(made),
    });
    await screen.findByLabelText('Image');
    type('Name', 'py');
    type('Path or URL', '/home/ann/src/shop');
    type('Allow hosts', ' , packages.example.org ,');
    fireEvent.click(screen.getByRole('button', { name: 'Create session' }));
    await screen.findByRole('heading', { name: 'py' });
    const create = server.calls.find((c) => c.method === 'POST' && c.url === '/api/v1/sessions')!;
    expect(create.body).toEqual({ name: 'py', repo: '/home/ann/src/shop', allow: ['packages.example.org'] });
  });

  it.each([
    ['open', 'Open internet'],
    ['none', 'None'],
  ])('sends egress %s without the hosts typed before it was chosen', async (mode, label) => {
    const made = makeSession({ name: 'wide' });
    const { server } = renderApp('/new', {
      'GET /api/v1/config': () => json(CONFIG),
      'POST /api/v1/sessions': () => ndjson([{ session: made }]),
      'GET /api/v1/sessions/wide': () => json(made),
    });
    await screen.findByLabelText('Image');
    type('Name', 'wide');
    type('Path or URL', '/home/ann/src/shop');
    type('Allow hosts', 'packages.example.org');
    fireEvent.change(screen.getByLabelText('Network'), { target: { value: mode } });
    expect((screen.getByRole('option', { name: label }) as HTMLOptionElement).selected).toBe(true);
    expect(screen.queryByLabelText('Allow hosts')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Create session' }));
    await screen.findByRole('heading', { name: 'wide' });
    const create = server.calls.find((c) => c.method === 'POST' && c.url === '/api/v1/sessions')!;
    expect(create.body).toEqual({ name: 'wide', repo: '/home/ann/src/shop', egress: mode });
  });

  it('shows the server’s refusal of a host at the allow-list, with its hint', async () => {
    const { server } = renderApp('/new', {
      'GET /api/v1/config': () => json(CONFIG),
      'POST /api/v1/sessions': () =>
        problem(
          400,
          'invalid_input',
          '"10.0.0.1" is not a host to allow',
          'give a host name such as example.org, *.example.org for its subdomains, or example.org:8443; addresses are not allowed by number',
        ),
    });
    await screen.findByLabelText('Image');
    type('Name', 'fix-login');
    type('Path or URL', '/home/ann/src/shop');
    type('Allow hosts', 'packages.example.org 10.0.0.1');
    fireEvent.click(screen.getByRole('button', { name: 'Create session' }));
    await screen.findByText(/is not a host to allow/);
    const allow = screen.getByLabelText('Allow hosts');
    expect(allow.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(allow.getAttribute('aria-describedby')!)?.textContent).toBe(
      '"10.0.0.1" is not a host to allow: give a host name such as example.org, *.example.org for its subdomains, or example.org:8443; addresses are not allowed by number',
    );
    // The help gives way to the error, and the rest of the form is not blamed.
    expect(screen.queryByText(/This machine and its network are never reachable/)).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
    const create = server.calls.find((c) => c.method === 'POST' && c.url === '/api/v1/sessions')!;
    expect(create.body).toEqual({
      name: 'fix-login',
      repo: '/home/ann/src/shop',
      allow: ['packages.example.org', '10.0.0.1'],
    });
  });
});
