/**
 * bench-results.svg: one group of two horizontal bars (tscni, reference) per scenario operation,
 * median wall time on a log scale with the p90 as a whisker, ratio on the right. Plain SVG text.
 */
import type { ImplFigures, Row } from "./model.ts";

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const COLORS = { tscni: "#3178c6", reference: "#00a6c8" } as const;

export function renderSvg(rows: readonly Row[], subtitle: string): string {
  const labelW = 330;
  const chartW = 520;
  const ratioW = 110;
  const rowH = 30;
  const top = 64;
  const width = labelW + chartW + ratioW + 20;
  const height = top + rows.length * rowH + 40;
  const values = rows.flatMap((r) => [r.tscni, r.reference]).flatMap((f) => (f ? [f.wallMs.median, f.wallMs.p90] : []));
  const lo = Math.pow(10, Math.floor(Math.log10(Math.max(0.1, Math.min(...values, 1000)))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...values, lo * 10))));
  const x = (ms: number): number => labelW + (chartW * (Math.log10(Math.max(ms, lo)) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo));
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  out.push(`<text x="10" y="20" font-size="15" font-weight="bold">tscni vs reference CNI plugins — median wall time per operation (log scale, whisker = p90)</text>`);
  out.push(`<text x="10" y="38" fill="#555">${esc(subtitle)}</text>`);
  out.push(`<rect x="${labelW}" y="46" width="10" height="10" fill="${COLORS.tscni}"/><text x="${labelW + 14}" y="55">tscni</text>`);
  out.push(`<rect x="${labelW + 70}" y="46" width="10" height="10" fill="${COLORS.reference}"/><text x="${labelW + 84}" y="55">reference (Go)</text>`);
  out.push(`<text x="${labelW + chartW + 10}" y="55" font-weight="bold">tscni/ref</text>`);
  // Labels on every decade, and on 2× and 5× too when the axis spans few decades.
  const dense = Math.log10(hi / lo) <= 3;
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    for (const m of [1, 2, 5]) {
      const v = d * m;
      if (v > hi * 1.0001) break;
      const gx = x(v).toFixed(1);
      out.push(`<line x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${top + rows.length * rowH}" stroke="${m === 1 ? "#ccc" : "#eee"}"/>`);
      const text = v >= 1000 ? `${v / 1000}s` : `${+v.toPrecision(3)}ms`;
      if (m === 1 || dense) out.push(`<text x="${gx}" y="${top + rows.length * rowH + 16}" text-anchor="middle" fill="#555">${text}</text>`);
    }
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    if (i % 2 === 0) out.push(`<rect x="0" y="${y}" width="${width}" height="${rowH}" fill="#f7f7f7" opacity="0.6"/>`);
    out.push(`<text x="10" y="${y + 19}">${esc(`${r.title} — ${r.op}`.slice(0, 52))}</text>`);
    const bar = (f: ImplFigures | undefined, impl: "tscni" | "reference", by: number): void => {
      if (!f) {
        out.push(`<text x="${labelW + 4}" y="${by + 9}" fill="#999" font-size="10">${impl}: ${r.status === "error" ? "error" : "n/a (not implemented yet)"}</text>`);
        return;
      }
      const w = Math.max(1, x(f.wallMs.median) - labelW);
      out.push(`<rect x="${labelW}" y="${by}" width="${w.toFixed(1)}" height="10" fill="${COLORS[impl]}"><title>${impl}: median ${f.wallMs.median.toFixed(2)} ms, p90 ${f.wallMs.p90.toFixed(2)} ms</title></rect>`);
      const px = x(f.wallMs.p90).toFixed(1);
      out.push(`<line x1="${(labelW + w).toFixed(1)}" y1="${by + 5}" x2="${px}" y2="${by + 5}" stroke="#333"/><line x1="${px}" y1="${by + 1}" x2="${px}" y2="${by + 9}" stroke="#333"/>`);
      out.push(`<text x="${Number(px) + 4}" y="${by + 9}" font-size="10" fill="#333">${f.wallMs.median.toFixed(1)}</text>`);
    };
    bar(r.tscni, "tscni", y + 4);
    bar(r.reference, "reference", y + 16);
    const ratio = r.ratio === undefined ? (r.status === "ok" ? "" : r.status) : `${r.ratio.toFixed(2)}`;
    const color = r.target ? (r.target.met ? "#1a7f37" : "#cf222e") : "#333";
    out.push(`<text x="${labelW + chartW + 10}" y="${y + 19}" fill="${color}">${esc(ratio)}${r.target ? ` (${esc(r.target.label)})` : ""}</text>`);
  });
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}
