import { useEffect } from 'react';

/** The tab's title while a view shows. */
export function useDocumentTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · berth` : 'berth';
  }, [title]);
}
