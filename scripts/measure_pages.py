#!/usr/bin/env python3
"""Measure the demo portal's pages against issue 5's quality bars, in Chromium at a phone
viewport, served with gzip as static hosts do, in the light and the dark colour scheme (the
portal follows the phone's setting):

- Lighthouse (mobile) performance and accessibility >= 0.95 on the home, topic and clip pages
- axe-core: no serious or critical violations (home, topic, clip, search)
- Nu HTML checker: no errors apart from the documented theme one (autocomplete on checkboxes)
- bytes before the first video frame on a clip page (HTML+CSS+JS+fonts+poster) <= 250 KB
- no request off the site

    .venv/bin/python scripts/measure_pages.py              # build the demo into a temp dir
    .venv/bin/python scripts/measure_pages.py --site build/site   # an already built site
    .venv/bin/python scripts/measure_pages.py --no-lighthouse     # axe, vnu and bytes only
    .venv/bin/python scripts/measure_pages.py --schemes light     # one scheme only

Lighthouse 12.2.3 (the last release for Node 20; about 110 MB with its dependencies),
axe-core and vnu-jar are installed with npm into build/tools/ on first use, not into the
project's package.json. Exit status 1 when a bar is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from browserenv import CHROMIUM, CHROMIUM_ARGS, PHONE  # noqa: E402

TOOLS = REPO / "build" / "tools"
NPM_PACKAGES = ("lighthouse@12.2.3", "axe-core@4.10.3", "vnu-jar@26.9.27")
BARS = {"performance": 0.95, "accessibility": 0.95, "first_frame_kb": 250.0}
VNU_THEME_ISSUES = ".*autocomplete.*only allowed when the input type.*"
"""mkdocs-material puts autocomplete on its drawer/search checkboxes (a theme issue)."""
SCHEMES = ("light", "dark")
LIGHTHOUSE_SCHEME_FLAGS = {"light": "", "dark": " --blink-settings=preferredColorScheme=0"}
"""Lighthouse cannot emulate prefers-color-scheme; this Blink setting makes Chromium report
dark (0) to the page."""


def ensure_tools() -> Path:
    """npm packages in build/tools/node_modules (installed once)."""
    modules = TOOLS / "node_modules"
    wanted = [modules / p.rsplit("@", 1)[0] for p in NPM_PACKAGES]
    if not all(p.is_dir() for p in wanted):
        TOOLS.mkdir(parents=True, exist_ok=True)
        print(f"installing {', '.join(NPM_PACKAGES)} into {TOOLS} …", file=sys.stderr)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error",
                        "--prefix", str(TOOLS), "-E", *NPM_PACKAGES], check=True)
    return modules


# ---------------------------------------------------------------------------------------------
# The test server with gzip (as static hosts do), counting the body bytes it sends per path:
# the browser's own accounting misses range requests for video.

SENT: dict[str, int] = {}
_SENT_LOCK = threading.Lock()


def _counting_handler() -> type[Any]:
    from rangeserver import RangeHandler

    class CountingHandler(RangeHandler):
        def copyfile(self, source: Any, outputfile: Any) -> None:
            path = self.path.split("?")[0]
            while chunk := source.read(64 * 1024):
                try:
                    outputfile.write(chunk)
                except OSError:  # the browser stopped reading (a video range it dropped)
                    break
                with _SENT_LOCK:
                    SENT[path] = SENT.get(path, 0) + len(chunk)

    return CountingHandler


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    from rangeserver import serve as serve_range

    with serve_range(directory, use_gzip=True, base=_counting_handler()) as url:
        yield url


# ---------------------------------------------------------------------------------------------

def lighthouse(modules: Path, url: str, out_dir: Path, scheme: str = "light") -> dict[str, Any]:
    """Lighthouse's mobile run of one page: category scores and key metrics."""
    report = out_dir / "lighthouse.json"
    profile = tempfile.mkdtemp(prefix="lh-profile-")
    flags = ("--headless --no-sandbox --disable-gpu --disable-background-networking "
             f"--disable-component-update --user-data-dir={profile}"
             + LIGHTHOUSE_SCHEME_FLAGS[scheme])
    command = [str(modules / ".bin" / "lighthouse"), url, "--form-factor=mobile",
               "--only-categories=performance,accessibility,best-practices,seo",
               "--output=json", f"--output-path={report}", "--quiet",
               f"--chrome-flags={flags}"]
    try:
        subprocess.run(command, env={**os.environ, "CHROME_PATH": CHROMIUM}, check=True,
                       timeout=180, capture_output=True)
        data = json.loads(report.read_text(encoding="utf-8"))
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    audits = data["audits"]
    scores = {k: v["score"] for k, v in data["categories"].items()}
    metrics = {name: audits[name].get("numericValue") for name in (
        "first-contentful-paint", "largest-contentful-paint", "total-blocking-time",
        "cumulative-layout-shift", "total-byte-weight")}
    failing = sorted(k for k, a in audits.items()
                     if a.get("score") is not None and a["score"] < 0.9
                     and a.get("scoreDisplayMode") in ("binary", "metricSavings", "numeric"))
    return {"scores": scores, "metrics": metrics, "failing_audits": failing}


