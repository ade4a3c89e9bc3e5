import { useState } from 'react';
import type { ViewMode } from './session-toolbar';

const KEY = 'berth.view';

/** Cards or table, remembered on this browser. */
export function useViewMode(): [ViewMode, (v: ViewMode) => void] {
  const [view, setView] = useState<ViewMode>(() => (read() === 'table' ? 'table' : 'cards'));
  const choose = (v: ViewMode) => {
    setView(v);
    try {
      localStorage.setItem(KEY, v);
    } catch {
      // Storage switched off: the choice lasts until reload.
    }
  };
  return [view, choose];
}

function read(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}
