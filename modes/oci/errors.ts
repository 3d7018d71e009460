// OCI error bodies (distribution-spec "Error Codes") for every error the proxy itself answers.
const CODES: Record<number, string> = {
  401: 'UNAUTHORIZED', 403: 'DENIED', 404: 'NAME_UNKNOWN', 405: 'UNSUPPORTED', 416: 'RANGE_INVALID', 429: 'TOOMANYREQUESTS',
  500: 'UNKNOWN', 502: 'UNAVAILABLE', 503: 'UNAVAILABLE', 504: 'UNAVAILABLE',
};

export function ociError(code: string, message: string): string {
  return JSON.stringify({ errors: [{ code, message, detail: null }] });
}

/** the engine's errorBody hook: status → OCI code */
export function errorBody(status: number, _code: string, message: string): { body: string; type: string } {
  return { body: ociError(CODES[status] ?? (status >= 500 ? 'UNKNOWN' : 'UNSUPPORTED'), message), type: 'application/json; charset=utf-8' };
}
