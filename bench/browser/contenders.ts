/** The browser part's contender names, as its figures carry them (bench/targets.ts looks them up). */
export const BROWSER_FLOOR = 'floor (fetch + JSON.parse, in the page)'
export const BROWSER_IDB = 'redux-replica (indexedDbPersistence)'
export const BROWSER_MEMORY = 'redux-replica (memoryPersistence)'