def axe(page: Any, modules: Path) -> dict[str, list[str]]:
    """axe-core's WCAG 2.1 A/AA and best-practice violations, by impact."""
    page.add_script_tag(path=str(modules / "axe-core" / "axe.min.js"))
    result = page.evaluate("""async () => (await axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})).violations
        .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))""")
    by_impact: dict[str, list[str]] = {}
    for violation in result:
        by_impact.setdefault(violation["impact"] or "unknown", []).append(
            f"{violation['id']} ({violation['nodes']})")
    return by_impact


def vnu(modules: Path, files: Sequence[Path]) -> list[str]:
    jar = modules / "vnu-jar" / "build" / "dist" / "vnu.jar"
    result = subprocess.run(["java", "-jar", str(jar), "--errors-only", "--skip-non-html",
                             "--filterpattern", VNU_THEME_ISSUES, *map(str, files)],
                            capture_output=True, text=True, check=False, timeout=300)
    return [line for line in result.stderr.splitlines() if line.strip()]


def first_frame_bytes(browser: Any, url: str) -> dict[str, Any]:
    """What a phone downloads on a clip page (fresh cache, default settings): before the
    poster shows (the bar), the video fetched meanwhile, and the video fetched up to the
    first decoded frame after the viewer taps play."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    SENT.clear()
    page.goto(url, wait_until="load")
    page.wait_for_function("""() => { const v = document.querySelector('video[data-clip]');
        const img = new Image(); img.src = v.poster; return img.complete; }""")
    page.wait_for_timeout(1000)
    before = _split(SENT)
    page.locator("video[data-clip]").evaluate("""async v => { v.muted = true; await v.play();
        await new Promise(r => { const tick = () => v.getVideoPlaybackQuality()
            .totalVideoFrames > 0 ? r() : requestAnimationFrame(tick); tick(); }); }""")
    after = _split(SENT)
    context.close()
    return {"page_kb": before["page"] / 1000, "video_kb_preloaded": before["video"] / 1000,
            "video_kb_to_first_frame": after["video"] / 1000,
            "by_type_kb": {k: v / 1000 for k, v in before["types"].items()}}


def _split(sent: dict[str, int]) -> dict[str, Any]:
    page = video = 0
    types: dict[str, int] = {}
    for path, size in list(sent.items()):
        kind = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else "html"
        if kind == "mp4":
            video += size
        else:
            page += size
            types[kind] = types.get(kind, 0) + size
    return {"page": page, "video": video, "types": types}


def offsite_and_axe(browser: Any, base: str, paths: dict[str, str], modules: Path,
                    scheme: str = "light") -> tuple[list[str], dict[str, dict[str, list[str]]]]:
    context = browser.new_context(**PHONE, color_scheme=scheme)
    offsite: list[str] = []

    def guard(route: Any) -> None:
        if route.request.url.startswith(("http://127.0.0.1", "data:", "blob:")):
            route.continue_()
        else:
            offsite.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    results = {}
    for name, path in paths.items():
        page.goto(base + path, wait_until="load")
        if name == "search":
            page.wait_for_selector("[data-cp-search][data-state=done]", timeout=15000)
        page.wait_for_timeout(300)
        results[name] = axe(page, modules)
    context.close()
    return offsite, results


def demo_site(work: Path) -> Path:
    root = work / "demo"
    for name in ("videos", "captions", "docs"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("*.part.*"))
    shutil.copy2(REPO / "mkdocs.yml", root / "mkdocs.yml")
    if (REPO / "build" / "cache").is_dir():
        shutil.copytree(REPO / "build" / "cache", root / "build" / "cache",
                        ignore=shutil.ignore_patterns(".lock", "*.tmp"))
    result = subprocess.run([sys.executable, "-m", "clipportal.cli", "build", str(root)],
                            capture_output=True, text=True, check=False)
    if result.returncode:
        raise SystemExit(result.stdout + result.stderr)
    return root / "build" / "site"


def page_paths(site: Path) -> dict[str, str]:
    topic = sorted(p.parent.name for p in (site / "topics").glob("*/index.html"))[0]
    clip = sorted(p.parent.name for p in (site / "clips").glob("*/index.html"))[0]
    paths = {"home": "", "topic": f"topics/{topic}/", "clip": f"clips/{clip}/",
             "search": "search/?q=%E6%A5%AD%E5%8B%99%E3%83%95%E3%83%AD%E3%83%BC"}
    if (site / "offline" / "index.html").is_file():  # the 保存済み page (offline viewing)
        paths["offline"] = "offline/"
    return paths


def measure(site: Path, use_lighthouse: bool,
            schemes: Sequence[str] = SCHEMES) -> dict[str, Any]:
    """Every figure; axe and Lighthouse results are keyed "page" in the light scheme and
    "page/dark" in the dark one."""
    from playwright.sync_api import sync_playwright

    modules = ensure_tools()
    paths = page_paths(site)
    report: dict[str, Any] = {"pages": paths, "offsite": [], "axe": {}, "lighthouse": {}}
    with serve(site) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for scheme in schemes:
            offsite, found = offsite_and_axe(browser, base, paths, modules, scheme)
            report["offsite"] += offsite
            report["axe"].update({_key(name, scheme): v for name, v in found.items()})
        report["first_frame"] = first_frame_bytes(browser, base + paths["clip"])
        browser.close()
        if use_lighthouse:
            with tempfile.TemporaryDirectory() as out:
                report["lighthouse"] = {
                    _key(name, scheme): lighthouse(modules, base + paths[name], Path(out), scheme)
                    for scheme in schemes for name in ("home", "topic", "clip")}
    html = [site / "index.html", site / paths["topic"] / "index.html",
            site / paths["clip"] / "index.html", site / "search" / "index.html"]
    report["vnu"] = vnu(modules, html)
    return report


def _key(page: str, scheme: str) -> str:
    return page if scheme == "light" else f"{page}/{scheme}"


def verdict(report: dict[str, Any]) -> list[str]:
    misses = []
    for name, result in report.get("lighthouse", {}).items():
        for category in ("performance", "accessibility"):
            score = result["scores"].get(category)
            if score is None or score < BARS[category]:
                misses.append(f"Lighthouse {category} on {name}: {score}")
    for name, impacts in report["axe"].items():
        for impact in ("serious", "critical"):
            if impacts.get(impact):
                misses.append(f"axe {impact} on {name}: {impacts[impact]}")
    if report["first_frame"]["page_kb"] > BARS["first_frame_kb"]:
        misses.append(f"bytes before the first frame: {report['first_frame']['page_kb']:.0f} KB")
    if report["offsite"]:
        misses.append(f"requests off the site: {report['offsite']}")
    if report["vnu"]:
        misses.append(f"Nu HTML checker: {len(report['vnu'])} errors")
    return misses


def print_report(report: dict[str, Any]) -> None:
    for name, result in report.get("lighthouse", {}).items():
        s, m = result["scores"], result["metrics"]
        print(f"lighthouse {name:<10} performance={s['performance']} "
              f"accessibility={s['accessibility']} best-practices={s['best-practices']} "
              f"seo={s['seo']}  FCP={m['first-contentful-paint'] / 1000:.2f}s "
              f"LCP={m['largest-contentful-paint'] / 1000:.2f}s "
              f"TBT={m['total-blocking-time']:.0f}ms CLS={m['cumulative-layout-shift']:.3f} "
              f"weight={m['total-byte-weight'] / 1000:.0f}KB")
        if result["failing_audits"]:
            print(f"    audits below 0.9: {', '.join(result['failing_audits'])}")
    for name, impacts in report["axe"].items():
        text = "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(impacts.items())) or "none"
        print(f"axe {name:<11} violations: {text}")
    ff = report["first_frame"]
    kinds = ", ".join(f"{k} {v:.1f}" for k, v in sorted(ff["by_type_kb"].items()))
    print(f"clip page: {ff['page_kb']:.1f} KB before the first frame (poster) [{kinds}]; "
          f"video {ff['video_kb_preloaded']:.1f} KB preloaded, "
          f"{ff['video_kb_to_first_frame']:.1f} KB by the first decoded frame after play")
    print(f"off-site requests: {len(report['offsite'])}")
    print(f"Nu HTML checker errors: {len(report['vnu'])}")
    for line in report["vnu"][:20]:
        print("    " + line)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, help="a built site (default: build the demo)")
    parser.add_argument("--no-lighthouse", action="store_true")
    parser.add_argument("--schemes", default=",".join(SCHEMES),
                        help="colour schemes to measure, comma-separated (default: light,dark)")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="clipportal-pages-") as tmp:
        site = args.site.resolve() if args.site else demo_site(Path(tmp))
        schemes = [x for x in args.schemes.split(",") if x in SCHEMES] or list(SCHEMES)
        report = measure(site, not args.no_lighthouse, schemes)
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1),
                             encoding="utf-8")
    misses = verdict(report)
    for miss in misses:
        print(f"MISSED: {miss}")
    print("all bars met" if not misses else f"{len(misses)} bar(s) missed")
    return 1 if misses else 0


if __name__ == "__main__":
    raise SystemExit(main())
