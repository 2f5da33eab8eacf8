import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A start-up failure the user can fix (a port in use, a database path that cannot be opened): its
 * message is one line naming the port or path and what to do, printed without a stack.
 */
export class StartupError extends Error {
  override name = 'StartupError'
}

/**
 * Listens on `host:port` and resolves with the URL; the usual refusals become a StartupError.
 *
 * @example const url = await listen(server, 3000, '127.0.0.1') // 'http://127.0.0.1:3000'
 */
export function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(listenError(error, port, host))
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      const address = server.address() as AddressInfo
      const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address
      resolve(`http://${shown}:${address.port}`)
    })
  })
}

function listenError(error: NodeJS.ErrnoException, port: number, host: string): Error {
  switch (error.code) {
    case 'EADDRINUSE':
      return new StartupError(`Port ${port} is already in use (another npm start?). Stop that process, or pick another port: PORT=${port + 1} npm start`)
    case 'EACCES':
      return new StartupError(`Port ${port} needs more privileges than this process has. Pick a port above 1023: PORT=3000 npm start`)
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new StartupError(`Host ${host} is not an address of this machine. Use HOST=127.0.0.1 (this machine only) or HOST=0.0.0.0 (every interface)`)
    default:
      return error
  }
}

/**
 * Runs a program's start: a StartupError prints its one line, anything else its stack; both exit 1.
 *
 * @example await runMain(async () => { const app = await startNotesApp(); console.log(app.url) })
 */
export async function runMain(start: () => Promise<void>): Promise<void> {
  try {
    await start()
  } catch (error) {
    console.error(error instanceof StartupError ? error.message : error)
    process.exit(1)
  }
}
