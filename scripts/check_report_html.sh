#!/usr/bin/env bash
# Loads a moefab report.html in headless Chromium and checks what the browser rendered:
# every plot's <svg> (ids below) is in the DOM with drawn shapes, and the page shows no
# error text (Chromium error pages, NaN/Infinity in numbers). Also saves a screenshot.
#
# Usage: scripts/check_report_html.sh REPORT.html [SCREENSHOT.png]
#   SCREENSHOT defaults to REPORT.html's directory/report.png.
# Exit: 0 all good; 1 a check failed (message says which); 2 usage error or no Chromium
# (Debian: apt-get install -y chromium).
# Omits: pixel comparisons (fonts differ between machines) and JavaScript (the report has none).
set -euo pipefail

PLOT_IDS=(latency-cdf latency-breakdown link-heatmap expert-load chip-load throughput)

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 REPORT.html [SCREENSHOT.png]" >&2
  exit 2
fi
report=$1
if [[ ! -f "$report" ]]; then
  echo "check_report_html: no such file: $report" >&2
  exit 2
fi
report_abs=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
screenshot=${2:-$(dirname "$report_abs")/report.png}

chromium_bin=""
for c in chromium chromium-browser google-chrome; do
  if command -v "$c" >/dev/null 2>&1; then chromium_bin=$(command -v "$c"); break; fi
done
if [[ -z "$chromium_bin" ]]; then
  echo "check_report_html: chromium not found (Debian: apt-get install -y chromium)" >&2
  exit 2
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "check_report_html: python3 not found (needed to read the rendered DOM)" >&2
  exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
       --disable-background-networking --disable-component-update --disable-sync
       --disable-extensions --hide-scrollbars --mute-audio)

# Chromium writes harmless noise (dbus, GPU) to stderr; keep it for failures only.
if ! timeout 120 "$chromium_bin" "${flags[@]}" --user-data-dir="$work/profile-dom" \
    --dump-dom "file://$report_abs" >"$work/dom.html" 2>"$work/dom.err"; then
  echo "check_report_html: FAIL: chromium could not load $report_abs" >&2
  tail -5 "$work/dom.err" >&2
  exit 1
fi
if ! timeout 120 "$chromium_bin" "${flags[@]}" --user-data-dir="$work/profile-shot" \
    --window-size=1400,2000 --screenshot="$screenshot" "file://$report_abs" \
    >/dev/null 2>"$work/shot.err" || [[ ! -s "$screenshot" ]]; then
  echo "check_report_html: FAIL: no screenshot written to $screenshot" >&2
  tail -5 "$work/shot.err" >&2
  exit 1
fi

# Count drawn shapes inside each plot's <svg> in the DOM as Chromium rendered it.
python3 - "$work/dom.html" "${PLOT_IDS[@]}" <<'PY'
import re
import sys
from html.parser import HTMLParser

dom_path, ids = sys.argv[1], sys.argv[2:]
SHAPES = {"rect", "path", "circle", "line", "polyline", "polygon", "ellipse"}

class Walker(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack = []          # open svg ids (None for nested non-plot svgs)
        self.depth = 0           # element depth inside the current plot svg
        self.shapes = {}         # id -> drawn shapes
        self.texts = {}          # id -> <text> elements
        self.bad_numbers = []    # attributes holding NaN / Infinity
        self.current = None
        self.body_text = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k, v in attrs:
            if v and re.search(r"\b(NaN|-?Infinity|-?inf|-?nan)\b", v) and k not in ("aria-label",):
                self.bad_numbers.append(f"<{tag} {k}=\"{v[:60]}\">")
        if tag == "svg" and self.current is None and a.get("id") in ids:
            self.current = a["id"]
            self.shapes.setdefault(self.current, 0)
            self.texts.setdefault(self.current, 0)
            self.depth = 0
        elif self.current is not None:
            self.depth += 1
            if tag in SHAPES:
                self.shapes[self.current] += 1
            if tag == "text":
                self.texts[self.current] += 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if self.current is None:
            return
        if self.depth == 0 and tag == "svg":
            self.current = None
        else:
            self.depth -= 1

    def handle_data(self, data):
        self.body_text.append(data)

dom = open(dom_path, encoding="utf-8").read()
w = Walker()
w.feed(dom)
text = " ".join(w.body_text)
problems = []
if len(dom) < 200:
    problems.append(f"rendered DOM is only {len(dom)} bytes")
for marker in ("ERR_FILE_NOT_FOUND", "ERR_ACCESS_DENIED", "This page isn't working",
               "This site can't be reached", "This page contains the following errors"):
    if marker in dom:
        problems.append(f"browser error text in the page: {marker!r}")
for word in re.findall(r"\b(NaN|Infinity|undefined)\b", text):
    problems.append(f"error-looking text in the page: {word!r}")
problems += [f"non-finite number in {b}" for b in w.bad_numbers[:5]]
for i in ids:
    if i not in w.shapes:
        problems.append(f"plot <svg id=\"{i}\"> missing from the rendered DOM")
    elif w.shapes[i] == 0:
        problems.append(f"plot <svg id=\"{i}\"> has no drawn shapes")
    elif w.texts[i] == 0:
        problems.append(f"plot <svg id=\"{i}\"> has no labels")
for i in ids:
    if i in w.shapes:
        print(f"  {i:18s} {w.shapes[i]:6d} shapes {w.texts[i]:5d} labels")
if problems:
    for p in problems:
        print(f"check_report_html: FAIL: {p}", file=sys.stderr)
    sys.exit(1)
PY
echo "check_report_html: OK: ${#PLOT_IDS[@]} plots rendered in $(basename "$chromium_bin"); screenshot $screenshot"
