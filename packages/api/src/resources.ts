import { Type } from 'typebox';
import { LIMIT_BOUNDS } from './limits.js';
import { IdleFields, Session } from './schemas.js';

export const PatchSessionRequest = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    cpus: Type.Optional(Type.Number({ minimum: LIMIT_BOUNDS.cpus.min, maximum: LIMIT_BOUNDS.cpus.max })),
    memoryBytes: Type.Optional(
      Type.Integer({ minimum: LIMIT_BOUNDS.memoryBytes.min, maximum: LIMIT_BOUNDS.memoryBytes.max }),
    ),
    ...IdleFields,
  },
  { additionalProperties: false, minProperties: 1 },
);

export const ContainerState = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: Type.String(),
  exitCode: Type.Union([Type.Integer(), Type.Null()]),
  oomKilled: Type.Boolean(),
});

export const SessionHealth = Type.Object({
  session: Session,
  /** Null when the session has no container (finished, cancelled, vanished). */
  container: Type.Union([ContainerState, Type.Null()]),
  healthy: Type.Boolean(),
});

export const ManagedContainer = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: Type.String(),
  sessionId: Type.Union([Type.String(), Type.Null()]),
  sessionName: Type.Union([Type.String(), Type.Null()]),
});
export const ContainerList = Type.Object({ containers: Type.Array(ManagedContainer) });
export const ContainerRef = Type.Object({
  id: Type.String({ minLength: 12, maxLength: 64, pattern: '^[0-9a-f]+$' }),
});

export const ImageInfo = Type.Object({
  tag: Type.String(),
  present: Type.Boolean(),
  id: Type.Optional(Type.String()),
  created: Type.Optional(Type.String()),
  sizeBytes: Type.Optional(Type.Number()),
});
export const ImageList = Type.Object({ images: Type.Array(ImageInfo) });
export const BuildImageRequest = Type.Object(
  {
    tag: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[a-z0-9][a-z0-9._/:-]*$' })),
    base: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[a-z0-9][a-z0-9._/:@-]*$' })),
  },
  { additionalProperties: false },
);
export const LogsDownloadQuery = Type.Object({ download: Type.Optional(Type.Boolean()) });
