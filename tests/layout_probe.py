"""Element boxes against the viewport and clipping ancestors (shared by the layout tests)."""
CLIPPED = """
() => {
  const vw = document.documentElement.clientWidth;
  const sel = '.initviz-app .widget-label, .initviz-app .widget-readout, .initviz-app select, '
            + '.initviz-app div.jupyter-matplotlib-figure canvas, .initviz-app .widget-button, '
            + '.initviz-app .widget-toggle-button, .initviz-app .lm-TabBar-tabLabel';
  const out = [];
  for (const el of document.querySelectorAll(sel)) {
    if (el.offsetParent === null) continue;           // hidden (display none, other tab)
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    const name = (el.className && el.className.baseVal === undefined ? el.className : el.tagName)
                 + ' ' + (el.innerText || '').slice(0, 30);
    if (r.left < -0.5 || r.right > vw + 0.5) out.push({el: name, why: 'viewport', r: [r.left, r.right, vw]});
    if (el.tagName !== 'CANVAS' && el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible')
      out.push({el: name, why: 'own text cut', r: [el.scrollWidth, el.clientWidth]});
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if (ox === 'visible') continue;
      const b = a.getBoundingClientRect();
      if (r.left < b.left - 0.5 || r.right > b.right + 0.5) {
        out.push({el: name, why: 'ancestor ' + (a.className || a.tagName).toString().slice(0, 60), r: [r.left, r.right, b.left, b.right]});
        break;
      }
    }
  }
  return out;
}
"""
