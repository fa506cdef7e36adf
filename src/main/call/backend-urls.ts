/** Endpoint URLs on the backend, relative to its configured base URL (which may carry a path prefix). */

/** `<base>/<path>`, keeping a base path such as https://host/veridesk/. */
export function backendEndpoint(backendUrl: string, path: string): URL {
  const base = backendUrl.endsWith('/') ? backendUrl : `${backendUrl}/`;
  return new URL(path.replace(/^\/+/, ''), base);
}

/** The signaling WebSocket URL: http → ws, https → wss, same host and base path. */
export function signalingUrl(backendUrl: string, path: string): string {
  const url = backendEndpoint(backendUrl, path);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}
