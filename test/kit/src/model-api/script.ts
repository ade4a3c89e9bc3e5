/** A tool call the scripted model makes: a JSON input, or (Responses API freeform tools) a string. */
export interface ScriptedToolCall {
  name: string;
  input: Record<string, unknown> | string;
}

/** One model turn: some text, then the tool calls (none: the turn ends the agent's loop). */
export interface ScriptedTurn {
  text?: string;
  toolCalls?: ScriptedToolCall[];
}

/** What the model answers once the script has no turns left. */
export const DONE_TURN: ScriptedTurn = { text: 'Done.' };

/** Hands out the turns in order, one per conversation request; `DONE_TURN` after the last. */
export class TurnScript {
  private next = 0;
  constructor(private readonly turns: readonly ScriptedTurn[]) {}

  take(): ScriptedTurn {
    const turn = this.turns[this.next];
    if (!turn) return DONE_TURN;
    this.next += 1;
    return turn;
  }

  /** How many scripted turns were answered so far. */
  get used(): number {
    return this.next;
  }
}
