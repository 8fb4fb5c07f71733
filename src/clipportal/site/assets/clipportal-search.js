/* clipportal search page: Pagefind (self-hosted, loaded only here). `?q=…&topic=…` in the URL
   is the state: the query runs at once and the hits are links in [data-search-results].
   Everything taken from the index is inserted as text; only Pagefind's <mark> survives. */
const box = document.querySelector("[data-cp-search]");
const list = box.querySelector("[data-search-results]");
const status = box.querySelector("[data-cp-status]");
const more = box.querySelector("[data-cp-more]");
const form = box.querySelector("form");
const input = form.querySelector("input[name=q]");
const topicSel = form.querySelector("select[name=topic]");
const root = box.getAttribute("data-root") || "";
const PAGE = 10;
const MOMENTS = 3;

let pagefind = null;
let pending = [];
let seq = 0;

async function engine() {
  if (!pagefind) {
    const url = new URL(box.getAttribute("data-bundle") + "pagefind.js", document.baseURI);
    pagefind = await import(url.href);
    await pagefind.options({ baseUrl: "/", excerptLength: 24 });
  }
  return pagefind;
}

/* Query preparation, the browser half of clipportal's fix for Japanese queries (the build
   adds the other half, extra word forms in the index; scripts/measure_search.py measures
   both). Pagefind splits the query with the browser's word segmenter (ICU) while the index
   was split with UniDic; where ICU splits finer, a piece such as the okurigana み of 申込み
   or the レス of キャッシュレス must match a word on its own, and on a big site some other
   page has one, so the right clip drops out. So: NFKC (ＢＰＲ → BPR, ｷｬｯｼｭﾚｽ → キャッシュレス),
   drop one-character hiragana pieces (particles, okurigana), and drop a trailing ー from long
   katakana words (サーバー also finds サーバ). */
const RAW = window.clipportalSearchRaw === true; // plain Pagefind, for the measurement's baseline
let segmenter = null;

export function prepare(q) {
  q = (q || "").normalize("NFKC").replace(/\s+/g, " ").trim();
  if (!q || typeof Intl === "undefined" || !Intl.Segmenter) return q;
  segmenter = segmenter || new Intl.Segmenter("ja", { granularity: "word" });
  const pieces = [];
  for (const part of segmenter.segment(q)) {
    let w = part.segment;
    if (!part.isWordLike || /^[\u3041-\u309f]$/.test(w)) continue;
    if (/^[\u30a1-\u30fa\u30fc]{4,}$/.test(w)) w = w.replace(/\u30fc$/, "");
    pieces.push(w);
  }
  return pieces.length ? pieces.join(" ") : q;
}

function fmt(t) {
  t = Math.max(0, Math.round(t));
  const m = Math.floor(t / 60), s = t % 60;
  return m + ":" + (s < 10 ? "0" : "") + s;
}

/* Pagefind returns site-absolute paths ("/clips/x/#t-155"); the site must work under any
   sub-path, so make them relative to this page. */
function href(url) {
  if (typeof url !== "string" || url.charAt(0) !== "/" || url.charAt(1) === "/") return null;
  return root + url.slice(1);
}

/* Pagefind ends the text of every heading and paragraph with ". " unless it already ends in
   punctuation (its rule reads Japanese letters as word characters), so excerpts read
   "作業時間を削減できた. 職員の声". After Japanese text that full stop becomes 。 with no space,
   and a space after Japanese punctuation goes too (Japanese puts none between sentences). */
const CJK = "\u3001-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60";
const BLOCK_STOP = new RegExp("([" + CJK + "])\\.(?:\\s+|$)", "g");
const SPACE_AFTER_STOP = new RegExp("([\u3001\u3002\uff01\uff1f])\\s+(?=[" + CJK + "])", "g");

export function japaneseText(text, before = "") {
  const joined = (before + text).replace(BLOCK_STOP, "$1\u3002").replace(SPACE_AFTER_STOP, "$1");
  return joined.slice(before.length);
}

/* An excerpt as DOM: text plus <mark>, nothing else (parsed inertly in a <template>). A
   transcript excerpt loses its leading timestamp (shown separately). */
function excerpt(html, dropTime) {
  const tpl = document.createElement("template");
  tpl.innerHTML = html || "";
  const out = document.createDocumentFragment();
  let last = "";  // the character before this node, which the rules above look at
  Array.from(tpl.content.childNodes).forEach((node, i) => {
    let text = node.textContent;
    if (i === 0 && dropTime) text = text.replace(/^\s*\d+:\d{2}(?::\d{2})?\.?\s*/, "");
    text = japaneseText(text, last);
    last = (last + text).slice(-1);
    if (node.nodeName === "MARK") {
      const m = document.createElement("mark");
      m.textContent = text;
      out.appendChild(m);
    } else {
      out.appendChild(document.createTextNode(text));
    }
  });
  return out;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text) e.textContent = text;
  return e;
}

