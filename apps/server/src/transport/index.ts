export { TcpTransport } from './tcp-transport';
export type { TcpTransportOptions, TransportLogger, TransportStats } from './tcp-transport';
