// The glob of `cache-proxy ls` and purge: `*` is any run of characters (slashes too), `?` one character,
// everything else itself; it matches a whole key (`<kind>/<path>…`).
export function keyGlob(glob: string): RegExp {
  let re = '';
  for (const ch of glob) re += ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  return new RegExp(`^${re}$`, 's');
}
