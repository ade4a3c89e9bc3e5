import { describeError } from '../api/api-error';
import { RichText } from './rich-text';

/** An error as the server explained it: what happened, and the hint for what to do next. */
export function ProblemMessage({
  error,
  title,
  onRetry,
}: {
  error: unknown;
  title?: string;
  onRetry?: () => void;
}) {
  const { detail, hint } = describeError(error);
  return (
    <div className="problem" role="alert">
      {title && <p className="problem-title">{title}</p>}
      <p className="problem-detail">
        <RichText text={capitalise(detail)} />
      </p>
      {hint && (
        <p className="problem-hint">
          <RichText text={capitalise(hint)} />
        </p>
      )}
      {onRetry && (
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
