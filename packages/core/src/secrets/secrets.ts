import type { Clock } from '../clock/clock.js';
import type { SecretBox } from './secret-box.js';
import type { SecretStore } from './secret-store.js';

/** Secrets sealed before they reach the database and opened only where they are used. */
export class Secrets {
  constructor(
    private readonly box: SecretBox,
    private readonly store: SecretStore,
    private readonly clock: Clock,
  ) {}

  async put(scope: string, name: string, value: Buffer | string): Promise<void> {
    await this.store.putSecret(
      scope,
      name,
      this.box.seal(value, `${scope}\0${name}`),
      this.clock.now().toISOString(),
    );
  }

  async get(scope: string, name: string): Promise<Buffer | null> {
    const sealed = await this.store.getSecret(scope, name);
    return sealed === null ? null : this.box.open(sealed, `${scope}\0${name}`);
  }

  list(scope: string): Promise<Array<{ name: string; createdAt: string }>> {
    return this.store.listSecrets(scope);
  }

  delete(scope: string, name?: string): Promise<void> {
    return this.store.deleteSecrets(scope, name);
  }
}
