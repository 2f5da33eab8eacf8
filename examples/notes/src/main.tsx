import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { Provider } from 'react-redux'
import { App } from './App'
import { store } from './replica'
import './styles.css'

// For the end-to-end tests: they read the replica's state and flush it to IndexedDB.
Object.assign(window, { replicaStore: store })

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <Provider store={store}>
      <App />
    </Provider>
  </StrictMode>,
)

// The app shell (this page, its script and styles) is kept by a service worker, so the app opens
// with its notes while the server is down. Only the production build has one (`npm start`).
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js').catch((error: unknown) => console.warn('The app will not open offline:', error))
}
