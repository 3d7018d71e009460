// The configuration the mode tests share: one instance named after its mode, mounted at `/<mode>`, on a
// temporary backend, with metrics; and reading one counter back from the metrics page.

export interface SingleInstance {
  /** the mode (also the instance's name and its mount, `/<mode>`) */
  mode: string;
  /** lines of the mode block after `route` (indented 6 spaces) */
  block: string;
  /** lines of the instance after `enabled` (indented 4 spaces) */
  instance?: string;
  /** extra YAML under `server:` (indented 2 spaces) */
  server?: string;
  /** extra top-level YAML */
  top?: string;
}

export function singleInstanceConfig(o: SingleInstance): string {
  return `
server:
  bind: "127.0.0.1:\${PORT}"
  backend: "\${BACKEND}"
  limits: { shutdown_timeout: 1s }
${o.server ?? ''}
metrics: { path: /metrics }
${o.top ?? ''}
instances:
  - name: ${o.mode}
    enabled: true
${o.instance ?? ''}
    ${o.mode}:
      route: { path: /${o.mode} }
${o.block}
`;
}

/** the sum of a counter's series whose labels include all of `labels` (0 when none) */
export async function metricValue(proxyUrl: string, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${proxyUrl}/metrics`)).text();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const have = line.slice(name.length + 1, line.indexOf('}')).split(',');
    if (want.every((w) => have.includes(w))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
