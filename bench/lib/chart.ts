import type { Figure } from './output'

const COLORS = ['#7f7f7f', '#1f77b4', '#d62728', '#ff7f0e', '#2ca02c', '#9467bd']

/**
 * A hand-written SVG line chart of rows/s (log scale) by N (log scale), one line per contender.
 * Capped points (a run stopped at the time limit) are drawn hollow.
 */
export function throughputChart(figures: readonly Figure[], title: string): string {
  const W = 800
  const H = 420
  const m = { left: 80, right: 260, top: 40, bottom: 50 }
  const sizes = [...new Set(figures.map((f) => f.n))].sort((a, b) => a - b)
  const rates = figures.map((f) => f.rows_per_s as number).filter((r) => r > 0)
  const yMin = 10 ** Math.floor(Math.log10(Math.min(...rates)))
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...rates)))
  const x = (n: number) =>
    sizes.length === 1 ? (m.left + W - m.right) / 2 : m.left + ((Math.log10(n) - Math.log10(sizes[0] as number)) / (Math.log10(sizes.at(-1) as number) - Math.log10(sizes[0] as number))) * (W - m.left - m.right)
  const y = (r: number) => m.top + (1 - (Math.log10(r) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * (H - m.top - m.bottom)
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${m.left}" y="22" font-size="14" font-weight="bold">${escape(title)}</text>`,
  ]
  for (let p = Math.log10(yMin); p <= Math.log10(yMax); p++) {
    const yy = y(10 ** p)
    out.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${yy}" y2="${yy}" stroke="#ddd"/>`,
      `<text x="${m.left - 8}" y="${yy + 4}" text-anchor="end">${(10 ** p).toLocaleString('en-US')}</text>`)
  }
  for (const n of sizes) {
    out.push(`<line x1="${x(n)}" x2="${x(n)}" y1="${m.top}" y2="${H - m.bottom}" stroke="#eee"/>`,
      `<text x="${x(n)}" y="${H - m.bottom + 18}" text-anchor="middle">${n.toLocaleString('en-US')}</text>`)
  }
  out.push(`<text x="${(m.left + W - m.right) / 2}" y="${H - 12}" text-anchor="middle">rows synced (N)</text>`,
    `<text transform="translate(18 ${(m.top + H - m.bottom) / 2}) rotate(-90)" text-anchor="middle">rows/s (log scale)</text>`)
  const contenders = [...new Set(figures.map((f) => f.contender))]
  contenders.forEach((contender, i) => {
    const color = COLORS[i % COLORS.length] as string
    const points = figures.filter((f) => f.contender === contender).sort((a, b) => a.n - b.n)
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.map((f) => `${x(f.n)},${y(f.rows_per_s as number)}`).join(' ')}"/>`)
    for (const f of points) {
      out.push(`<circle cx="${x(f.n)}" cy="${y(f.rows_per_s as number)}" r="4" fill="${f.capped ? 'white' : color}" stroke="${color}" stroke-width="2"><title>${escape(`${contender}, ${f.n} rows: ${f.rows_per_s} rows/s${f.capped ? ' (capped)' : ''}`)}</title></circle>`)
    }
    const ly = m.top + 10 + i * 22
    out.push(`<line x1="${W - m.right + 16}" x2="${W - m.right + 40}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${W - m.right + 46}" y="${ly + 4}">${escape(contender)}</text>`)
  })
  out.push(`<text x="${W - m.right + 16}" y="${m.top + 10 + contenders.length * 22 + 8}" fill="#555">hollow: stopped at the time cap</text>`, '</svg>')
  return out.join('\n')
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
