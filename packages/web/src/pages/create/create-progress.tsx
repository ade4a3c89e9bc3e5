/** The steps the server reported while it makes the session; the last one is going, or failed. */
export function CreateProgress({ steps, failed }: { steps: string[]; failed: boolean }) {
  if (steps.length === 0 && failed) return null;
  return (
    <div className="create-progress" aria-live="polite">
      <p className="field-label">Starting the session</p>
      <ol>
        {steps.length === 0 && <li className="step step-active">Asking the server…</li>}
        {steps.map((step, i) => {
          const last = i === steps.length - 1;
          const cls = !last ? 'step-done' : failed ? 'step-failed' : 'step-active';
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: steps only ever append.
            <li key={i} className={`step ${cls}`}>
              {step}
            </li>
          );
        })}
      </ol>
    </div>
  );
}
