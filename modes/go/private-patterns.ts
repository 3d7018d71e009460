// GOPRIVATE / GONOSUMDB patterns: each glob is matched against the leading path elements of a module path, as
// many elements as the pattern has (the go command's module.MatchPrefixPatterns).

/** one path element glob (`*`, `?`, `[...]`, `\` escapes) as a regular expression */
function elementRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '\\' && i + 1 < glob.length) out += escapeRe(glob[++i]!);
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) { out += '\\['; continue; }
      out += `[${glob.slice(i + 1, end).replace(/^\^/, '^').replace(/\\/g, '\\\\')}]`;
      i = end;
    } else out += escapeRe(c);
  }
  return out;
}
const escapeRe = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

export type PathMatcher = (modulePath: string) => boolean;

/** a matcher for a list of patterns (entries may themselves be comma-separated lists, as in the environment variables) */
export function prefixPatterns(patterns: readonly string[]): PathMatcher {
  const list = patterns.flatMap((p) => p.split(',')).map((p) => p.trim().replace(/\/+$/, '')).filter(Boolean);
  const compiled = list.map((p) => ({ n: p.split('/').length, re: new RegExp(`^${p.split('/').map(elementRegex).join('/')}$`) }));
  return (modulePath) => compiled.some(({ n, re }) => {
    const elems = modulePath.split('/');
    return elems.length >= n && re.test(elems.slice(0, n).join('/'));
  });
}
