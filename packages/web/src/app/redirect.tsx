import { useEffect } from 'react';
import { navigate } from './navigation';

/** Replaces the address (no history entry) once rendered. */
export function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}
