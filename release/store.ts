/** The few object-store operations publishing needs; R2 (S3 API) and the local wrangler state. */
export interface ObjectStore {
  /** Where the objects go, for messages. */
  readonly description: string;
  put(key: string, bytes: Uint8Array, contentType: string): Promise<void>;
  get(key: string): Promise<Uint8Array | null>;
  /** Every key under a prefix. */
  list(prefix: string): Promise<string[]>;
  delete(keys: string[]): Promise<void>;
  close(): Promise<void>;
}
