import { randomInt } from 'node:crypto';
import { Conflict } from '../errors/berth-error.js';

const ADJECTIVES = [
  'amber',
  'brave',
  'calm',
  'clever',
  'quiet',
  'eager',
  'fond',
  'gentle',
  'happy',
  'jolly',
  'keen',
  'lucid',
  'merry',
  'nimble',
  'proud',
  'quick',
  'rapid',
  'steady',
  'sunny',
  'swift',
  'tidy',
  'vivid',
  'warm',
  'wise',
  'bold',
  'bright',
  'crisp',
  'deft',
  'fair',
  'noble',
];
const NOUNS = [
  'otter',
  'falcon',
  'harbor',
  'cedar',
  'comet',
  'delta',
  'ember',
  'fjord',
  'grove',
  'heron',
  'island',
  'lagoon',
  'maple',
  'meadow',
  'orbit',
  'pebble',
  'quartz',
  'raven',
  'reef',
  'river',
  'sparrow',
  'summit',
  'tide',
  'willow',
  'badger',
  'beacon',
  'canyon',
  'lynx',
  'marble',
  'wharf',
];

/**
 * A session name for `berth dispatch`: `<agent>-<adjective>-<noun>`, with a short number added
 * when the first tries are taken. Always a valid slug (the agent name is one).
 */
export async function generateSessionName(
  agent: string,
  taken: (name: string) => Promise<boolean>,
): Promise<string> {
  const prefix = agent.slice(0, 32);
  for (let i = 0; i < 20; i++) {
    const adjective = ADJECTIVES[randomInt(ADJECTIVES.length)];
    const noun = NOUNS[randomInt(NOUNS.length)];
    const suffix = i < 8 ? '' : `-${randomInt(10, 10_000)}`;
    const name = `${prefix}-${adjective}-${noun}${suffix}`;
    if (!(await taken(name))) return name;
  }
  throw new Conflict('could not find a free session name', { hint: 'give one: `berth new NAME --agent …`' });
}
