/* clipportal service worker (offline viewing, issue 12). The build prepends CP_VERSION,
   CP_ASSETS and CP_PAGES (site-relative paths), CP_UNSAVED and CP_MEDIA (`media_url`, or ''
   when the media sits beside the pages). It lives at the site root, so its scope is the whole
   site wherever the site is served (a sub-path included).

   - The app shell (CSS, scripts, icons; home, topics, search, 保存済み, the clip list) is
     precached in a cache named after the build's version once the viewer saves a first clip
     (or at install when clips are saved already): a viewer who never saves downloads
     nothing more. Older versions' caches are deleted on activate.
   - Everything is network-first: online, a new build is seen at once; offline, the answer
     comes from saved clips (assets/offline.js stores them as chunks), then from the caches.
   - A saved file is answered from its chunks, honouring Range with 206 + Content-Range and
     reading only the chunks the range covers, so a phone can seek without loading a whole
     video into memory.
   - With `media_url`, the media lives on another origin. The worker sees the page's requests
     there too: a saved file is answered from storage under its absolute URL, the same way;
     anything else goes to that origin exactly as the page asked it. */
/* global CP_VERSION, CP_ASSETS, CP_PAGES, CP_UNSAVED, CP_MEDIA */
importScripts("assets/offline.js");

var store = self.cpOffline;
var ROOT = store.root;
var SHELL = "cp-shell:" + ROOT + ":" + CP_VERSION;
var RUNTIME = "cp-runtime:" + ROOT;
var NOT_SAVED = "オフラインのため再生できません。電波のある所で開くか、事前に保存してください。";

/* Assets through the HTTP cache (the page has just loaded most of them); pages revalidated. */
function precacheShell() {
  return caches.open(SHELL).then(function (cache) {
    return cache.addAll(CP_ASSETS.map(function (p) { return ROOT + p; }).concat(
      CP_PAGES.map(function (p) { return new Request(ROOT + p, { cache: "no-cache" }); })));
  });
}

/* A new version waits until no page of the portal is open (no skipWaiting). Taking over at
   once deadlocked: its activation waits for the old worker's answers still being streamed
   (a saved video the open page has not finished reading), and the next page load waits for
   the activation; offline, that load never ended. Pages are network-first anyway, so an
   online viewer sees a new build at once; offline, the old worker serves what it stored. */
self.addEventListener("install", function (event) {
  event.waitUntil(store.listClips().then(function (saved) {
    return saved.length ? precacheShell() : null;
  }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(activate());
});

async function activate() {
  var names = await caches.keys();
  var old = names.filter(function (n) { return n.indexOf("cp-shell:" + ROOT + ":") === 0 && n !== SHELL; });
  await Promise.all(old.map(function (n) { return caches.delete(n); }));
  await self.clients.claim();
  /* Clips removed from the portal: their saved files go too. */
  var list = await caches.match(ROOT + "offline/clips.json", { cacheName: SHELL });
  if (list) await store.cleanup(await list.json());
}

/* The page saves a first clip: keep the pages that list clips, for use offline. */
self.addEventListener("message", function (event) {
  if (event.data === "cp-pages") event.waitUntil(precacheShell());
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  if (request.url.indexOf(ROOT) === 0) {
    event.respondWith(request.mode === "navigate" ? page(request) : file(request));
  } else if (CP_MEDIA && request.url.indexOf(CP_MEDIA) === 0) {
    event.respondWith(media(request));
  }
});

function bare(url) {
  var u = new URL(url);
  u.hash = "";
  u.search = "";
  return u.href;
}

async function remember(cacheName, url, response) {
  if (response.ok && response.status === 200 && response.type === "basic") {
    var cache = await caches.open(cacheName);
    await cache.put(url, response.clone());
  }
  return response;
}

async function fromCaches(url) {
  return (await caches.match(url, { cacheName: RUNTIME })) || (await caches.match(url, { cacheName: SHELL }));
}

/* Pages: the network first (and keep a copy of every page read online); offline, a saved
   clip page, then a copy, then a short page that says why nothing can be shown. Between
   stations a request can hang with no answer and no error: after NETWORK_WAIT a stored copy
   is shown instead, and the network keeps the last word only when nothing is stored. */
var NETWORK_WAIT = 4000;

async function page(request) {
  var url = bare(request.url);
  var network = fetch(request).then(function (r) { return remember(RUNTIME, url, r); });
  network.catch(function () {});
  var slow = new Promise(function (resolve) { setTimeout(resolve, NETWORK_WAIT, null); });
  try {
    var answer = await Promise.race([network, slow]);
    return answer || (await stored(url)) || (await network);
  } catch (err) {
    return (await stored(url)) || offlinePage(url);
  }
}

async function stored(url) {
  return (await store.respond(url, null)) || (await fromCaches(url));
}

/* The portal's own page for it (offline/unsaved/, precached with the shell: the theme's CSS
   and scripts come from the shell too), with a <base> so its relative links hold wherever it
   stands in; a bare page only if the shell is not stored. */
async function offlinePage(url) {
  var clip = url.indexOf("/clips/") >= 0;
  var text = clip ? NOT_SAVED : "オフラインのため、このページは開けません。電波のある所で開いてください。";
  var headers = { "Content-Type": "text/html; charset=utf-8" };
  var shell = CP_UNSAVED && (await caches.match(ROOT + CP_UNSAVED, { cacheName: SHELL }));
  if (shell) {
    var page = (await shell.text()).replace(NOT_SAVED, text)
      .replace(/<head[^>]*>/, function (head) { return head + '<base href="' + ROOT + CP_UNSAVED + '">'; });
    return new Response(page, { status: 503, headers: headers });
  }
  var html = '<!doctype html><html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>オフライン</title></head><body style="font-family:sans-serif;padding:1rem">' +
    '<p data-offline-message role="alert">' + text + '</p><p><a href="' + ROOT + 'offline/">保存済みの動画</a>　<a href="' + ROOT + '">ホーム</a></p></body></html>';
  return new Response(html, { status: 503, headers: headers });
}

/* Files: saved ones from storage (with Range); others from the network, passing Range on
   explicitly (a request handed on as it is can lose it); offline, the caches. The search
   index's parts and the clip list are kept as they are read, so search works offline for
   what was fetched before. A download (asked with cache: "no-store") always goes to the
   network: it is saving a new version of something that may be stored already. */
async function file(request) {
  var url = bare(request.url), range = request.headers.get("Range");
  var saved = request.cache === "no-store" ? null : await store.respond(url, range);
  if (saved) return saved;
  try {
    var response = await fetch(range ? new Request(request.url, {
      headers: { Range: range }, credentials: "same-origin", mode: "same-origin" }) : request);
    return /\/pagefind\/|\/offline\/clips\.json$/.test(url) && !range ? remember(RUNTIME, url, response) : response;
  } catch (err) {
    return (await fromCaches(url)) || Response.error();
  }
}

/* Media at `media_url` (another origin): saved files from storage, with Range as above. The
   answer is made here, so it is readable by the page whatever the mode of the request (the
   player and its tracks ask with CORS, `crossorigin`; pictures without). Anything else goes
   to the media host as the page asked it, its mode, credentials and Range unchanged; offline
   it fails as it would without a worker (the page then says the clip is not saved). */
async function media(request) {
  var saved = request.cache === "no-store" ? null : await store.respond(bare(request.url), request.headers.get("Range"));
  return saved || fetch(request);
}
