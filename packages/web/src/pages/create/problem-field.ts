export type CreateField =
  | 'name'
  | 'description'
  | 'repo'
  | 'branch'
  | 'image'
  | 'cpus'
  | 'memory'
  | 'env'
  | 'team'
  | 'sshKey'
  | 'gitName'
  | 'gitEmail'
  | 'idleTimeout'
  | 'idleAction'
  | 'agent'
  | 'prompt'
  | 'autonomy'
  | 'previewCommand'
  | 'previewPort'
  | 'egress'
  | 'allow';

/** The server's words for each field, most specific first (see core's InvalidInput messages). */
const MENTIONS: [CreateField, RegExp][] = [
  // First: a refused host is quoted in the detail, and a host's name may contain any other field's words.
  ['allow', /is not a host to allow$|\bhosts to allow\b|^--allow\b|^allow is a list|\/allow\b/i],
  ['egress', /^egress is one of|\/egress\b/i],
  ['env', /environment variable|\/env\b/i],
  ['sshKey', /\bSSH (?:public |private )?key|\/sshKey\b/i],
  ['gitName', /git user name|\/gitUser\/name\b/i],
  ['gitEmail', /git email|\/gitUser\/email\b/i],
  ['previewCommand', /dev server|preview command|\/preview\/command\b/i],
  ['previewPort', /preview port|\/preview\/port\b/i],
  ['prompt', /\bprompt\b/i],
  ['autonomy', /\bautonomy\b/i],
  ['agent', /agent profile|\bagent\b/i],
  ['idleTimeout', /idle timeout|idleTimeoutSeconds/i],
  ['idleAction', /idle action|idleAction/i],
  ['name', /session name|session named|\/name\b/i],
  ['repo', /repository|not a git repo|\/repo\b|working copy/i],
  ['branch', /\bbranch\b/i],
  ['image', /\bimage\b/i],
  ['cpus', /\bcpus?\b/i],
  ['memory', /\bmemory|memoryBytes/i],
  ['description', /description/i],
  ['team', /\bteam\b/i],
];

/** Which form field a problem's detail is about, so the form shows it there; null: the whole form. */
export function fieldOfProblem(detail: string): CreateField | null {
  for (const [field, re] of MENTIONS) if (re.test(detail)) return field;
  return null;
}
