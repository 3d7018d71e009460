// One JSON object per line on stderr (or text), with redaction of secret values.
import type { Logger } from './mode.js';

const LEVELS = { error: 0, warn: 1, info: 2, debug: 3 } as const;
export type Level = keyof typeof LEVELS;

export interface LogOptions { level: Level; format: 'json' | 'text'; secrets?: string[] }

let options: LogOptions = { level: 'info', format: 'json', secrets: [] };
let sink: (line: string) => void = (line) => process.stderr.write(line + '\n');

export function configureLog(o: Partial<LogOptions>): void {
  options = { ...options, ...o };
  const env = process.env.LOG_LEVEL?.toLowerCase();
  if (env) options.level = (env === 'warning' ? 'warn' : env) as Level;
  if (process.env.DEBUG === 'true') options = { ...options, level: 'debug', format: 'text' };
}
export function setLogSink(f: (line: string) => void): void { sink = f; }

/** URL userinfo and each given secret (of 3 characters or more) replaced by *** */
export function redactWith(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 3) out = out.split(s).join('***');
  return out.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1***@');
}
/** a line with the configuration's secrets and URL userinfo redacted */
export const redact = (text: string): string => redactWith(text, options.secrets ?? []);

function emit(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  if (LEVELS[level] > LEVELS[options.level]) return;
  const time = new Date().toISOString();
  const line = options.format === 'json'
    ? JSON.stringify({ time, level, msg, ...fields })
    : `${time} ${level.toUpperCase()} ${msg}${Object.entries(fields).map(([k, v]) => ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join('')}`;
  sink(redact(line));
}

export function logger(base: Record<string, unknown> = {}): Logger {
  return {
    debug: (m, f) => emit('debug', m, { ...base, ...f }),
    info: (m, f) => emit('info', m, { ...base, ...f }),
    warn: (m, f) => emit('warn', m, { ...base, ...f }),
    error: (m, f) => emit('error', m, { ...base, ...f }),
  };
}
export const log = logger();
