export * from './scheduler';
export * from './sim-clock';
export * from './sim-network';
export * from './sim-disk';
