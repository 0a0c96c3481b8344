export * from './assert';
export * from './prng';
export * from './ids';
export * from './clock';
export * from './bytes';
export * from './slab';
