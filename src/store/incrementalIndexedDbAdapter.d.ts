/**
 * Types for LokiJS's incremental IndexedDB adapter, which ships without any. Only what
 * `indexedDbPersistence` uses, checked against lokijs 1.5.12's source.
 */
declare module 'lokijs/src/incremental-indexeddb-adapter.js' {
  export interface IncrementalIndexedDBAdapterOptions {
    /** Another connection changed or deleted the database; this adapter has closed its own. */
    onversionchange?(event: IDBVersionChangeEvent): void
    /** The load has begun reading IndexedDB. */
    onFetchStart?(): void
    /** Another writer had changed the database, so this save rewrote every chunk. */
    onDidOverwrite?(): void
    /** Chunks of 100 documents before they are stringified; pair it with `deserializeChunk`. */
    serializeChunk?(collectionName: string, chunk: object[]): unknown
    deserializeChunk?(collectionName: string, chunk: unknown): object[]
    /** Parallel reads when loading; >= 4 and even. Default 20. */
    megachunkCount?: number
  }

  /**
   * Saves a Loki database as chunks of 100 documents in the object store `LokiIncrementalData` of
   * the IndexedDB database named like the Loki database; a save writes only changed chunks.
   */
  class IncrementalIndexedDBAdapter implements LokiPersistenceAdapter {
    constructor(options?: IncrementalIndexedDBAdapterOptions)
    readonly mode: 'incremental'
    readonly chunkSize: number
    /** The open connection, opened lazily by the first load or save. */
    idb: IDBDatabase | null
    /** Version id of the last `loki` chunk this adapter wrote or read; null forces a full save. */
    _prevLokiVersionId: string | null
    _prevCollectionVersionIds: Record<string, string | null>
    /** Calls back with the database as a plain object, null when there is none, or an error. */
    loadDatabase(dbname: string, callback: (value: unknown) => void): void
    /** `getLokiCopy` is called once, synchronously with the chunks being stringified. */
    saveDatabase(dbname: string, getLokiCopy: () => Loki, callback: (error?: any) => void): void
  }
  export default IncrementalIndexedDBAdapter
}
