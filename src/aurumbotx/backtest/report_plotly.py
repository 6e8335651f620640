"""plotly.js inside the report, packed: gzip + base64, unpacked by the browser on opening.

plotly.js is 4.8 MB of the report's usual 5.5 MB; packed it is 2.0 MB and the file still
opens offline. The browser's `DecompressionStream` (every current browser since 2023) unpacks
it, then the figures are drawn: their scripts carry a type the browser does not run by itself.
A browser without it shows one line saying so instead of empty charts.
"""

from __future__ import annotations

import base64
import functools
import gzip
import re
from typing import TYPE_CHECKING

from plotly.offline import get_plotlyjs

if TYPE_CHECKING:
    import plotly.graph_objects as go

FIGURE_SCRIPT_TYPE = "text/x-plotly-figure"
PLOT_CONFIG = {"displaylogo": False, "responsive": True}
TEMPLATE = "plotly_white"
_SCRIPT_TAG = re.compile(r'<script(?:\s+type="text/javascript")?>')

_LOADER = """
(async () => {
  try {
    const packed = document.getElementById("plotly-js").textContent.trim();
    const bytes = Uint8Array.from(atob(packed), (c) => c.charCodeAt(0));
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    (0, eval)(await new Response(stream).text());
    for (const figure of document.querySelectorAll('script[type="FIGURE_SCRIPT_TYPE"]')) {
      (0, eval)(figure.textContent);
    }
  } catch (error) {
    const note = document.createElement("p");
    note.className = "warn";
    note.textContent = "The charts could not be drawn (this browser cannot unpack them: " +
      error + "); the tables are complete.";
    document.body.prepend(note);
  }
})();
""".replace("FIGURE_SCRIPT_TYPE", FIGURE_SCRIPT_TYPE)


@functools.cache
def packed_plotly_js() -> str:
    """plotly.js, gzip-compressed (reproducibly: no time stamp) and base64-encoded."""
    packed = gzip.compress(get_plotlyjs().encode("utf-8"), compresslevel=9, mtime=0)
    return base64.b64encode(packed).decode("ascii")


def plotly_scripts() -> str:
    """The packed plotly.js and its loader; goes at the end of the body, after the figures."""
    return (
        f"<script id='plotly-js' type='application/gzip'>{packed_plotly_js()}</script>\n"
        f"<script type='text/javascript'>{_LOADER}</script>"
    )


def deferred(figure_html: str) -> str:
    """A figure's HTML with its scripts left for the loader to run once plotly.js is there."""
    # plotly writes `<script>` or `<script type="text/javascript">` depending on its version.
    return _SCRIPT_TAG.sub(f'<script type="{FIGURE_SCRIPT_TYPE}">', figure_html)


def figure_html(figure: go.Figure | None, div_id: str, *, packed: bool = False) -> str:
    """One figure of a report page in the house look ("No data." without one).

    plotly.js is in the page once; each figure brings only its data and layout. `packed`: the
    page carries plotly.js packed (`plotly_scripts`), so the figure's scripts wait for it.
    """
    if figure is None:
        return "<p>No data.</p>"
    figure.update_layout(template=TEMPLATE, margin={"l": 60, "r": 20, "t": 40, "b": 40})
    html = str(
        figure.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=PLOT_CONFIG)
    )
    return deferred(html) if packed else html
