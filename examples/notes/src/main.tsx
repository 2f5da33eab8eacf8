import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { Provider } from 'react-redux'
import { App } from './App'
import { createAppStore } from './store'

const app = createAppStore()
// Save what was applied before the tab goes away; the replica also saves on pagehide itself.
Object.assign(window, { replicaStore: app.store })

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <Provider store={app.store}>
      <App app={app} />
    </Provider>
  </StrictMode>,
)
