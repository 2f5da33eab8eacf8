import type { HttpTransportOptions } from './httpTransport'
import { fetchOrThrow, httpError, malformed, readJson } from './validateRow'
import type { MutationResult, PushRequestBody, PushResponseBody, WireMutation } from '../core/pushWire'

/** What the push loop asks a push transport to send. */
export interface PushRequest {
  mutations: WireMutation[]
  /** Aborts the request (close, timeout). */
  signal: AbortSignal
}

/**
 * Where local writes go. Answer one result per mutation, in order (docs/protocol.md, "Push"); throw
 * a `ReplicaError` with the HTTP `status` for a refusal of the whole request, code `network` for no
 * answer at all. Any other throw is retried like a 5xx.
 *
 * @example
 * const push: PushTransport = { push: ({ mutations }) => myApi.applyWrites(mutations) }
 */
export interface PushTransport {
  push(request: PushRequest): Promise<PushResponseBody>
}

/**
 * Pushes to our protocol's endpoint: `POST <url>/push` with `{ mutations }`, answered by
 * `{ results }`. Takes the same options as `httpTransport` (same `url`, same `headers`).
 *
 * @example
 * createReplica({ transport: httpTransport({ url }), push: httpPushTransport({ url }), ... })
 */
export function httpPushTransport(options: HttpTransportOptions): PushTransport {
  const base = options.url.replace(/\/+$/, '')
  return {
    async push({ mutations, signal }) {
      const headers = typeof options.headers === 'function' ? await options.headers() : options.headers
      const body: PushRequestBody = { mutations }
      const response = await fetchOrThrow(options.fetch ?? globalThis.fetch, `${base}/push`, {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
        signal,
      })
      if (!response.ok) throw await httpError(response)
      return parsePushBody(await readJson(response), mutations)
    },
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Checks a push answer completely: one well-formed result per mutation, same ids, same order. */
export function parsePushBody(body: unknown, mutations: readonly WireMutation[]): PushResponseBody {
  if (!isObject(body) || !Array.isArray(body.results)) throw malformed('the push answer has no "results" array')
  const results = body.results as unknown[]
  if (results.length !== mutations.length) throw malformed(`the push answer has ${results.length} results for ${mutations.length} mutations`)
  results.forEach((result, i) => {
    const where = `push result ${i}`
    if (!isObject(result) || result.id !== mutations[i]!.id) throw malformed(`${where} does not answer mutation ${JSON.stringify(mutations[i]!.id)}`)
    if (result.status === 'rejected') {
      const error = result.error
      if (!isObject(error) || typeof error.code !== 'string' || typeof error.message !== 'string') throw malformed(`${where} is rejected without an error`)
      return
    }
    if (result.status !== 'applied' && result.status !== 'conflict') throw malformed(`${where} has an unknown status`)
    const { row, version } = result
    if (version !== null && !(typeof version === 'number' && Number.isFinite(version))) throw malformed(`${where} has no valid version`)
    if (row !== null && !(isObject(row) && row._version === version)) throw malformed(`${where} has a row that is not an object with its _version`)
  })
  return { results: results as MutationResult[] }
}
