import { digestAccumulator, type Digest } from '../core/digestHash.js'
import { tooLarge } from './errors.js'

/** A digest fed chunk by chunk that refuses (413) once it has read more rows than `maxRows`. */
export function boundedDigest(maxRows: number) {
  const acc = digestAccumulator()
  let count = 0
  return {
    add(rows: ReadonlyArray<readonly unknown[]>): void {
      count += rows.length
      if (count > maxRows) throw tooLarge(413, `a digest covers at most ${maxRows} rows; this subscription has more`)
      for (const r of rows) acc.add(r[0] as string | number, r[1] as string | number)
    },
    result: (): Digest => acc.result(),
  }
}
