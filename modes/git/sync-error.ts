// What a failed clone or sync means: permanent (credentials refused, repository absent or empty, an object
// format this mirror cannot serve) waits for failed_retry_after; anything else is retried with backoff.

export class SyncError extends Error {
  constructor(message: string, readonly permanent: boolean) { super(message); }
}

const AUTH = /authentication failed|could not read (username|password)|returned error: 40[13]|http 40[13]|terminal prompts disabled/i;
const NOT_FOUND = /returned error: 404|http 404|repository .* not found|does not appear to be a git repository|not found/i;

/** a failed git run as a SyncError, with git's (already redacted) last line as the detail */
export function classifyGitFailure(what: string, stderr: string): SyncError {
  const last = stderr.trim().split('\n').filter(Boolean).at(-1) ?? `${what} failed`;
  if (AUTH.test(stderr)) return new SyncError('authentication failed', true);
  if (NOT_FOUND.test(stderr)) return new SyncError('upstream repository not found', true);
  return new SyncError(`${what} failed: ${last.replace(/^(fatal|error): /, '')}`, false);
}
