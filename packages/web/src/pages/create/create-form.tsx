import { type FormEvent, type ReactNode, useState } from 'react';
import { useApi } from '../../api/api-context';
import { ApiError } from '../../api/api-error';
import type { AgentList, ServerConfig, Session, Team } from '../../api/types';
import { ProblemMessage } from '../../components/problem-message';
import { RichText } from '../../components/rich-text';
import { formatBytes } from '../../format/bytes';
import { CreateProgress } from './create-progress';
import {
  type Autonomy,
  type CreateErrors,
  type CreateValues,
  type Egress,
  EMPTY_VALUES,
  type EnvRow,
  isRemoteRepo,
  takesAllow,
  toRequest,
} from './create-request';
import { EnvEditor } from './env-editor';
import { type CreateField, fieldOfProblem } from './problem-field';

/** What a session may reach outside itself; '' leaves it to the server (an allow-list unless configured). */
const EGRESSES: ['' | Egress, string][] = [
  ['', 'Default (allowlist)'],
  ['allowlist', 'Allow-list'],
  ['open', 'Open internet'],
  ['none', 'None'],
];

/** How freely an agent acts, with what each choice means for the person at its terminal. */
const AUTONOMIES: [Autonomy, string, string][] = [
  ['full', 'Full', 'no permission prompts: the container is the sandbox'],
  ['ask', 'Ask', 'the agent asks before it writes or runs anything; you answer in its terminal'],
];

