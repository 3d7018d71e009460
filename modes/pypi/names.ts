// Project names (PEP 503 normalisation) and the project a distribution file belongs to.

/** lower case, every run of `-`, `_`, `.` one `-` */
export const normalizeName = (name: string): string => name.toLowerCase().replace(/[-_.]+/g, '-');

const DIST_SUFFIX = /\.(?:whl|tar\.gz|tgz|tar\.bz2|tar\.xz|tar|zip|egg|exe|msi|rpm|dmg)$/i;

/** a file name that is a distribution (wheel, sdist, legacy formats) */
export const isDistribution = (file: string): boolean => DIST_SUFFIX.test(file);

/**
 * The normalised project of a distribution file name, or null: a wheel's first `-` field, an sdist's text
 * before the last `-<digit>`.
 */
export function projectOfFile(file: string): string | null {
  if (!isDistribution(file)) return null;
  if (/\.whl$/i.test(file)) {
    const first = file.split('-')[0];
    return first ? normalizeName(first) : null;
  }
  const m = /^(.+?)-\d[^-]*$/.exec(file.replace(DIST_SUFFIX, '')) ?? /^(.*)-\d/.exec(file);
  return m?.[1] ? normalizeName(m[1]) : null;
}
