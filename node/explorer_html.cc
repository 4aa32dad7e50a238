#include "node/explorer_html.h"

namespace coal::node {

// The page calls: /api/status, /api/rulesets?as_of_ms=, /api/commitments,
// /api/shipments?<field>=<value>, /api/shipment?id=. Every answer is JSON.
const char kExplorerHtml[] = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Coalition Ledger explorer</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
header{background:#1d2a44;color:#fff;padding:12px 20px}header h1{margin:0;font-size:20px}
main{padding:16px 20px;display:grid;grid-template-columns:1fr 1fr;gap:16px}
section{background:#fff;border-radius:8px;padding:12px 16px;box-shadow:0 1px 3px #0002}
section.wide{grid-column:1/3}h2{font-size:16px;margin:4px 0 10px}
table{border-collapse:collapse;width:100%;font-size:13px}td,th{border-bottom:1px solid #e3e6ea;padding:4px 6px;text-align:left}
.bar{background:#e3e6ea;border-radius:4px;height:12px;width:100%}.bar>div{background:#2f7d4f;height:12px;border-radius:4px}
.mono{font-family:ui-monospace,monospace;font-size:12px}.err{color:#b00020}
input,select,button{font-size:14px;padding:4px 6px}
</style></head><body>
<header><h1>Coalition Ledger explorer</h1><span id="chain" class="mono"></span></header>
<main>
<section><h2>Cluster</h2><table id="status"></table></section>
<section><h2>Quorum checkpoint</h2><pre id="checkpoint" class="mono"></pre></section>
<section class="wide"><h2>Rule sets over time</h2>
<label>as of <input id="asof" type="date"></label> <button id="asof-go">show</button>
<svg id="chart" width="900" height="220" role="img" aria-label="TPP thresholds over time"></svg>
<table id="rulesets"></table></section>
<section class="wide"><h2>Procurement commitments</h2><table id="commitments"></table></section>
<section class="wide"><h2>Flagged shipments</h2>
<select id="field"><option value="entity">entity</option><option value="shipment_id">shipment id</option>
<option value="serial_number">serial number</option><option value="chip_model">chip model</option>
<option value="country">country or hub</option><option value="hs_code">HS code</option>
<option value="reason">flag reason</option></select>
<input id="query" placeholder="e.g. Lucky Star Trading"> <button id="search">search</button>
<div id="shipment-error" class="err"></div><table id="shipments"></table><div id="history"></div></section>
</main>
<script>
const $=id=>document.getElementById(id);
const esc=s=>String(s??'').replace(/[&<>"']/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
async function api(path){const r=await fetch('/api/'+path);const j=await r.json();if(!r.ok)throw new Error(j.error||r.status);return j;}
function rows(t,head,data){$(t).innerHTML='<tr>'+head.map(h=>'<th>'+esc(h)+'</th>').join('')+'</tr>'+data.map(r=>'<tr>'+r.map(c=>'<td>'+c+'</td>').join('')+'</tr>').join('');}
const day=ms=>ms?new Date(Number(ms)).toISOString().slice(0,10):'';
async function loadStatus(){try{const s=await api('status');$('chain').textContent=s.chain_id;
rows('status',['field','value'],[['node',esc(s.node_id)],['height',s.height],['round',s.round],['log size',s.tree_size],
['root','<span class="mono">'+esc(s.root)+'</span>'],['quorum checkpoint size',s.checkpoint_size],
['mempool',s.mempool_entries+' entries'],['peers',(s.peers||[]).map(p=>esc(p.id)+(p.connected?' ✔':' ✘')).join(', ')]]);
$('checkpoint').textContent=s.checkpoint_note||'(none yet)';}catch(e){$('status').innerHTML='<tr><td class="err">'+esc(e.message)+'</td></tr>';}}
function chart(sets){const svg=$('chart');const W=900,H=220,P=40;const pts=[];
for(const r of sets){for(const th of (r.tpp_thresholds||[]))pts.push({t:Number(r.effective_at_ms),v:th,id:r.id});}
if(!pts.length){svg.innerHTML='<text x="10" y="20">no TPP thresholds</text>';return;}
const t0=Math.min(...pts.map(p=>p.t)),t1=Math.max(...pts.map(p=>p.t))+1,v1=Math.max(...pts.map(p=>p.v))*1.1;
const x=t=>P+(W-2*P)*(t-t0)/(t1-t0),y=v=>H-P-(H-2*P)*v/v1;
let s='<line x1="'+P+'" y1="'+(H-P)+'" x2="'+(W-P)+'" y2="'+(H-P)+'" stroke="#888"/><line x1="'+P+'" y1="'+P+'" x2="'+P+'" y2="'+(H-P)+'" stroke="#888"/>';
for(const p of pts){s+='<circle cx="'+x(p.t)+'" cy="'+y(p.v)+'" r="5" fill="#1d5fbf"><title>'+esc(p.id)+': TPP '+p.v+' from '+day(p.t)+'</title></circle>'+
'<text x="'+(x(p.t)+7)+'" y="'+(y(p.v)-6)+'" font-size="11">'+p.v+' ('+day(p.t)+')</text>';}
s+='<text x="'+P+'" y="'+(P-10)+'" font-size="12">TPP threshold by effective date</text>';svg.innerHTML=s;}
async function loadRules(){try{const asof=$('asof').value?Date.parse($('asof').value):Date.now();
const r=await api('rulesets?as_of_ms='+asof);const all=[...(r.in_force||[]),...(r.pending||[])];chart(all);
rows('rulesets',['rule set','version','effective','status','approvers'],all.map(x=>[esc(x.id),x.version,day(x.effective_at_ms),
x.in_force?'in force':'adopted, not yet effective',esc((x.approvers||[]).join(', '))]));}catch(e){$('rulesets').innerHTML='<tr><td class="err">'+esc(e.message)+'</td></tr>';}}
async function loadCommitments(){try{const r=await api('commitments');
rows('commitments',['commitment','buyer','vendors','committed','delivered','progress'],(r.commitments||[]).map(c=>{const pct=c.committed?Math.min(100,100*c.delivered/c.committed):0;
return[esc(c.id),esc(c.buyer),esc((c.vendors||[]).join(', ')),esc(c.committed+' '+c.currency),esc(c.delivered+' '+c.currency),
'<div class="bar" title="'+pct.toFixed(1)+'%"><div style="width:'+pct+'%"></div></div> '+pct.toFixed(1)+'%'];}));}catch(e){$('commitments').innerHTML='<tr><td class="err">'+esc(e.message)+'</td></tr>';}}
async function search(){$('shipment-error').textContent='';$('history').innerHTML='';
try{const r=await api('shipments?'+$('field').value+'='+encodeURIComponent($('query').value));
rows('shipments',['log index','shipment','consignee','declared → suspected','state','reasons'],(r.shipments||[]).map(s=>[s.log_index,
'<a href="#" data-id="'+esc(s.shipment_id)+'">'+esc(s.shipment_id)+'</a>',esc(s.consignee),esc(s.declared_destination+' → '+s.suspected_destination),esc(s.state),esc((s.flag_reasons||[]).join('; '))]));
document.querySelectorAll('#shipments a').forEach(a=>a.onclick=ev=>{ev.preventDefault();history(a.dataset.id);});
if(!(r.shipments||[]).length)$('shipment-error').textContent='no shipments found';}catch(e){$('shipment-error').textContent=e.message;}}
async function history(id){try{const r=await api('shipment?id='+encodeURIComponent(id));
$('history').innerHTML='<h3>History of '+esc(id)+'</h3><ol>'+(r.events||[]).map(e=>'<li>'+esc(e.state)+' — '+esc(e.note)+' (log index '+e.log_index+')</li>').join('')+'</ol>';}catch(e){$('shipment-error').textContent=e.message;}}
$('asof-go').onclick=loadRules;$('search').onclick=search;$('query').onkeydown=e=>{if(e.key==='Enter')search();};
loadStatus();loadRules();loadCommitments();setInterval(loadStatus,3000);
// A link may carry a search: #search=<text> (or #<field>=<text>) runs it on load.
(function(){const h=decodeURIComponent(location.hash.slice(1));const i=h.indexOf('=');if(i<0)return;
let f=h.slice(0,i),v=h.slice(i+1);if(f==='search')f='entity';$('field').value=f;$('query').value=v;search();})();
</script></body></html>
)HTML";

}  // namespace coal::node
