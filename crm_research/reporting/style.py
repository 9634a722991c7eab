"""The reports' one style sheet (inline in every page: reports work offline, no network)."""

CSS = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:0;color:#1d2330;
line-height:1.5;background:#f4f6f8;font-size:16px}
.page{max-width:980px;margin:0 auto;padding:1em 1.5em 4em;background:#fff}
@media (min-width:1240px){
.page.with-toc{max-width:1260px;display:grid;grid-template-columns:15.5em minmax(0,1fr);
column-gap:2em}
.page.with-toc>*{grid-column:2}
.page.with-toc>nav.toc{grid-column:1;grid-row:1/span 40;align-self:start;position:sticky;top:0;
max-height:100vh;overflow-y:auto;margin:0;font-size:.88em;border:0;border-right:1px solid #d8e0e8;
background:#f8fafc}
}
header.report{border-bottom:2px solid #2b5d8a;margin-bottom:.6em;padding-bottom:.3em}
header.report h1{margin:.1em 0 .15em;font-size:1.6em;line-height:1.25}
header.report .lead{margin:.2em 0;color:#2f3b4a}
.back{margin:0;font-size:.9em}
.run-meta{font-size:.82em;color:#55606e;margin:.3em 0}
.run-meta a,.run-meta label{white-space:nowrap}
h1,h2,h3,h4{color:#173a5e;line-height:1.3}
a{color:#1f5f99}
code{overflow-wrap:anywhere}
nav.toc{background:#f1f5f9;border:1px solid #d8e0e8;padding:.5em 1em;margin:1em 0}
nav.toc ul{margin:.2em 0;padding-left:0;list-style:none}
nav.toc li{margin:.15em 0}
nav.toc li.l3{margin-left:1em;font-size:.95em}
section.key-findings{background:#f4f8fc;border:1px solid #9db8d3;border-left:5px solid #2b5d8a;
padding:.3em 1.1em;margin:.8em 0}
section.key-findings h2{margin:.25em 0;font-size:1.25em}
section.key-findings h3{margin:.4em 0 .1em;font-size:1em}
section.key-findings ul{margin:.2em 0 .4em;padding-left:1.2em}
section.key-findings .headline{font-weight:600;margin:.2em 0}
ul.failed-checks li{color:#8a1c12}
details.params{margin:.4em 0;font-size:.9em}
details.params summary{cursor:pointer;color:#1f5f99}
table.params td,table.params th{padding:.1em .8em;text-align:left;border-bottom:1px solid #eee;
font-weight:normal;overflow-wrap:anywhere}
.table-block{margin:1em 0}
.table-wrap{overflow-x:auto;max-width:100%;border:1px solid #e1e6ec;display:inline-block;
vertical-align:top}
table.data{border-collapse:separate;border-spacing:0;font-size:.85em;margin:0;min-width:min(24em,100%)}
table.data caption{caption-side:top;text-align:left;font-size:.92em;color:#333;padding:.4em .6em;
font-style:normal}
table.data th,table.data td{border-bottom:1px solid #e1e6ec;padding:.25em .6em;text-align:left;
vertical-align:top;max-width:28em;white-space:nowrap}
table.data td.long{white-space:normal;min-width:14em}
table.data thead th{background:#eef2f6;font-weight:600;position:sticky;top:0}
table.data tbody th{font-weight:normal;background:#fff}
table.data thead th:first-child,table.data tbody th{position:sticky;left:0;z-index:1}
table.data thead th:first-child{z-index:2}
table.data td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.data .fail{background:#fde2dc;color:#8a1c12;font-weight:600}
.sym{font-weight:700}
.legend,.table-note{font-size:.8em;color:#55606e;margin:.25em 0}
.legend .fail{background:#fde2dc;padding:0 .3em}
.badge{display:inline-block;padding:0 .5em;border-radius:.8em;font-size:.92em;font-weight:600;
white-space:nowrap}
.badge.good{background:#d8f0dd;color:#135a23}.badge.bad{background:#fde2dc;color:#8a1c12}
.badge.mixed{background:#fff0c8;color:#6b4a00}.badge.none{background:#e8ebef;color:#3c4652}
.tnum,.fnum{font-weight:600}
figure{margin:1.2em 0;break-inside:avoid}
figure img{max-width:100%;height:auto;display:block}
figcaption{font-size:.88em;color:#333;margin-top:.3em}
.caption{font-size:.85em;color:#555;margin:.6em 0 .2em;font-style:italic}
.switch{position:absolute;opacity:0;width:1px;height:1px}
label.code-switch{cursor:pointer;text-decoration:underline;color:#1f5f99}
.switch:focus-visible+.page label.code-switch{outline:2px solid #1f5f99}
pre.code{display:none}
.switch:checked+.page pre.code{display:block}
pre{background:#f6f8fa;padding:.6em;overflow-x:auto;font-size:.85em;max-width:100%}
pre.code{border-left:3px solid #c9d3de}
pre.error{background:#fdecea;color:#8a1c12}
details.messages{font-size:.8em;color:#6a7785}
img{max-width:100%;height:auto}
details.answer{background:#f3f8ee;border-left:3px solid #6c9a3f;padding:.3em .8em;margin:.5em 0}
.status-ok{color:#1d7a33;font-weight:600}.status-failed{color:#b3261e;font-weight:bold}
[dir=rtl]{unicode-bidi:isolate}
ul.studies{list-style:none;padding:0}
ul.studies>li{border:1px solid #d8e0e8;border-radius:4px;padding:.6em 1em;margin:.7em 0}
ul.studies .title{font-size:1.1em;font-weight:600}
ul.studies .purpose{color:#2f3b4a;margin:.15em 0}
ul.studies .headline{margin:.2em 0;padding-left:.6em;border-left:3px solid #2b5d8a}
ul.studies .meta{font-size:.82em;color:#55606e;overflow-wrap:anywhere}
@media (max-width:600px){.page{padding:.6em .8em 3em}header.report h1{font-size:1.35em}
table.data tbody th{min-width:7.5em;max-width:40vw;white-space:normal;overflow-wrap:break-word}
table.data td.long{min-width:13em}}
@media print{
body{background:#fff;font-size:10.5pt}
.page{max-width:none;padding:0;display:block}
nav.toc,pre.code,.switch,label.code-switch,details.answer,details.messages,.back{display:none}
.table-wrap{overflow:visible;border:0}
table.data{font-size:7pt;width:100%}
table.data th,table.data td{max-width:none;white-space:normal;overflow-wrap:break-word;
position:static;padding:.15em .3em}
table.data td.num{white-space:nowrap}
figure,tr,section.key-findings{break-inside:avoid}
h2,h3{break-after:avoid}
a{color:inherit;text-decoration:none}
}
"""
