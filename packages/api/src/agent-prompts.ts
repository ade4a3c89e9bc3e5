import { type Static, Type } from 'typebox';
import { Session } from './schemas.js';

/**
 * Driving a running agent session: its next prompt (`POST /api/v1/sessions/:name/send`) and
 * waiting until its agent is done, needs a person, or has exited (`POST …/:name/wait`).
 */

/** The longest a single wait request is held open, in seconds: a long-poll; clients loop for longer. */
export const MAX_WAIT_SECONDS = 300;

export const WaitableStateSchema = Type.Union([
  Type.Literal('idle'),
  Type.Literal('needs-input'),
  Type.Literal('exited'),
]);

export const SendPromptRequest = Type.Object(
  {
    /** Typed into the agent's terminal as one paste, then Enter: untrusted text, never run by a shell. */
    text: Type.String({ minLength: 1, maxLength: 65536 }),
  },
  { additionalProperties: false },
);
export type SendPromptRequest = Static<typeof SendPromptRequest>;

export const WaitForAgentRequest = Type.Object(
  {
    /** The states to wait for; default all three (idle, needs-input, exited). */
    for: Type.Optional(Type.Array(WaitableStateSchema, { minItems: 1, maxItems: 3 })),
    /** How long to hold the request open, in seconds (default and at most 300). */
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_WAIT_SECONDS })),
  },
  { additionalProperties: false },
);
export type WaitForAgentRequest = Static<typeof WaitForAgentRequest>;

export const WaitForAgentResponse = Type.Object({
  /** The state the agent reached, or `timeout` when none came in time (the session says what it is doing). */
  reached: Type.Union([
    Type.Literal('idle'),
    Type.Literal('needs-input'),
    Type.Literal('exited'),
    Type.Literal('timeout'),
  ]),
  session: Session,
});
export type WaitForAgentResponse = Static<typeof WaitForAgentResponse>;
