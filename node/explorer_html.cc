#include "node/explorer_html.h"

namespace coal::node {

// One self-contained page (no external scripts, styles or fonts: nodes may run offline). It calls
// /api/status, /api/rulesets?as_of=, /api/commitments?member=&vendor=&status=,
// /api/shipments?<key>=<value>&page_token= and /api/shipment?id= (explorer_api.h); every answer is
// JSON, errors as {"error": "..."}. Every string from the ledger goes through esc() before it
// reaches innerHTML.
//
// Links: #search=<entity>, #<key>=<value> (key: entity, shipment_id, serial, model, country, hs,
// reason) run that shipment search on load; #shipment=<id> opens one shipment's history.
const char kExplorerHtml[] = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Coalition Ledger explorer</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
header{background:#1d2a44;color:#fff;padding:12px 20px;display:flex;gap:16px;align-items:baseline}
header h1{margin:0;font-size:20px}
main{padding:16px 20px;display:grid;grid-template-columns:1fr 1fr;gap:16px}
section{background:#fff;border-radius:8px;padding:12px 16px;box-shadow:0 1px 3px #0002;min-width:0}
section.wide{grid-column:1/3}h2{font-size:16px;margin:4px 0 10px}h3{font-size:14px}
table{border-collapse:collapse;width:100%;font-size:13px}
td,th{border-bottom:1px solid #e3e6ea;padding:4px 6px;text-align:left;vertical-align:top}
.bar{display:inline-block;background:#e3e6ea;border-radius:4px;height:12px;width:160px;vertical-align:middle}
.bar>div{background:#2f7d4f;height:12px;border-radius:4px}
.mono{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}
.err{color:#b00020}.muted{color:#667}
.tag{display:inline-block;border-radius:3px;padding:0 5px;font-size:12px;background:#e3e6ea}
.tag.in-force{background:#cfe8d8}.tag.pending{background:#fbe7b5}.tag.proposed{background:#dde3f7}
input,select,button{font-size:14px;padding:4px 6px}
svg text{font-family:system-ui,sans-serif}
</style></head><body>
<header><h1>Coalition Ledger explorer</h1><span id="chain" class="mono"></span></header>
<main>
<section><h2>Cluster</h2><table id="status"></table></section>
<section><h2>Latest quorum checkpoint</h2><table id="checkpoint"></table></section>
<section class="wide"><h2>Rule sets over time</h2>
<label>as of <input id="asof" type="date"></label> <button id="asof-go">show</button>
<span id="asof-label" class="muted"></span>
<div><svg id="chart" width="100%" height="280" viewBox="0 0 960 280" role="img"
 aria-label="TPP thresholds per rule-set version by effective date"></svg></div>
<table id="rulesets"></table></section>
<section class="wide"><h2>Procurement commitments</h2>
<input id="c-member" placeholder="buyer (member id)"> <input id="c-vendor" placeholder="vendor">
<select id="c-status"><option value="">any status</option><option>open</option><option>closed</option></select>
<button id="c-go">filter</button>
<table id="commitments"></table><table id="aggregates"></table></section>
<section class="wide"><h2>Flagged shipments</h2>
<div id="shipment-note" class="muted"></div>
<select id="field"><option value="entity">entity</option><option value="shipment_id">shipment id</option>
<option value="serial">serial number</option><option value="model">chip model</option>
<option value="country">country or hub</option><option value="hs">HS code</option>
<option value="reason">flag reason</option></select>
<input id="query" size="40" placeholder="e.g. Lucky Star Trading"> <button id="search">search</button>
<div id="shipment-error" class="err"></div><div id="shipment-summary" class="muted"></div>
<table id="shipments"></table><button id="more" hidden>more</button>
<div id="history"></div></section>
</main>
<script>
'use strict';
const $ = id => document.getElementById(id);
const esc = s => String(s ?? '').replace(/[&<>"']/g,
  c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));
const day = ms => ms ? new Date(Number(ms)).toISOString().slice(0, 10) : '';
const when = ms => ms ? new Date(Number(ms)).toISOString().replace('T', ' ').slice(0, 19) + 'Z' : '';
async function api(path) {
  const r = await fetch('/api/' + path);
  let j;
  try { j = await r.json(); } catch (e) { throw new Error('HTTP ' + r.status); }
  if (!r.ok) throw new Error(j.error || ('HTTP ' + r.status));
  return j;
}
// rows(table id, header cells, rows of already-escaped HTML cells)
function rows(t, head, data) {
  $(t).innerHTML = '<tr>' + head.map(h => '<th>' + esc(h) + '</th>').join('') + '</tr>' +
    data.map(r => '<tr>' + r.map(c => '<td>' + c + '</td>').join('') + '</tr>').join('');
}
const fail = (t, e) => { $(t).innerHTML = '<tr><td class="err">' + esc(e.message) + '</td></tr>'; };

async function loadStatus() {
  try {
    const s = await api('status');
    $('chain').textContent = s.chain_id;
    rows('status', ['', ''], [['node', esc(s.node_id)],
      ['operator', esc(s.operator) + (s.operator_may_read_shipments ? '' : ' <span class="muted">(may not read shipments)</span>')],
      ['height', s.height], ['round', s.round], ['log size', s.tree_size],
      ['root', '<span class="mono">' + esc(s.root) + '</span>'],
      ['mempool', s.mempool_entries + ' entries'],
      ['peers', (s.peers || []).map(p => esc(p.id) + (p.connected ? ' ✔' : ' ✘')).join(', ')]]);
    const cp = s.checkpoint;
    if (!cp) { rows('checkpoint', ['', ''], [['checkpoint', 'none yet']]); return; }
    rows('checkpoint', ['', ''], [['origin', esc(cp.origin)], ['tree size', cp.size],
      ...(cp.height ? [['height', cp.height]] : []), ['root', '<span class="mono">' + esc(cp.root) + '</span>'],
      ['cosigners', cp.cosigners.length + ' of ' + s.validators + ': ' +
        cp.cosigners.map(c => esc(c.signer)).join(', ')]]);
    if (!s.operator_may_read_shipments) {
      $('shipment-note').textContent = 'This node is operated by ' + s.operator +
        ', which may not read shipments; searches here are refused.';
    }
  } catch (e) { fail('status', e); }
}

// TPP lower bounds per rule-set version, placed at the version's effective date; a step line
// follows the lowest bound (the tightest control) through time; a dashed line marks "as of".
function chart(sets, asOf) {
  const svg = $('chart'), W = 960, H = 280, L = 60, R = 60, T = 66, B = 30;
  const pts = [];
  for (const r of sets) for (const v of (r.tpp_thresholds || []))
    pts.push({t: Number(r.effective_at_ms), v, r});
  if (!pts.length) { svg.innerHTML = '<text x="10" y="20">no TPP thresholds in these rule sets</text>'; return; }
  const ts = pts.map(p => p.t).concat([asOf]);
  const pad = (Math.max(...ts) - Math.min(...ts)) * 0.04 + 1;  // keep points off the axes
  const t0 = Math.min(...ts) - pad, t1 = Math.max(...ts) + pad, vMax = Math.max(...pts.map(p => p.v)) * 1.15;
  const x = t => L + (W - L - R) * (t - t0) / (t1 - t0), y = v => H - B - (H - T - B) * v / vMax;
  let s = '<text x="' + L + '" y="16" font-size="13">TPP threshold (lower bound) by effective date</text>';
  s += '<line x1="' + L + '" y1="' + (H - B) + '" x2="' + (W - R) + '" y2="' + (H - B) + '" stroke="#888"/>';
  s += '<line x1="' + L + '" y1="' + T + '" x2="' + L + '" y2="' + (H - B) + '" stroke="#888"/>';
  for (const v of [0, vMax / 2 / 1.15, vMax / 1.15]) {
    s += '<text x="' + (L - 6) + '" y="' + (y(v) + 4) + '" font-size="11" text-anchor="end">' + Math.round(v) + '</text>';
  }
  for (let yr = new Date(t0).getUTCFullYear() + 1; Date.UTC(yr, 0, 1) < t1; ++yr) {
    const tx = x(Date.UTC(yr, 0, 1));
    s += '<line x1="' + tx + '" y1="' + (H - B) + '" x2="' + tx + '" y2="' + (H - B + 4) + '" stroke="#888"/>' +
      '<text x="' + tx + '" y="' + (H - B + 16) + '" font-size="11" text-anchor="middle">' + yr + '</text>';
  }
  // Step line through each version's lowest bound, in effective order.
  const byVersion = [...new Map(pts.map(p => [p.r.id + '@' + p.r.version, p.r])).values()]
    .sort((a, b) => a.effective_at_ms - b.effective_at_ms);
  let d = '', prevY = null;
  for (const r of byVersion) {
    const px = x(Number(r.effective_at_ms)), py = y(Math.min(...r.tpp_thresholds));
    d += (prevY === null ? 'M' : 'H' + px + 'V') + (prevY === null ? px + ' ' + py : py);
    prevY = py;
  }
  s += '<path d="' + d + 'H' + (W - R) + '" fill="none" stroke="#1d5fbf" stroke-width="2" opacity="0.5"/>';
  const ax = x(asOf);
  s += '<line x1="' + ax + '" y1="' + T + '" x2="' + ax + '" y2="' + (H - B) + '" stroke="#b00020" stroke-dasharray="4 3"/>' +
    '<text x="' + (ax - 4) + '" y="' + (H - B - 6) + '" font-size="11" fill="#b00020" text-anchor="end">as of ' + day(asOf) + '</text>';
  // Each version: a dashed guide at its effective date, its name in one of three staggered rows
  // above the plot (so close dates do not overwrite each other), its bounds as labelled points.
  byVersion.forEach((r, k) => {
    const px = x(Number(r.effective_at_ms)), ly = 30 + 12 * (k % 3);
    s += '<line x1="' + px + '" y1="' + (ly + 2) + '" x2="' + px + '" y2="' + (H - B) +
      '" stroke="#bbb" stroke-dasharray="2 3"/><text x="' + (px + 3) + '" y="' + ly +
      '" font-size="11">' + esc(r.id + ' v' + r.version) + '</text>';
  });
  for (const p of pts) {
    const color = p.r.status === 'in force' ? '#2f7d4f' : p.r.status === 'pending' ? '#c98a00' : '#888';
    s += '<circle cx="' + x(p.t) + '" cy="' + y(p.v) + '" r="5" fill="' + color + '"><title>' +
      esc(p.r.id + ' v' + p.r.version + ': TPP ≥ ' + p.v + ' from ' + day(p.t) + ' (' + p.r.status + ')') +
      '</title></circle><text x="' + (x(p.t) + 7) + '" y="' + (y(p.v) + 4) + '" font-size="11">' +
      esc('≥ ' + p.v) + '</text>';
  }
  svg.innerHTML = s;
}

async function loadRules() {
  try {
    const asOf = $('asof').value ? Date.parse($('asof').value) : Date.now();
    const r = await api('rulesets?as_of=' + asOf);
    $('asof-label').textContent = 'as of ' + when(r.as_of_ms);
    const versions = [...(r.history || []), ...(r.proposed || [])];
    chart(r.history || [], r.as_of_ms);
    const tag = st => '<span class="tag ' + esc(st.replace(' ', '-')) + '">' + esc(st) + '</span>';
    rows('rulesets', ['rule set', 'version', 'title', 'effective', 'status', 'TPP thresholds', 'adopted by'],
      versions.map(x => [esc(x.id), x.version, esc(x.title), day(x.effective_at_ms), tag(x.status),
        esc((x.tpp_thresholds || []).join(', ')),
        x.genesis ? 'genesis' : esc((x.approvers || []).join(', '))]));
  } catch (e) { fail('rulesets', e); }
}

async function loadCommitments() {
  try {
    const q = new URLSearchParams();
    for (const [k, id] of [['member', 'c-member'], ['vendor', 'c-vendor'], ['status', 'c-status']])
      if ($(id).value) q.set(k, $(id).value);
    const r = await api('commitments?' + q);
    rows('commitments', ['commitment', 'buyer', 'vendors', 'committed', 'delivered', 'progress', 'status'],
      (r.commitments || []).map(c => {
        const pct = c.committed ? Math.min(100, 100 * c.delivered / c.committed) : 0;
        return [esc(c.id), esc(c.buyer), esc((c.vendors || []).join(', ')),
          esc(c.committed + ' ' + c.currency), esc(c.delivered + ' ' + c.currency),
          '<span class="bar" title="' + pct.toFixed(1) + '%"><div style="width:' + pct + '%"></div></span> ' +
          pct.toFixed(1) + '%', esc(c.status)];
      }));
    rows('aggregates', ['by buyer', 'currency', 'committed', 'delivered', 'remaining'],
      (r.by_member || []).map(a => [esc(a.key), esc(a.currency), a.committed, a.delivered, a.remaining]));
  } catch (e) { fail('commitments', e); }
}

let nextToken = '';
async function search(more) {
  $('shipment-error').textContent = '';
  if (!more) { $('history').innerHTML = ''; nextToken = ''; $('shipments').innerHTML = ''; }
  const field = $('field').value, value = $('query').value.trim();
  const q = new URLSearchParams();
  if (value) q.set(field, value);
  if (more && nextToken) q.set('page_token', nextToken);
  history.replaceState(null, '', value ? '#' + field + '=' + encodeURIComponent(value) : '#');
  try {
    const r = await api('shipments?' + q);
    const list = r.shipments || [];
    const head = ['log index', 'shipment', 'flagged', 'consignee', 'declared → suspected', 'models', 'state', 'reasons'];
    const body = list.map(s => [s.log_index,
      '<a href="#shipment=' + encodeURIComponent(s.shipment_id) + '" data-id="' + esc(s.shipment_id) + '">' + esc(s.shipment_id) + '</a>',
      day(s.flagged_at_ms) + ' by ' + esc(s.flagged_by), esc(s.consignee),
      esc(s.declared_destination + ' → ' + s.suspected_destination), esc((s.models || []).join(', ')),
      esc(s.state), esc((s.flag_reasons || []).join('; '))]);
    if (more && $('shipments').rows.length) {
      $('shipments').insertAdjacentHTML('beforeend', body.map(r => '<tr>' + r.map(c => '<td>' + c + '</td>').join('') + '</tr>').join(''));
    } else {
      rows('shipments', head, body);
    }
    document.querySelectorAll('#shipments a[data-id]').forEach(a => a.onclick = ev => {
      ev.preventDefault(); showHistory(a.dataset.id);
    });
    nextToken = r.next_page_token || '';
    $('more').hidden = !nextToken;
    const n = $('shipments').rows.length - 1;
    $('shipment-summary').textContent = n > 0 ? n + ' shipment' + (n === 1 ? '' : 's') +
      (value ? ' matching ' + field + ' "' + value + '"' : '') : 'no shipments found';
  } catch (e) { $('shipment-error').textContent = e.message; $('shipment-summary').textContent = ''; }
}

async function showHistory(id) {
  try {
    const s = await api('shipment?id=' + encodeURIComponent(id));
    history.replaceState(null, '', '#shipment=' + encodeURIComponent(id));
    let h = '<h3>History of ' + esc(id) + '</h3><p>' + esc(s.shipper) + ' → ' + esc(s.consignee) +
      ' (' + esc(s.consignee_country) + '); route ' + esc((s.route || []).join(' → ')) +
      '; HS ' + esc((s.hs_codes || []).join(', ')) + '</p><ol>';
    for (const e of s.events || []) {
      h += '<li><b>' + esc(e.state) + '</b> — ' + esc(e.note) + ' <span class="muted">(' + esc(e.by) +
        ', ' + when(e.at_ms) + ', log index ' + e.log_index + ')</span></li>';
    }
    h += '</ol><h3>Screening when flagged</h3><table id="screening"></table>';
    $('history').innerHTML = h;
    rows('screening', ['model', 'rule set', 'classification', 'licence required'],
      (s.screening || []).map(v => [esc(v.model), esc(v.rule_set_id + ' v' + v.version),
        esc(v.error || v.classification), v.error ? '' : (v.licence_required ? 'yes' : 'no')]));
  } catch (e) { $('shipment-error').textContent = e.message; }
}

// #search=<entity>, #<key>=<value> or #shipment=<id>.
function fromHash() {
  const h = location.hash.slice(1), i = h.indexOf('=');
  if (i < 0) return;
  let key = h.slice(0, i);
  const value = decodeURIComponent(h.slice(i + 1).replace(/\+/g, ' '));
  if (key === 'shipment') { showHistory(value); return; }
  if (key === 'search') key = 'entity';
  if (![...$('field').options].some(o => o.value === key)) {
    $('shipment-error').textContent = 'unknown search key in the link: ' + key; return;
  }
  $('field').value = key; $('query').value = value; search(false);
}

$('asof-go').onclick = loadRules;
$('c-go').onclick = loadCommitments;
$('search').onclick = () => search(false);
$('more').onclick = () => search(true);
$('query').onkeydown = e => { if (e.key === 'Enter') search(false); };
loadStatus(); loadRules(); loadCommitments(); fromHash();
setInterval(loadStatus, 5000);
</script></body></html>
)HTML";

}  // namespace coal::node
