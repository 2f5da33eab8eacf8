import type { UnknownAction } from '@reduxjs/toolkit'
import { isDeepStrictEqual } from 'node:util'
import type { PendingCount, ReplicaInternalActions, Settlement } from '../../src'
import type { Item } from './backends'
import type { Client } from './client'
import { serverRows } from './heal'
import type { World } from './world'

/** Differences between what a client shows for a filter and what the server has, one line each. */
function rowDiff(shown: Item[], server: Item[]): string[] {
  const theirs = new Map(server.map((row) => [row.id, row]))
  const ours = new Map(shown.map((row) => [row.id, row]))
  const out: string[] = []
  for (const [id, row] of theirs) {
    const mine = ours.get(id)
    if (!mine) out.push(`missing ${JSON.stringify(row)}`)
    else if (!isDeepStrictEqual(mine, row)) out.push(`differs: shows ${JSON.stringify(mine)}, server has ${JSON.stringify(row)}`)
  }
  for (const [id, row] of ours) if (!theirs.has(id)) out.push(`extra ${JSON.stringify(row)}`)
  return out
}

/**
 * Follows a client's write actions to learn which mutation ids it queued, which it cancelled
 * before sending (a row created and deleted offline), and which a conflict dropped: every other
 * id must reach the server.
 */
function ledger(actions: readonly UnknownAction[], replicaActions: ReplicaInternalActions) {
  const queues = new Map<string, string[]>()
  const queueOf = (p: { key: unknown }) => {
    const k = String(p.key)
    if (!queues.has(k)) queues.set(k, [])
    return queues.get(k)!
  }
  const issued = new Set<string>()
  const gone = new Set<string>()
  for (const action of actions) {
    if (replicaActions.writeQueued.match(action)) {
      const { id, pending } = action.payload as { id?: string; pending: PendingCount }
      const queue = queueOf(pending)
      if (id !== undefined) {
        issued.add(id)
        if (!queue.includes(id)) queue.push(id)
      } else {
        while (queue.length > pending.count) gone.add(queue.pop()!)
      }
    } else if (replicaActions.pushSettled.match(action)) {
      const settlement = action.payload as Settlement
      for (const dropped of settlement.conflicts) {
        gone.add(dropped.id)
        const queue = queueOf(dropped)
        if (queue.includes(dropped.id)) queue.splice(queue.indexOf(dropped.id), 1)
      }
      // Only the first write of a key is ever answered: the settled ones leave from the front.
      for (const pending of settlement.pending) {
        const queue = queueOf(pending)
        while (queue.length > pending.count) queue.shift()
      }
    }
  }
  return { issued, gone }
}

async function writeProblems(world: World, client: Client): Promise<string[]> {
  const out: string[] = []
  const who = `client ${client.index}`
  const pending = client.replica.selectors.selectPendingWrites(client.state)
  if (pending !== 0) out.push(`${who}: ${pending} writes still pending after healing`)
  const rejected = client.replica.selectors.selectRejectedWrites(client.state)
  if (rejected.length > 0) out.push(`${who}: writes refused: ${JSON.stringify(rejected)}`)
  const statuses = await world.backend.mutationStatuses()
  const titleWrites = await world.backend.titleWrites()
  const { issued, gone } = ledger(client.actions, client.replica.internalActions)
  for (const id of issued) if (!gone.has(id) && !statuses.has(id)) out.push(`${who}: queued write ${id} never reached the server`)
  for (const [id, mutation] of client.journal.mutations) {
    const status = statuses.get(id)
    if (status === undefined) {
      out.push(`${who}: sent write ${id} is not recorded on the server: ${JSON.stringify(mutation)}`)
      continue
    }
    const answer = client.journal.answers.get(id)
    if (answer && answer.status !== status) out.push(`${who}: write ${id} was answered ${answer.status}, the server recorded ${status}`)
    // Titles are unique per write: an upsert applied exactly once wrote its title exactly once.
    const title = mutation.op === 'upsert' ? (mutation.row as { title?: string } | undefined)?.title : undefined
    if (status === 'applied' && title !== undefined && titleWrites.get(title) !== 1) {
      out.push(`${who}: applied write ${id} (${title}) took effect ${titleWrites.get(title) ?? 0} times`)
    }
  }
  return out
}

/**
 * The verdict on a healed world. For every client and every filter it subscribes to, the rows it
 * shows are the server's, field for field, no more; every write is on the server exactly once or
 * accounted for; no digest repair ran unless the schedule made a divergence, and then the digest
 * round after healing left every subscription checked.
 */
export async function verify(world: World, digestRound: number[]): Promise<void> {
  const problems: string[] = []
  for (const client of world.clients) {
    const who = `client ${client.index}`
    for (const { key, filter } of world.keysOf(client)) {
      const server = await serverRows(world.backend, filter)
      const status = client.replica.selectors.selectSubscription(client.state, { collection: 'item', filter }).status
      if (status !== 'synced') problems.push(`${who} ${key}: status ${status}`)
      for (const line of rowDiff(client.where(filter), server)) problems.push(`${who} ${key}: ${line}`)
      const checked = client.events
        .slice(digestRound[client.index])
        .some((e) => (e.type === 'digestChecked' || e.type === 'digestRepaired') && e.key === key)
      if (server.length > 0 && !checked) problems.push(`${who} ${key}: no digest check in the digest interval after healing`)
    }
    problems.push(...(await writeProblems(world, client)))
    const repairs = client.events.filter((e) => e.type === 'digestRepaired')
    if (repairs.length > 0 && !world.diverged) problems.push(`${who}: digest repairs without a divergence: ${JSON.stringify(repairs)}`)
  }
  if (problems.length > 0) throw new Error(`the replicas did not converge:\n  ${problems.join('\n  ')}`)
}
