/** Sealed secrets by scope (`session:<id>`, `agent:<profile>`) and name; ciphertext only. */
export interface SecretStore {
  putSecret(scope: string, name: string, ciphertext: string, at: string): Promise<void>;
  getSecret(scope: string, name: string): Promise<string | null>;
  /** The names set in a scope, never the values. */
  listSecrets(scope: string): Promise<Array<{ name: string; createdAt: string }>>;
  /** One secret, or every secret in the scope when `name` is left out. */
  deleteSecrets(scope: string, name?: string): Promise<void>;
}