/** The fields of a new session; while it starts, the steps; then `onCreated`. */
export function CreateForm({
  config,
  teams,
  agents = [],
  onCreated,
}: {
  config: ServerConfig;
  teams: Team[];
  agents?: AgentList['agents'];
  onCreated: (s: Session) => void;
}) {
  const api = useApi();
  const [values, setValues] = useState<CreateValues>(EMPTY_VALUES);
  const [env, setEnv] = useState<EnvRow[]>([]);
  const [errors, setErrors] = useState<CreateErrors>({});
  const [formError, setFormError] = useState<unknown>(null);
  const [steps, setSteps] = useState<string[] | null>(null);
  const [busy, setBusy] = useState(false);

  const set = (field: keyof CreateValues) => (e: { target: { value: string } }) =>
    setValues((v) => ({ ...v, [field]: e.target.value }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFormError(null);
    const made = toRequest(values, env);
    if ('errors' in made) {
      setErrors(made.errors);
      return;
    }
    setErrors({});
    setBusy(true);
    setSteps([]);
    try {
      const session = await api.createSession(made.request, (step) => setSteps((s) => [...(s ?? []), step]));
      onCreated(session);
    } catch (err) {
      setBusy(false);
      const field = err instanceof ApiError && err.status !== 0 ? fieldOfProblem(err.problem.detail) : null;
      if (field) {
        const { detail, hint } = (err as ApiError).problem;
        setErrors({ [field]: hint ? `${detail}: ${hint}` : detail });
        document.getElementById(`create-${field}`)?.focus();
      } else {
        setFormError(err);
      }
    }
  };

  const field = (name: CreateField, label: string, input: ReactNode, help?: string) => (
    <div className="field">
      <label className="field-label" htmlFor={`create-${name}`}>
        {label}
      </label>
      {input}
      {help && !errors[name] && <p className="field-help">{help}</p>}
      {errors[name] && (
        <p className="field-error" id={`create-${name}-error`}>
          <RichText text={errors[name]} />
        </p>
      )}
    </div>
  );
  const a11y = (name: CreateField) => ({
    id: `create-${name}`,
    'aria-invalid': errors[name] ? true : undefined,
    'aria-describedby': errors[name] ? `create-${name}-error` : undefined,
  });

  return (
    <form className="create-form" onSubmit={submit} noValidate aria-busy={busy}>
      {formError !== null && <ProblemMessage title="The session was not created" error={formError} />}
      <fieldset className="form-section" disabled={busy}>
        <legend>Session</legend>
        {field(
          'name',
          'Name',
          <input
            className="input"
            required
            autoCapitalize="none"
            spellCheck={false}
            {...a11y('name')}
            value={values.name}
            onChange={set('name')}
          />,
          'Lowercase letters, digits and hyphens; the branch is berth/NAME.',
        )}
        {field(
          'description',
          'Description',
          <textarea
            className="input"
            rows={2}
            maxLength={2000}
            {...a11y('description')}
            value={values.description}
            onChange={set('description')}
          />,
        )}
        {teams.length > 0 &&
          field(
            'team',
            'Share with team',
            <select className="input" {...a11y('team')} value={values.team} onChange={set('team')}>
              <option value="">No team (only you and admins)</option>
              {teams.map((t) => (
                <option key={t.id} value={t.name}>
                  {t.name}
                </option>
              ))}
            </select>,
          )}
      </fieldset>
      <fieldset className="form-section" disabled={busy}>
        <legend>Repository</legend>
        {field(
          'repo',
          'Path or URL',
          <input
            className="input"
            required
            spellCheck={false}
            placeholder="/home/you/src/project or git@host:team/project.git"
            {...a11y('repo')}
            value={values.repo}
            onChange={set('repo')}
          />,
          'A git repository on the machine the server runs on, or an https:// or SSH URL (cloned once, fetched for each session).',
        )}
        {field(
          'branch',
          'Base branch',
          <input
            className="input"
            spellCheck={false}
            placeholder="the repository’s current branch"
            {...a11y('branch')}
            value={values.branch}
            onChange={set('branch')}
          />,
        )}
        {isRemoteRepo(values.repo.trim()) &&
          field(
            'sshKey',
            'SSH private key',
            <textarea
              className="input input-mono"
              rows={4}
              spellCheck={false}
              autoComplete="off"
              placeholder="-----BEGIN OPENSSH PRIVATE KEY-----"
              {...a11y('sshKey')}
              value={values.sshKey}
              onChange={set('sshKey')}
            />,
            'For an SSH URL: kept encrypted, used only for this session’s clone, fetch and push, never shown again.',
          )}
        <div className="field-pair">
          {field(
            'gitName',
            'Git user name',
            <input
              className="input"
              autoComplete="name"
              placeholder="berth session"
              {...a11y('gitName')}
              value={values.gitName}
              onChange={set('gitName')}
            />,
          )}
          {field(
            'gitEmail',
            'Git email',
            <input
              className="input"
              type="email"
              autoComplete="email"
              spellCheck={false}
              placeholder="NAME@sessions.berth.invalid"
              {...a11y('gitEmail')}
              value={values.gitEmail}
              onChange={set('gitEmail')}
            />,
            'Commits made in the session carry this identity.',
          )}
        </div>
      </fieldset>
      <fieldset className="form-section" disabled={busy}>
        <legend>Work</legend>
        {field(
          'agent',
          'Agent',
          <select className="input" {...a11y('agent')} value={values.agent} onChange={set('agent')}>
            <option value="">None: a session for people (shells)</option>
            {agents.map((a) => (
              <option key={a.name} value={a.name}>
                {a.name}
                {a.description ? ` — ${a.description}` : ''}
              </option>
            ))}
          </select>,
          'The agent runs in the session’s own terminal; you can watch and drive it there.',
        )}
        {values.agent &&
          field(
            'prompt',
            'Prompt',
            <textarea
              className="input"
              rows={4}
              maxLength={65536}
              placeholder="What should the agent do?"
              {...a11y('prompt')}
              value={values.prompt}
              onChange={set('prompt')}
            />,
          )}
        {values.agent && (
          <fieldset
            className="field autonomy-field"
            id="create-autonomy"
            aria-describedby={errors.autonomy ? 'create-autonomy-error' : undefined}
          >
            <legend className="field-label">Autonomy</legend>
            {AUTONOMIES.map(([value, label, help]) => (
              <label key={value} className="check autonomy-choice">
                <input
                  type="radio"
                  name="create-autonomy"
                  id={`create-autonomy-${value}`}
                  value={value}
                  checked={values.autonomy === value}
                  aria-describedby={`create-autonomy-${value}-help`}
                  onChange={() => setValues((v) => ({ ...v, autonomy: value }))}
                />
                <span>
                  <span className="autonomy-label">{label}</span>{' '}
                  <span className="field-help" id={`create-autonomy-${value}-help`}>
                    {help}
                  </span>
                </span>
              </label>
            ))}
            {errors.autonomy && (
              <p className="field-error" id="create-autonomy-error">
                <RichText text={errors.autonomy} />
              </p>
            )}
          </fieldset>
        )}
        <label className="check">
          <input
            type="checkbox"
            id="create-preview"
            checked={values.preview}
            onChange={(e) => setValues((v) => ({ ...v, preview: e.target.checked }))}
          />
          Run the project’s dev server and give it a preview link
        </label>
        {values.preview && (
          <div className="field-pair">
            {field(
              'previewCommand',
              'Dev server command',
              <input
                className="input input-mono"
                spellCheck={false}
                placeholder="detected (Vite, Astro, Next, npm run dev, Python, static)"
                {...a11y('previewCommand')}
                value={values.previewCommand}
                onChange={set('previewCommand')}
              />,
            )}
            {field(
              'previewPort',
              'Its port',
              <input
                className="input"
                inputMode="numeric"
                placeholder="detected"
                {...a11y('previewPort')}
                value={values.previewPort}
                onChange={set('previewPort')}
              />,
              'Published on a free host port and through the server.',
            )}
          </div>
        )}
      </fieldset>
      <fieldset className="form-section" disabled={busy}>
        <legend>Container</legend>
        {field(
          'image',
          'Image',
          <input
            className="input"
            spellCheck={false}
            placeholder={config.defaultImage}
            {...a11y('image')}
            value={values.image}
            onChange={set('image')}
          />,
        )}
        <div className="field-pair">
          {field(
            'cpus',
            'CPUs',
            <input
              className="input"
              inputMode="decimal"
              placeholder={String(config.defaultLimits.cpus)}
              {...a11y('cpus')}
              value={values.cpus}
              onChange={set('cpus')}
            />,
          )}
          {field(
            'memory',
            'Memory',
            <input
              className="input"
              placeholder={formatBytes(config.defaultLimits.memoryBytes)}
              {...a11y('memory')}
              value={values.memory}
              onChange={set('memory')}
            />,
            'e.g. 512m or 2g',
          )}
        </div>
        <div className="field-pair">
          {field(
            'idleTimeout',
            'Idle timeout',
            <input
              className="input"
              spellCheck={false}
              placeholder="the server’s default"
              {...a11y('idleTimeout')}
              value={values.idleTimeout}
              onChange={set('idleTimeout')}
            />,
            'With no activity for this long (e.g. 10m; 0: never) the session is paused or stopped.',
          )}
          {field(
            'idleAction',
            'When idle',
            <select
              className="input"
              {...a11y('idleAction')}
              value={values.idleAction}
              onChange={set('idleAction')}
            >
              <option value="">the server’s default</option>
              <option value="pause">pause it</option>
              <option value="stop">stop it</option>
            </select>,
          )}
        </div>
        <div className="field-pair">
          {field(
            'egress',
            'Network',
            <select
              className="input"
              {...a11y('egress')}
              value={values.egress}
              onChange={(e) => setValues((v) => ({ ...v, egress: e.target.value as CreateValues['egress'] }))}
            >
              {EGRESSES.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>,
            'What the session may reach outside itself.',
          )}
          {takesAllow(values.egress) &&
            field(
              'allow',
              'Allow hosts',
              <input
                className="input input-mono"
                spellCheck={false}
                autoCapitalize="none"
                placeholder="packages.example.org, *.example.org, example.org:8443"
                {...a11y('allow')}
                value={values.allow}
                onChange={set('allow')}
              />,
              'Added to the allow-list; comma or space separated. This machine and its network are never reachable.',
            )}
        </div>
        <div className="field">
          <span className="field-label" id="create-env">
            Environment variables
          </span>
          <EnvEditor
            rows={env}
            onChange={setEnv}
            invalid={!!errors.env}
            describedBy={errors.env ? 'create-env-error' : undefined}
          />
          {errors.env && (
            <p className="field-error" id="create-env-error">
              <RichText text={errors.env} />
            </p>
          )}
        </div>
      </fieldset>
      {steps !== null && <CreateProgress steps={steps} failed={!busy} />}
      <div className="button-row">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create session'}
        </button>
      </div>
    </form>
  );
}