function moments(data) {
  return (data.sub_results || [])
    .map((sub) => ({ sub, m: /#t-(\d+)(?:-\d+)?$/.exec(sub.url || "") }))
    .filter((x) => x.m && href(x.sub.url))
    .slice(0, MOMENTS);
}

function renderHit(data) {
  const link = href(data.url);
  if (!link) return null;
  const meta = data.meta || {};
  const li = el("li", "cp-hit");
  const a = el("a", "cp-hit-link");
  a.href = link;
  // site-relative, or absolute http(s) when the media is published apart (media_url)
  const remote = /^https?:\/\//i.test(meta.poster || "");
  if (meta.poster && (remote || !/^[a-z]+:|^\/\//i.test(meta.poster))) {
    const img = el("img", "cp-hit-poster");
    img.src = remote ? meta.poster : root + meta.poster;
    img.alt = "";
    img.width = 160;
    img.height = 90;
    img.loading = "lazy";
    img.decoding = "async";
    a.appendChild(img);
  }
  const title = el("span", "cp-hit-title", meta.title || data.url);
  a.appendChild(title);
  const facts = [meta.topic, meta.duration && "再生時間 " + meta.duration].filter(Boolean);
  if (facts.length) a.appendChild(el("span", "cp-hit-facts", facts.join("・")));
  li.appendChild(a);
  const found = moments(data);
  if (found.length) {
    const ul = el("ul", "cp-hit-moments");
    found.forEach(({ sub, m }) => {
      const item = el("li");
      const jump = el("a");
      jump.href = href(sub.url);
      const time = el("time", null, fmt(+m[1]));
      time.setAttribute("datetime", "PT" + (+m[1]) + "S");
      jump.appendChild(time);
      jump.appendChild(el("span", "cp-sr", " から再生："));
      const text = el("span", "cp-hit-excerpt");
      text.appendChild(excerpt(sub.excerpt, true));
      jump.appendChild(text);
      item.appendChild(jump);
      ul.appendChild(item);
    });
    li.appendChild(ul);
  } else {
    const p = el("p", "cp-hit-excerpt");
    p.appendChild(excerpt(data.excerpt, false));
    li.appendChild(p);
  }
  return li;
}

/* Pagefind ranks the pieces of a query independently (電子 and 決裁 anywhere on a page).
   Pages where matched words sit side by side hold the phrase itself: list them first,
   keeping Pagefind's order within each group. */
function phraseFirst(results, pieces) {
  if (pieces < 2) return results.slice();
  const adjacent = (r) => {
    const at = (r.words || []).slice().sort((a, b) => a - b);
    return at.some((p, i) => i > 0 && p - at[i - 1] === 1);
  };
  const near = [], far = [];
  results.forEach((r) => (adjacent(r) ? near : far).push(r));
  return near.concat(far);
}

async function showMore(mine) {
  const batch = pending.splice(0, PAGE);
  const datas = await Promise.all(batch.map((r) => r.data()));
  if (mine !== seq) return;
  datas.forEach((d) => {
    const li = renderHit(d);
    if (li) list.appendChild(li);
  });
  more.hidden = pending.length === 0;
}

async function run(raw, topic) {
  const mine = ++seq;
  const q = RAW ? (raw || "").trim() : prepare(raw);
  const shownQuery = (raw || "").trim();
  list.replaceChildren();
  more.hidden = true;
  pending = [];
  if (!q) {
    status.textContent = "";
    box.removeAttribute("data-state");
    return;
  }
  box.setAttribute("data-state", "searching");
  status.textContent = "検索しています…";
  const pf = await engine();
  const filters = topic ? { topic: [topic] } : {};
  const search = await pf.search(q, { filters });
  if (mine !== seq || !search) return;
  pending = phraseFirst(search.results, q.split(" ").length);
  status.textContent = pending.length
    ? "「" + shownQuery + "」の検索結果：" + pending.length + " 件"
    : "「" + shownQuery + "」に一致する動画は見つかりませんでした。言葉を短くするか、別の言い方で試してください。";
  await showMore(mine);
  if (mine === seq) box.setAttribute("data-state", "done");
}

/* Offline, the parts of the index and the results that were not read online cannot be
   fetched (the service worker keeps only what was read). Say so plainly and point to what
   does work with no signal: the saved clips (the page is there when offline viewing is on). */
function sayOffline() {
  const page = box.getAttribute("data-offline-page");
  if (!page) {
    status.textContent = "オフラインのため検索できません。電波のある所でもう一度お試しください。";
    return;
  }
  const a = el("a", null, "「保存済み」ページ");
  a.href = page;
  status.replaceChildren("オフラインのため検索できません（保存済みの動画は", a, "から見られます）");
}

/* A failure (offline, a missing index) is said on the page. */
function failed(err) {
  if (navigator.onLine === false) sayOffline();
  else status.textContent = "検索を読み込めませんでした。通信状態を確かめて、もう一度お試しください。";
  more.hidden = true;
  box.setAttribute("data-state", "error");
  console.error(err);
}

/* Every search goes through here. */
function go(raw, topic) {
  return run(raw, topic).catch(failed);
}

function current() {
  return [input.value, topicSel ? topicSel.value : ""];
}

function fromUrl() {
  const params = new URLSearchParams(location.search);
  input.value = params.get("q") || "";
  if (topicSel) topicSel.value = params.get("topic") || "";
  return go(...current());
}

function toUrl() {
  const params = new URLSearchParams();
  if (input.value.trim()) params.set("q", input.value.trim());
  if (topicSel && topicSel.value) params.set("topic", topicSel.value);
  const qs = params.toString();
  history.replaceState(null, "", qs ? "?" + qs : location.pathname);
}

let timer = 0;
function later() {
  clearTimeout(timer);
  timer = setTimeout(() => { toUrl(); go(...current()); }, 250);
}

form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  clearTimeout(timer);
  toUrl();
  go(...current());
});
input.addEventListener("input", later);
input.addEventListener("focus", () => { engine().catch(() => {}); }, { once: true });
if (topicSel) topicSel.addEventListener("change", later);
more.addEventListener("click", () => { showMore(seq).catch(failed); });
window.addEventListener("popstate", fromUrl);

fromUrl();
if (!input.value) input.focus();
