import { docker, makeRepo, testConfig, testDatabaseUrl } from '@berth/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openCore, PostgresStore } from '../src/index.js';

describe('a core on PostgreSQL', () => {
  it('creates a real session there, and a core opened later on the same database sees it', async () => {
    const config = testConfig({ databaseUrl: await testDatabaseUrl() });
    const repo = makeRepo();

    const first = await openCore(config);
    let firstOpen = true;
    onTestFinished(async () => {
      if (firstOpen) await first.close();
    });
    expect(first.store).toBeInstanceOf(PostgresStore);
    const made = await first.service.create({ name: 'pg-alpha', repo });
    expect(made.status).toBe('running');
    await first.close();
    firstOpen = false;

    const second = await openCore(config);
    onTestFinished(() => second.close());
    await second.startWatching();
    const seen = await second.service.get('pg-alpha');
    expect(seen).toMatchObject({ id: made.id, status: 'running', containerId: made.containerId });
    expect((await docker.getContainer(made.containerId!).inspect()).State.Running).toBe(true);
    const r = await second.service.exec('pg-alpha', ['echo', 'still here']);
    expect(r.stdout.toString()).toBe('still here\n');
    await second.service.cancel('pg-alpha');
    expect(await second.store.count(['running'])).toBe(0);
  });
});
