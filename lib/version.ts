// emberkv's version, written into snapshot metadata and reported by INFO. Kept in step with
// package.json's "version" by spec/persistence/format.spec.ts.
export const EMBERKV_VERSION = '0.1.0';
