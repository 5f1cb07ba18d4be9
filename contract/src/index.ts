export * from './canonical.js';
export * from './codes.js';
export * from './grammar.js';
export * from './printable.js';
export * from './readonly.js';
export * from './signing.js';
export * from './snapshot.js';
export * from './wire.js';
