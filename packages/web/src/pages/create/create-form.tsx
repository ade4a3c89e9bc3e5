import { type FormEvent, type ReactNode, useState } from 'react';
import { useApi } from '../../api/api-context';
import { ApiError } from '../../api/api-error';
import type { CreateSessionRequest, ServerConfig, Session, Team } from '../../api/types';
import { ProblemMessage } from '../../components/problem-message';
import { RichText } from '../../components/rich-text';
import { formatBytes, parseBytes } from '../../format/bytes';
import { CreateProgress } from './create-progress';
import { EnvEditor, type EnvRow, envFromRows } from './env-editor';
import { type CreateField, fieldOfProblem } from './problem-field';

interface Values {
  name: string;
  description: string;
  repo: string;
  branch: string;
  image: string;
  cpus: string;
  memory: string;
  team: string;
}

const EMPTY: Values = {
  name: '',
  description: '',
  repo: '',
  branch: '',
  image: '',
  cpus: '',
  memory: '',
  team: '',
};

type Errors = Partial<Record<CreateField, string>>;

/** The request the values make, or the fields that are wrong before asking the server. */
function toRequest(v: Values, env: EnvRow[]): { request: CreateSessionRequest } | { errors: Errors } {
  const errors: Errors = {};
  if (!v.name.trim()) errors.name = 'a name is required';
  if (!v.repo.trim()) errors.repo = 'the path of a git repository is required';
  const cpus = v.cpus.trim() ? Number(v.cpus) : undefined;
  if (cpus !== undefined && !(cpus > 0 && cpus <= 256)) errors.cpus = 'a number of CPUs between 0.01 and 256';
  const memoryBytes = v.memory.trim() ? parseBytes(v.memory) : undefined;
  if (memoryBytes === null) errors.memory = 'a size such as 512m or 2g';
  const parsedEnv = envFromRows(env);
  if ('error' in parsedEnv) errors.env = parsedEnv.error;
  if (Object.keys(errors).length > 0 || 'error' in parsedEnv) return { errors };
  const request: CreateSessionRequest = {
    name: v.name.trim(),
    repo: v.repo.trim(),
    ...(v.branch.trim() ? { branch: v.branch.trim() } : {}),
    ...(v.image.trim() ? { image: v.image.trim() } : {}),
    ...(cpus !== undefined ? { cpus } : {}),
    ...(memoryBytes != null ? { memoryBytes } : {}),
    ...(Object.keys(parsedEnv.env).length > 0 ? { env: parsedEnv.env } : {}),
    ...(v.description.trim() ? { description: v.description.trim() } : {}),
    ...(v.team ? { team: v.team } : {}),
  };
  return { request };
}

/** The fields of a new session; while it starts, the steps; then `onCreated`. */
export function CreateForm({
  config,
  teams,
  onCreated,
}: {
  config: ServerConfig;
  teams: Team[];
  onCreated: (s: Session) => void;
}) {
  const api = useApi();
  const [values, setValues] = useState<Values>(EMPTY);
  const [env, setEnv] = useState<EnvRow[]>([]);
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<unknown>(null);
  const [steps, setSteps] = useState<string[] | null>(null);
  const [busy, setBusy] = useState(false);

  const set = (field: keyof Values) => (e: { target: { value: string } }) =>
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
          'Local path',
          <input
            className="input"
            required
            spellCheck={false}
            placeholder="/home/you/src/project"
            {...a11y('repo')}
            value={values.repo}
            onChange={set('repo')}
          />,
          'A git repository on the machine the server runs on.',
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
