// Renders a Mermaid file with the real renderer (mermaid in headless
// Chromium) and reports every edge whose path passes through a box other
// than its two ends, and namespace groups that overlap.
// Usage: scripts/mermaid-layout FILE.mmd [out.png]
const { chromium } = require('playwright-core');
const fs = require('fs');
(async () => {
  const text = fs.readFileSync(process.argv[2], 'utf8');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const page = await browser.newPage({ viewport: { width: 2400, height: 1800 } });
  await page.setContent('<html><body><div id="out"></div></body></html>');
  await page.addScriptTag({ path: require.resolve('mermaid/dist/mermaid.min.js') });
  const result = await page.evaluate(async (src) => {
    mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
    const { svg } = await mermaid.render('g', src);
    document.getElementById('out').innerHTML = svg;
    const nodes = [...document.querySelectorAll('g.node')].map(n => {
      const r = n.getBoundingClientRect();
      const id = n.id.replace(/^g-flowchart-/, '').replace(/-\d+$/, '');
      return { id, x0: r.left, y0: r.top, x1: r.right, y1: r.bottom };
    });
    const problems = [];
    const edges = [...document.querySelectorAll('path.flowchart-link')];
    for (const p of edges) {
      // ids look like g-L_from_to_0 (mermaid 11)
      const m = p.id.replace(/^g-/, '').match(/^L_(.+)_(\d+)$/);
      const ends = nodes.filter(n => m && (m[1].startsWith(n.id + '_') || m[1].endsWith('_' + n.id)));
      const len = p.getTotalLength();
      const ctm = p.getScreenCTM();
      const hit = new Set();
      for (let d = 0; d <= len; d += 2) {
        const pt = p.getPointAtLength(d);
        const x = pt.x * ctm.a + pt.y * ctm.c + ctm.e, y = pt.x * ctm.b + pt.y * ctm.d + ctm.f;
        for (const n of nodes) {
          if (ends.includes(n)) continue;
          if (x > n.x0 + 1 && x < n.x1 - 1 && y > n.y0 + 1 && y < n.y1 - 1) hit.add(n.id);
        }
      }
      if (hit.size) problems.push(`${p.id} passes through ${[...hit].join(', ')}`);
    }
    const clusters = [...document.querySelectorAll('g.cluster')].map(c => {
      const r = c.getBoundingClientRect();
      return { id: c.id, x0: r.left, y0: r.top, x1: r.right, y1: r.bottom };
    });
    for (let i = 0; i < clusters.length; i++) for (let j = i + 1; j < clusters.length; j++) {
      const a = clusters[i], b = clusters[j];
      if (a.x0 < b.x1 - 1 && b.x0 < a.x1 - 1 && a.y0 < b.y1 - 1 && b.y0 < a.y1 - 1)
        problems.push(`groups ${a.id} and ${b.id} overlap`);
    }
    return { nodes: nodes.length, edges: edges.length, groups: clusters.length, problems };
  }, text);
  if (process.argv[3]) await page.locator('#out svg').screenshot({ path: process.argv[3] });
  console.log(JSON.stringify(result, null, 1));
  await browser.close();
  process.exit(result.problems.length ? 1 : 0);
})().catch(e => { console.error(e); process.exit(2); });
