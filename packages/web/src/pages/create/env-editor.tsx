import type { EnvRow } from './create-request';

/** Environment variables as rows of name and value; empty rows are ignored. */
export function EnvEditor({
  rows,
  onChange,
  invalid,
  describedBy,
}: {
  rows: EnvRow[];
  onChange: (rows: EnvRow[]) => void;
  invalid: boolean;
  describedBy?: string;
}) {
  const update = (id: number, patch: Partial<EnvRow>) =>
    onChange(rows.map((r) => (r.id === id ? { ...r, ...patch } : r)));
  const add = () =>
    onChange([...rows, { id: Math.max(0, ...rows.map((r) => r.id)) + 1, key: '', value: '' }]);
  return (
    <div className="env-editor">
      {rows.map((r, i) => (
        <div key={r.id} className="env-row">
          <input
            className="input env-key"
            aria-label={`Variable ${i + 1} name`}
            placeholder="NAME"
            spellCheck={false}
            autoCapitalize="none"
            aria-invalid={invalid || undefined}
            aria-describedby={describedBy}
            value={r.key}
            onChange={(e) => update(r.id, { key: e.target.value })}
          />
          <input
            className="input env-value"
            aria-label={`Variable ${i + 1} value`}
            placeholder="value"
            spellCheck={false}
            value={r.value}
            onChange={(e) => update(r.id, { value: e.target.value })}
          />
          <button
            type="button"
            className="button button-small"
            aria-label={`Remove variable ${i + 1}`}
            onClick={() => onChange(rows.filter((x) => x.id !== r.id))}
          >
            Remove
          </button>
        </div>
      ))}
      <button type="button" className="button button-small" onClick={add}>
        Add variable
      </button>
    </div>
  );
}
