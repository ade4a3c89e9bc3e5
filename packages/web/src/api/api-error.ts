import { ApiError } from '@berth/api';

export { ApiError };

/** Reads a failed response's body: problem details when the server sent them. */
export async function apiErrorFrom(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  return ApiError.fromText(res.status, text);
}

/** What to show for any thrown value: the problem's detail and hint, or the error's message. */
export function describeError(err: unknown): { detail: string; hint?: string } {
  if (err instanceof ApiError)
    return err.hint ? { detail: err.message, hint: err.hint } : { detail: err.message };
  if (err instanceof Error) return { detail: err.message };
  return { detail: String(err) };
}
