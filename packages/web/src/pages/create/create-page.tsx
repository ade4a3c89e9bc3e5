import { useApi } from '../../api/api-context';
import { useResource } from '../../api/use-resource';
import { navigate } from '../../app/navigation';
import { paths } from '../../app/routes';
import { useDocumentTitle } from '../../app/use-document-title';
import { Loading } from '../../components/loading';
import { ProblemMessage } from '../../components/problem-message';
import { CreateForm } from './create-form';
import './create.css';

/** A new session: the server's defaults first (image, limits) and the teams one may share with. */
export function CreatePage() {
  useDocumentTitle('New session');
  const api = useApi();
  const setup = useResource(
    // Teams and agents are niceties: without them the form still works, without sharing or agents.
    () =>
      Promise.all([
        api.config(),
        api.listTeams().catch(() => []),
        api.listAgents().then(
          (a) => a.agents,
          () => [],
        ),
      ]),
    [api],
  );
  return (
    <>
      <div className="page-head">
        <h1>New session</h1>
      </div>
      {setup.status === 'loading' && <Loading label="Loading the server’s defaults…" />}
      {setup.status === 'error' && (
        <ProblemMessage
          title="Could not load the server’s defaults"
          error={setup.error}
          onRetry={setup.reload}
        />
      )}
      {setup.status === 'ready' && (
        <CreateForm
          config={setup.data[0]}
          teams={setup.data[1]}
          agents={setup.data[2]}
          onCreated={(s) => navigate(paths.session(s.name))}
        />
      )}
    </>
  );
}
