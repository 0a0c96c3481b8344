/** host:port parsing with errors a user can act on. IPv6 hosts are written in brackets: [::1]:7001. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export function parseHostPort(text: string, what: string): HostPort {
  const trimmed = text.trim();
  const match = /^(?:\[([^\]]+)\]|([^:/\s]+)):(\d{1,5})$/.exec(trimmed);
  if (match === null) throw new Error(`${what}: "${text}" is not host:port (e.g. 127.0.0.1:7001)`);
  const port = Number(match[3]);
  if (port > 65535) throw new Error(`${what}: port ${port} is out of range (0-65535)`);
  return { host: (match[1] ?? match[2])!, port };
}

export function formatHostPort(address: HostPort): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
