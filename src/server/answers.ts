import type { ErrorBody } from '../core/protocol.js'
import { json } from './context.js'

/** An error answer in the protocol's shape (docs/protocol.md, "Errors"). */
export const errorAnswer = (status: number, body: ErrorBody, extra?: Record<string, string>) => json(status, JSON.stringify(body), extra)
