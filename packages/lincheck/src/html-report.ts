import type { CheckResult, KeyResult } from './checker';
import type { Model } from './model';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const ROW_HEIGHT_PX = 26;
const LABEL_WIDTH_PX = 90;
const PLOT_WIDTH_PX = 1100;

type Role = 'prefix' | 'blocking' | 'other';

/** Replays the prefix through the model so each bar's tooltip can show the state after it. */
function statesAfterPrefix<S, I, O>(model: Model<S, I, O>, key: KeyResult<I, O>): Map<number, string> {
  const states = new Map<number, string>();
  let state = model.init();
  for (const index of key.longestPrefix) {
    const op = key.operations[index];
    if (op === undefined) break;
    const next = model.step(state, op.input, op.output);
    if (typeof next === 'symbol') break;
    state = next;
    states.set(index, model.describeState(state));
  }
  return states;
}

function keySection<S, I, O>(model: Model<S, I, O>, key: KeyResult<I, O>): string {
  const ops = key.operations;
  const finite = ops.flatMap((o) => [o.callTime, o.returnTime]).filter((t) => Number.isFinite(t));
  const t0 = Math.min(...finite);
  // Operations with unknown outcome run off the right edge: give them 5% beyond the last event.
  const tMax = Math.max(...finite);
  const tEnd = tMax + Math.max(1, (tMax - t0) * 0.05);
  const x = (t: number): number => ((Math.min(t, tEnd) - t0) / Math.max(1e-9, tEnd - t0)) * PLOT_WIDTH_PX;
  const clients = [...new Set(ops.map((o) => o.client))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const row = new Map(clients.map((c, i) => [c, i]));
  const position = new Map(key.longestPrefix.map((op, i) => [op, i + 1]));
  const states = statesAfterPrefix(model, key);

  const bars = ops.map((o, index) => {
    const role: Role = index === key.blockingOp ? 'blocking' : position.has(index) ? 'prefix' : 'other';
    const left = x(o.callTime);
    const width = Math.max(3, x(o.returnTime) - left);
    const top = (row.get(o.client) ?? 0) * ROW_HEIGHT_PX + 3;
    const label = model.describeOperation(o.input, o.output);
    const place = position.get(index);
    const tip = [
      `client ${o.client}: ${label}`,
      `call ${o.callTime}, return ${Number.isFinite(o.returnTime) ? o.returnTime : 'unknown'}`,
      place !== undefined ? `linearized #${place}; state after: ${states.get(index) ?? '?'}` : '',
      role === 'blocking' ? 'CANNOT BE PLACED: no order of the pending operations lets it take effect before it returned' : '',
    ]
      .filter((l) => l !== '')
      .join('\n');
    const unknown = Number.isFinite(o.returnTime) ? '' : ' unknown';
    const text = place !== undefined ? `${place}. ${label}` : label;
    return `<div class="op ${role}${unknown}" data-op="${index}" style="left:${left.toFixed(1)}px;width:${width.toFixed(1)}px;top:${top}px" title="${escapeHtml(tip)}">${escapeHtml(text)}</div>`;
  });
  const ticks = Array.from({ length: 11 }, (_, i) => t0 + ((tEnd - t0) * i) / 10).map(
    (t) => `<span class="tick" style="left:${x(t).toFixed(1)}px">${Number(t.toPrecision(6))}</span>`,
  );
  const labels = clients.map((c, i) => `<div class="client" style="top:${i * ROW_HEIGHT_PX + 3}px">client ${escapeHtml(c)}</div>`);
  const blocking = key.blockingOp === undefined ? undefined : ops[key.blockingOp];
  const summary =
    key.verdict === 'illegal' && blocking !== undefined
      ? `<p class="why">Cannot be placed: <b>client ${escapeHtml(blocking.client)}: ${escapeHtml(model.describeOperation(blocking.input, blocking.output))}</b> (call ${blocking.callTime}, return ${blocking.returnTime}). The longest linearizable prefix has ${key.longestPrefix.length} of ${ops.length} operations.</p>`
      : `<p class="why">Verdict ${key.verdict}; ${key.longestPrefix.length} of ${ops.length} operations linearized before the search stopped.</p>`;
  const prefixList = key.longestPrefix
    .map((index, i) => {
      const o = ops[index];
      return o === undefined
        ? ''
        : `<li>${i + 1}. client ${escapeHtml(o.client)}: ${escapeHtml(model.describeOperation(o.input, o.output))} ⇒ ${escapeHtml(states.get(index) ?? '?')}</li>`;
    })
    .join('');
  return `<section>
<h2>key ${escapeHtml(JSON.stringify(key.key))}: ${key.verdict}</h2>
${summary}
<div class="chart" style="height:${clients.length * ROW_HEIGHT_PX + 6}px">
<div class="labels">${labels.join('')}</div>
<div class="plot" style="width:${PLOT_WIDTH_PX}px;left:${LABEL_WIDTH_PX}px">${bars.join('\n')}</div>
</div>
<div class="axis" style="width:${PLOT_WIDTH_PX}px;margin-left:${LABEL_WIDTH_PX}px">${ticks.join('')}</div>
<details><summary>Longest linearizable prefix (${key.longestPrefix.length} operations) and the state after each</summary><ol class="prefix">${prefixList}</ol></details>
</section>`;
}

const STYLE = `body{font:13px system-ui,sans-serif;margin:16px;color:#222}
h1{font-size:18px}h2{font-size:15px;margin-top:24px}
.legend span{display:inline-block;padding:2px 8px;margin-right:8px;border-radius:3px}
.chart{position:relative;overflow-x:auto;border:1px solid #ddd;background:repeating-linear-gradient(90deg,#fafafa 0 99px,#eee 99px 100px)}
.labels{position:absolute;left:0;top:0;width:${LABEL_WIDTH_PX}px}
.client{position:absolute;left:4px;height:20px;line-height:20px;color:#555}
.plot{position:absolute;top:0;height:100%}
.op{position:absolute;height:20px;line-height:20px;font-size:11px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;border-radius:3px;padding:0 3px;box-sizing:border-box;cursor:default}
.prefix,.op.prefix{background:#b7e4c7;border:1px solid #2d6a4f}
.other,.op.other{background:#e9ecef;border:1px solid #adb5bd}
.blocking,.op.blocking{background:#f8d7da;border:2px solid #c1121f;font-weight:bold;z-index:2}
.op.unknown{border-style:dashed}
ol.prefix{list-style:none;padding-left:8px;background:none;border:none}
.why{margin:4px 0 8px}
.axis{position:relative;height:18px;color:#666;font-size:11px}
.tick{position:absolute;top:2px;transform:translateX(-50%)}`;

/**
 * A self-contained HTML page (no external assets) for a check: for each key that is not ok, its
 * operations as bars on a time axis (in the history's time unit), one row per client; green bars are the longest linearizable
 * prefix (numbered in linearization order), the red bar is the operation that cannot be placed,
 * dashed bars have unknown outcome. Hover a bar for details.
 */
export function renderHtmlReport<S, I, O>(model: Model<S, I, O>, result: CheckResult<I, O>, title: string): string {
  const failing = result.keys.filter((k) => k.verdict !== 'ok');
  const sections = failing.length === 0 ? '<p>Every key is linearizable.</p>' : failing.map((k) => keySection(model, k)).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(title)}: ${result.verdict.toUpperCase()}</h1>
<p>Model ${escapeHtml(model.name)}; ${result.keys.length} keys checked in ${result.elapsedMs.toFixed(1)} ms; ${failing.length} not ok.</p>
<p class="legend"><span class="prefix">linearizable prefix</span><span class="blocking">cannot be placed</span><span class="other">not reached</span><span class="other" style="border-style:dashed">unknown outcome</span></p>
${sections}
</body></html>
`;
}
