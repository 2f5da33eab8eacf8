/**
 * Moving an IndexedDB database to another name. IndexedDB cannot rename, so this copies every
 * object store, record by record, into a new database, and only then deletes the original.
 */

import { committed, request } from './idbRequests'

function open(name: string, onUpgrade?: (db: IDBDatabase) => void): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name)
    req.onupgradeneeded = () => onUpgrade?.(req.result)
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
    req.onblocked = () => reject(new Error(`IndexedDB database "${name}" is held open by another connection`))
  })
}

/** Copies database `from` to `to` (which must not exist), then deletes `from`. */
export async function moveIndexedDb(from: string, to: string): Promise<void> {
  const source = await open(from)
  try {
    const stores = [...source.objectStoreNames].map((storeName) => {
      const store = source.transaction(storeName, 'readonly').objectStore(storeName)
      return { name: storeName, keyPath: store.keyPath, autoIncrement: store.autoIncrement }
    })
    const target = await open(to, (db) => {
      for (const { name, keyPath, autoIncrement } of stores) db.createObjectStore(name, { keyPath, autoIncrement })
    })
    try {
      for (const { name, keyPath } of stores) {
        const read = source.transaction(name, 'readonly').objectStore(name)
        const [keys, values] = await Promise.all([request(read.getAllKeys()), request(read.getAll())])
        const tx = target.transaction(name, 'readwrite')
        const write = tx.objectStore(name)
        values.forEach((value, i) => (keyPath === null ? write.put(value, keys[i]) : write.put(value)))
        await committed(tx)
      }
    } finally {
      target.close()
    }
  } finally {
    source.close()
  }
  await request(indexedDB.deleteDatabase(from))
}
