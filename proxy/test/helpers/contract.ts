// Re-exports for tests: the contract API plus jose's CompactSign for hand-made JWS attacks.
export {
  ApplyResponseSchema,
  MAX_SIGNED_SNAPSHOT_BYTES,
  ProxyStatusSchema,
  SNAPSHOT_JWS_TYP,
  canonicalJson,
  contentHash,
  signSnapshot,
} from '@portcullis/contract';
export { CompactSign } from 'jose';
