/**
 * The image side of the runtime port: what bootstrapping and building berth's session image ask
 * of an engine, in berth's nouns. images/session-image.ts decides what to build; a driver
 * (runtime/docker-images.ts) only talks to its engine.
 */

/** Receives human-readable progress lines (no trailing newline, never empty). */
export type ImageProgress = (line: string) => void;

export interface ImageStatus {
  tag: string;
  present: boolean;
  id?: string;
  created?: string;
  sizeBytes?: number;
}

export interface ImageEngine {
  /** Whether the engine has an image by that reference. */
  exists(ref: string): Promise<boolean>;
  /** The image's id, creation time and size; `present: false` when the engine has none of that tag. */
  status(tag: string): Promise<ImageStatus>;
  /** The engine's CPU architecture as it names it (`x86_64`, `aarch64`): the Node a build takes. */
  architecture(): Promise<string>;
  /**
   * Imports a root filesystem tar as `tag`, with Dockerfile-style `changes` (`CMD […]`, `LABEL k=v`).
   * Resolves with the engine's error message when the import reported one, else undefined.
   */
  importRootfs(
    tarPath: string,
    opts: { tag: string; changes: string[] },
    progress: ImageProgress,
  ): Promise<string | undefined>;
  /**
   * Builds the Dockerfile at the root of `contextDir` as `tag`. Resolves with the engine's error
   * message when the build reported one (a failing step), else undefined.
   */
  build(
    contextDir: string,
    opts: { tag: string; buildArgs: Record<string, string>; labels: Record<string, string> },
    progress: ImageProgress,
  ): Promise<string | undefined>;
}
