"""The HTML of iovsim's report: escaping, tables, inlined SVG, the self-check script.

Everything the page needs is in the page: the style, the SVG of each drawing and a small
script (no libraries) that checks on load that every drawing is there and drawn.
"""

import html
import re

LONG_TABLE = 25  # a table longer than this is folded into <details>

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5em auto;
       max-width: 1100px; padding: 0 1em; color: #222; line-height: 1.35; }
h1 { font-size: 1.5em; } h2 { border-bottom: 1px solid #ccc; margin-top: 1.6em; }
h3 { font-size: 1.05em; margin-bottom: 0.3em; }
.badge { font-size: 0.65em; padding: 0.15em 0.5em; border-radius: 0.3em; margin-left: 0.6em;
         vertical-align: middle; color: #fff; }
.badge.pass, .ok { background: #2e7d32; } .badge.fail, .bad { background: #c62828; }
span.ok, span.bad { color: #fff; padding: 0 0.4em; border-radius: 0.2em; font-size: 0.9em; }
table { border-collapse: collapse; margin: 0.4em 0; font-size: 0.88em; }
th, td { border: 1px solid #ddd; padding: 0.2em 0.5em; vertical-align: top; text-align: left; }
th { background: #f2f2f2; } tr.fail td { background: #fdecea; }
table.num td.n { text-align: right; font-variant-numeric: tabular-nums; }
dl.kv { display: grid; grid-template-columns: max-content auto; gap: 0.1em 1em; }
dl.kv dt { font-weight: bold; } dl.kv dd { margin: 0; }
figure { margin: 1em 0; } figure svg { max-width: 100%; height: auto; }
figure.topology { overflow: auto; max-height: 85vh; border: 1px solid #eee; } figure.topology svg { max-width: none; }
figcaption { font-weight: bold; } p.note { color: #555; font-size: 0.85em; margin: 0.2em 0; }
p.nodata { color: #8a6d00; } p.desc { max-width: 60em; }
#selfcheck { font-size: 0.8em; padding: 0.3em 0.6em; border-radius: 0.3em; background: #eee; }
#selfcheck[data-status="ok"] { background: #e8f5e9; } #selfcheck[data-status="fail"] { background: #fdecea; }
nav a { margin-right: 1em; }
"""

# Runs before the body: catches script errors and console.error, then on load checks
# every figure holds an SVG that has a non-empty box and at least one path.
SELFCHECK = """
(function () {
  var problems = [], checked = false, plots = 0, figures = 0;
  function show() {
    var box = document.getElementById('selfcheck');
    if (!box) return;
    var want = parseInt(box.getAttribute('data-expected'), 10);
    if (checked && plots !== want) problems.push('expected ' + want + ' plots, found ' + plots);
    var ok = checked && problems.length === 0;
    box.setAttribute('data-status', ok ? 'ok' : (checked ? 'fail' : 'pending'));
    box.setAttribute('data-plots', String(plots));
    box.textContent = ok ? ('self-check ok: ' + plots + ' plots and ' + (figures - plots) +
                            ' other drawings present and drawn, no script errors')
                         : ('self-check: ' + (problems.length ? problems.join('; ') : 'pending'));
  }
  window.onerror = function (msg, src, line) {
    problems.push('uncaught error: ' + msg + ' (line ' + line + ')'); show();
  };
  var consoleError = console.error;
  console.error = function () {
    problems.push('console.error: ' + Array.prototype.join.call(arguments, ' ')); show();
    return consoleError.apply(console, arguments);
  };
  window.addEventListener('load', function () {
    var figs = document.querySelectorAll('figure');
    figures = figs.length;
    for (var i = 0; i < figs.length; i++) {
      var f = figs[i], svg = f.querySelector('svg'), name = f.id || ('figure ' + i);
      if (f.classList.contains('plot')) plots++;
      if (!svg) { problems.push(name + ': no svg'); continue; }
      var b = svg.getBBox();
      if (!(b.width > 0 && b.height > 0)) problems.push(name + ': empty drawing');
      if (!svg.querySelector('path')) problems.push(name + ': nothing drawn (no path)');
    }
    checked = true; show();
  });
})();
"""


class Raw(str):
    """HTML that is already escaped."""


def esc(s):
    return html.escape(str(s), quote=True)


def cell(v):
    return v if isinstance(v, Raw) else esc(v)


def num(v):
    """A number as the page prints it: integers whole, others to 6 significant digits."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if f == int(f) and abs(f) < 1e15:
        return str(int(f))
    return "%.6g" % f


def verdict(ok):
    return '<span class="ok">ok</span>' if ok else '<span class="bad">FAIL</span>'


_NUMERIC = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")


def table(columns, rows, summary=None, open_=False, numeric_right=False):
    """rows: lists of cells, or (cells, css class of the row). Long tables fold."""
    out = ['<table class="num">' if numeric_right else "<table>", "<thead><tr>"]
    out += ["<th>%s</th>" % esc(c) for c in columns]
    out.append("</tr></thead><tbody>")
    for r in rows:
        cells, cls = r if isinstance(r, tuple) else (r, "")
        out.append('<tr class="%s">' % cls if cls else "<tr>")
        for c in cells:
            is_num = numeric_right and not isinstance(c, Raw) and _NUMERIC.match(str(c))
            out.append('<td class="n">%s</td>' % esc(c) if is_num else "<td>%s</td>" % cell(c))
        out.append("</tr>")
    out.append("</tbody></table>")
    t = "".join(out)
    if summary is not None and len(rows) > LONG_TABLE:
        return "<details%s><summary>%s</summary>%s</details>" % (" open" if open_ else "", esc(summary), t)
    if summary is not None:
        return "<p>%s</p>%s" % (esc(summary), t)
    return t


def keyvals(pairs):
    return '<dl class="kv">%s</dl>' % "".join("<dt>%s</dt><dd>%s</dd>" % (esc(k), cell(v)) for k, v in pairs)


_STRIP = [re.compile(p, re.S) for p in (r"<\?xml.*?\?>", r"<!DOCTYPE.*?>", r"<!--.*?-->", r"<metadata>.*?</metadata>")]
_REF = re.compile(r'(\bid="|url\(#|href="#)([^")]+)')


def clean_svg(svg, prefix):
    """An SVG document made fit to inline: no prolog, comments or metadata, and every
    id prefixed so the drawings of one page cannot pick up each other's clip paths."""
    for p in _STRIP:
        svg = p.sub("", svg)
    ids = set(re.findall(r'\bid="([^"]+)"', svg))

    def ren(m):
        return m.group(1) + (prefix + "-" + m.group(2) if m.group(2) in ids else m.group(2))

    svg = re.sub(r"\n[ \t]+", "\n", svg)  # the writers' indentation: a quarter of the bytes
    return _REF.sub(ren, svg).strip()


def slug(s):
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


class Page:
    def __init__(self, title):
        self.title = title
        self.parts = []
        self.sections = []
        self.plots = 0

    def add(self, s):
        self.parts.append(s)

    def section(self, title, body):
        sid = slug(title)
        self.sections.append((sid, title))
        self.parts.append('<h2 id="%s">%s</h2>\n%s' % (sid, esc(title), body))

    def figure(self, svg, title, note, prefix=None):
        self.plots += 1
        fid = "plot-%d" % self.plots
        svg = clean_svg(svg, prefix or fid)
        n = '<p class="note">%s</p>' % esc(note) if note else ""
        return '<figure class="plot" id="%s"><figcaption>%s</figcaption>%s%s</figure>' % (fid, esc(title), svg, n)

    def render(self):
        nav = "<nav>%s</nav>" % "".join('<a href="#%s">%s</a>' % (i, esc(t)) for i, t in self.sections)
        return "\n".join([
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            "<title>%s</title>" % esc(self.title),
            "<style>%s</style>" % STYLE,
            "<script>%s</script>" % SELFCHECK,
            "</head><body>",
            '<div id="selfcheck" data-status="pending" data-expected="%d">self-check did not run '
            "(scripts are off?)</div>" % self.plots,
            nav,
        ] + self.parts + ["</body></html>", ""])
