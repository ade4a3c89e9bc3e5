import { Link } from '../app/navigation';
import { paths } from '../app/routes';
import { useDocumentTitle } from '../app/use-document-title';
import { EmptyState } from '../components/empty-state';

export function NotFoundPage() {
  useDocumentTitle('Not found');
  return (
    <EmptyState title="There is no page at this address.">
      <Link to={paths.dashboard}>Back to the sessions</Link>
    </EmptyState>
  );
}
