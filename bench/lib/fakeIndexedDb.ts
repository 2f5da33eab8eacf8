/** Installs fake-indexeddb's IndexedDB globals (imported only by the benchmarks that need them). */
import 'fake-indexeddb/auto'
