export async function discoverPypi(): Promise<{ name: string; block: Record<string, unknown> }[]> { return []; }
