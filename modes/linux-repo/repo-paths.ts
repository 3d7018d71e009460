// Paths inside a repository tree (`/`-separated, no leading slash): joining, the parent, encoding for a request.
export const joinPath = (...p: string[]) => p.filter(Boolean).join('/');
export const dirOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
export const encodePath = (p: string) => p.split('/').map(encodeURIComponent).join('/');
