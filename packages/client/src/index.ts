/** The SDK's Node entry. */
export * from './core';
