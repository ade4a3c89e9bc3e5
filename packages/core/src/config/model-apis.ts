import { InvalidInput } from '../errors/berth-error.js';

/** The model APIs the key broker forwards to, by vendor. */
export interface ModelApis {
  anthropic: string;
  openai: string;
  gemini: string;
}

const FALLBACK: ModelApis = {
  anthropic: 'https://api.anthropic.com',
  openai: 'https://api.openai.com/v1',
  gemini: 'https://generativelanguage.googleapis.com',
};

/**
 * BERTH_ANTHROPIC_BASE_URL, BERTH_OPENAI_BASE_URL, BERTH_GEMINI_BASE_URL: where the key broker
 * sends agents' requests (a team's own gateway, a test's scripted API); the vendors' by default.
 */
export function modelApisFrom(env: NodeJS.ProcessEnv): ModelApis {
  return {
    anthropic: baseUrl('BERTH_ANTHROPIC_BASE_URL', env.BERTH_ANTHROPIC_BASE_URL, FALLBACK.anthropic),
    openai: baseUrl('BERTH_OPENAI_BASE_URL', env.BERTH_OPENAI_BASE_URL, FALLBACK.openai),
    gemini: baseUrl('BERTH_GEMINI_BASE_URL', env.BERTH_GEMINI_BASE_URL, FALLBACK.gemini),
  };
}

function baseUrl(name: string, value: string | undefined, fallback: string): string {
  const raw = (value ?? '').trim();
  if (raw === '') return fallback;
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.search) {
    throw new InvalidInput(`${name}=${raw.slice(0, 100)} is not an http(s) base URL`, {
      hint: `give one like ${fallback} (no credentials or query in it), or unset ${name}`,
    });
  }
  return raw.replace(/\/+$/, '');
}
