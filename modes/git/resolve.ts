// Which repository and which smart-HTTP service a mount-relative path names, and where that repository's
// upstream is: `repositories[]` (and the legacy `upstream` at the mount itself), then `upstream_base` +
// `allow`, else nothing (404 without upstream contact).
import picomatch from 'picomatch';
import { canonicalPath, type GitSettings, type RepoSpec } from './settings.js';

export type GitService = 'info-refs' | 'upload-pack' | 'receive-pack' | 'dumb';
export interface GitRequestPath { repo: string; service: GitService }

const SERVICES: [RegExp, GitService][] = [
  [/(^|\/)info\/refs$/, 'info-refs'],
  [/(^|\/)git-upload-pack$/, 'upload-pack'],
  [/(^|\/)git-receive-pack$/, 'receive-pack'],
  [/(^|\/)(HEAD|objects\/.*|info\/(packs|alternates|http-alternates))$/, 'dumb'],
];

/** the repository part and the service of a request path; null = no git endpoint */
export function splitGitPath(path: string): GitRequestPath | null {
  for (const [re, service] of SERVICES) {
    const m = re.exec(path);
    if (m) return { repo: canonicalPath(path.slice(0, m.index)), service };
  }
  return null;
}

export class RepositoryResolver {
  private fixed: Map<string, RepoSpec>;
  private allowed: ((p: string) => boolean) | undefined;
  constructor(private s: GitSettings) {
    this.fixed = new Map(s.fixed.map((r) => [r.path, r]));
    this.allowed = s.onDemand ? picomatch(s.onDemand.allow, { dot: false }) : undefined;
  }

  resolve(repo: string): RepoSpec | null {
    const fixed = this.fixed.get(repo);
    if (fixed) return fixed;
    const od = this.s.onDemand;
    if (!od || !repo || !this.allowed!(repo) || repo.split('/').some((x) => x === '..' || x === '.' || x === '')) return null;
    return { path: repo, upstream: `${od.base}/${repo}.git`, ...this.s.defaults, onDemand: true };
  }
}
