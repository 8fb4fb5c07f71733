/* clipportal: offline viewing (issue 12). Every page loads this (deferred); the service worker
   imports it too, so the page and the worker read the same storage.

   Storage (Cache Storage of this site's origin; with `media_url` the media files are kept
   under their absolute URLs on the media host, which the worker answers for):
   - "cp-files": each saved file as chunks of 1 MiB under URL?cp=0, URL?cp=1 … and a record
     URL?cp=meta ({size, type, received, done}). Chunks let a lost download resume with a
     Range request from the last whole chunk, and let the worker answer a player's Range
     request by reading only the chunks it needs.
   - "cp-clips": one record per saved clip (its page, version, files, size).
   Media URLs carry a content hash, so resuming never mixes two versions of a file. */
(function (self) {
  "use strict";

  var CHUNK = 1 << 20, FILES = "cp-files", CLIPS = "cp-clips";
  var doc = self.document;
  var ROOT = doc ? new URL("../", doc.currentScript.src).href : new URL("./", self.location.href).href;

  function open(name) { return caches.open(name); }
  function getJSON(name, key) {
    return open(name).then(function (c) { return c.match(key); }).then(function (r) { return r ? r.json() : null; });
  }
  function putJSON(name, key, value) {
    return open(name).then(function (c) {
      return c.put(key, new Response(JSON.stringify(value), { headers: { "Content-Type": "application/json" } }));
    });
  }
  function clipKey(slug) { return ROOT + "__cp/clip/" + encodeURIComponent(slug); }
  function getClip(slug) { return getJSON(CLIPS, clipKey(slug)); }

  /* ---- answering from storage (used by the worker) ---- */
  function parseRange(header, size) {
    var m = /^bytes=(\d*)-(\d*)$/.exec(header || "");
    if (!m || (!m[1] && !m[2])) return null;
    if (!m[1]) return { start: Math.max(0, size - +m[2]), end: size - 1 };
    return { start: +m[1], end: m[2] ? Math.min(+m[2], size - 1) : size - 1 };
  }

  function chunkStream(url, start, end) {
    var pos = start;
    return new ReadableStream({
      pull: async function (ctl) {
        var i = Math.floor(pos / CHUNK), r = await (await open(FILES)).match(url + "?cp=" + i);
        if (!r) { ctl.error(new Error("missing chunk")); return; }
        var buf = new Uint8Array(await r.arrayBuffer());
        var from = pos - i * CHUNK, to = Math.min(buf.length, end + 1 - i * CHUNK);
        ctl.enqueue(buf.subarray(from, to));
        pos += to - from;
        if (pos > end || to <= from) ctl.close();
      }
    });
  }

  async function respond(url, rangeHeader) {
    var meta = await getJSON(FILES, url + "?cp=meta");
    if (!meta || !meta.done) return null;
    var size = meta.size, range = parseRange(rangeHeader, size);
    if (range && range.start >= size) {
      return new Response(null, { status: 416, headers: { "Content-Range": "bytes */" + size } });
    }
    var start = range ? range.start : 0, end = range ? range.end : size - 1;
    var headers = { "Content-Type": meta.type, "Content-Length": String(end - start + 1), "Accept-Ranges": "bytes" };
    if (range) headers["Content-Range"] = "bytes " + start + "-" + end + "/" + size;
    return new Response(size ? chunkStream(url, start, end) : null, { status: range ? 206 : 200, headers: headers });
  }

  /* ---- saving one file, resumable ---- */
  function totalSize(res, received) {
    var m = /\/(\d+)$/.exec(res.headers.get("Content-Range") || "");
    return m ? +m[1] : received + (+res.headers.get("Content-Length") || 0);
  }

  async function download(url, opts) {
    var metaKey = url + "?cp=meta", meta = opts.fresh ? null : await getJSON(FILES, metaKey);
    if (meta && meta.done) { opts.onBytes(meta.size); return meta.size; }
    var received = meta ? meta.received : 0;
    /* mode cors: with `media_url` the file is on another origin, which must allow it (CORS);
       its Content-Range may be hidden from us, so the size also comes from Content-Length */
    var res = await fetch(url, { signal: opts.signal, cache: "no-store", mode: "cors",
      headers: received ? { Range: "bytes=" + received + "-" } : {} });
    if (!res.ok) throw new Error("HTTP " + res.status);
    if (res.status !== 206) received = 0;  /* the server sent it all: start again */
    var size = totalSize(res, received), type = res.headers.get("Content-Type") || "application/octet-stream";
    var cache = await open(FILES), index = received / CHUNK, parts = [], have = 0;
    var reader = res.body.getReader();
    opts.onBytes(received);
    async function commit(blob) {
      await cache.put(url + "?cp=" + index, new Response(blob));
      index++;
      received += blob.size;
    }
    for (;;) {
      var step = await reader.read();
      if (step.done) break;
      parts.push(step.value);
      have += step.value.length;
      opts.onBytes(step.value.length);
      while (have >= CHUNK) {
        var all = new Blob(parts);
        await commit(all.slice(0, CHUNK));
        parts = [all.slice(CHUNK)];
        have -= CHUNK;
        await putJSON(FILES, metaKey, { size: size, type: type, received: received, done: false });
      }
    }
    if (have) await commit(new Blob(parts));
    await putJSON(FILES, metaKey, { size: received, type: type, received: received, done: true });
    return received;
  }

  async function deleteFile(url, size) {
    var cache = await open(FILES), meta = await getJSON(FILES, url + "?cp=meta");
    var count = Math.ceil(Math.max(size, meta ? meta.size : 0) / CHUNK) + 1;
    await cache.delete(url + "?cp=meta");
    for (var i = 0; i < count; i++) await cache.delete(url + "?cp=" + i);
  }

  /* ---- saved clips ---- */
  async function listClips() {
    var cache = await open(CLIPS), keys = await cache.keys(), out = [];
    for (var i = 0; i < keys.length; i++) {
      if (keys[i].url.indexOf(ROOT + "__cp/clip/") !== 0) continue;
      var r = await cache.match(keys[i]);
      if (r) out.push(await r.json());
    }
    return out;
  }

  /* Delete files no other saved clip uses. */
  async function dropUnused(files, slug) {
    var keep = {};
    (await listClips()).forEach(function (rec) {
      if (rec.slug !== slug) rec.files.forEach(function (f) { keep[f[0]] = true; });
    });
    for (var i = 0; i < files.length; i++) if (!keep[files[i][0]]) await deleteFile(files[i][0], files[i][1]);
  }

  async function removeClip(slug) {
    var rec = await getClip(slug);
    if (!rec) return;
    await (await open(CLIPS)).delete(clipKey(slug));
    await dropUnused(rec.files, slug);
  }

  async function cleanup(catalogue) {
    var saved = await listClips();
    for (var i = 0; i < saved.length; i++) if (!catalogue.clips[saved[i].slug]) await removeClip(saved[i].slug);
  }

  function abs(path) { return new URL(path, ROOT).href; }

  /* Save (or update) one clip: record first, files in order, the page last; the old version
     stays playable until the new one is complete, then its own files are removed. */
  async function saveClip(slug, entry, signal, onBytes) {
    var old = await getClip(slug), page = abs(entry.page);
    var files = entry.files.map(function (f) { return [abs(f[0]), f[1]]; });
    var rec = { slug: slug, title: entry.title, topic: entry.topic, page: page, label: entry.label,
      version: entry.version, video: abs(entry.video), files: files, state: "saving" };
    if (!old || old.state !== "saved") await putJSON(CLIPS, clipKey(slug), rec);
    for (var i = 0; i < files.length; i++) {
      files[i][1] = await download(files[i][0], { signal: signal, onBytes: onBytes, fresh: files[i][0] === page });
    }
    rec.size = files.reduce(function (n, f) { return n + f[1]; }, 0);
    rec.state = "saved";
    rec.savedAt = Date.now();
    await putJSON(CLIPS, clipKey(slug), rec);
    if (old) await dropUnused(old.files.filter(function (f) { return !files.some(function (g) { return g[0] === f[0]; }); }), slug);
  }

  var api = { root: ROOT, chunk: CHUNK, respond: respond, cleanup: cleanup, listClips: listClips,
    getClip: getClip, removeClip: removeClip, saveClip: saveClip, dropUnused: dropUnused };
  self.cpOffline = api;
  if (!doc) return;

  /* =========================== the page side =========================== */
  if (!("serviceWorker" in navigator) || !self.caches || !self.isSecureContext) {
    /* nowhere to save (an old browser, or a page not on https): no card button that cannot work */
    Array.prototype.forEach.call(doc.querySelectorAll("[data-offline-card-save]"), function (b) {
      b.parentNode.classList.remove("cp-card--save");
      b.hidden = true;
    });
    return;
  }
  /* The worker is registered only on a device that saves clips (at the first save, or after
     the page has loaded when clips are saved already): a viewer who never saves downloads
     nothing more than this script. */
  function register() { return navigator.serviceWorker.register(ROOT + "sw.js", { scope: ROOT }); }
  self.addEventListener("load", function () {
    listClips().then(function (saved) { if (saved.length) return register(); }).catch(function () {});
  });

  var NOT_SAVED = "オフラインのため再生できません。電波のある所で開くか、事前に保存してください。";
  var catalogue = null, job = null, retry = null;

  function $(sel, root) { return (root || doc).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || doc).querySelectorAll(sel)); }
  function mb(n) { return (Math.max(n, 1) / 1e6).toFixed(1) + " MB"; }

  function loadCatalogue() {
    /* no-cache: a list kept by the HTTP cache from an older build would save old files */
    catalogue = catalogue || fetch(ROOT + "offline/clips.json", { cache: "no-cache" }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    });
    return catalogue.catch(function (e) { catalogue = null; throw e; });
  }

  function scarce(wifiOnly) {
    var c = navigator.connection;
    return !!(c && (c.saveData || c.type === "cellular" || (!wifiOnly && /^(slow-2g|2g|3g)$/.test(c.effectiveType || ""))));
  }

  /* On the first save, ask the browser to keep saved clips, and say what it answered. */
  async function askPersist() {
    if (!navigator.storage || !navigator.storage.persist) return "";
    if (await navigator.storage.persisted()) return "";
    return (await navigator.storage.persist())
      ? "ブラウザは保存した動画を消さずに残すと答えました。"
      : "ブラウザは保存した動画を必ず残すとは約束しませんでした。端末の空き容量が少なくなると消えることがあります。";
  }

  /* Run one download job (one clip or a topic's clips, one after another). Only one at a
     time; a job stopped by a lost connection starts again by itself when it comes back. */
  async function run(slugs, ui) {
    if (job) return;
    var cat = null, todo = [], total = 0, done = 0;
    try { cat = await loadCatalogue(); } catch (e) { cat = null; }
    if (!cat || slugs.some(function (s) { return !cat.clips[s]; })) {
      ui.finish(false, navigator.onLine ? "保存する動画の情報を読み込めませんでした。ページを開き直してください。"
        : "電波のある所で保存してください。");
      return;
    }
    for (var i = 0; i < slugs.length; i++) {
      var entry = cat.clips[slugs[i]], rec = await getClip(slugs[i]);
      if (rec && rec.state === "saved" && rec.version === entry.version) continue;
      todo.push(slugs[i]);
      total += entry.files.reduce(function (n, f) { return n + f[1]; }, 0);
    }
    job = { controller: new AbortController(), slugs: todo };
    retry = null;
    refreshAll();
    ui.progress(0);
    register().then(function () { return navigator.serviceWorker.ready; }).then(function (r) {
      if (r.active) r.active.postMessage("cp-pages");
    }).catch(function () {});
    var note = await askPersist();
    try {
      for (var j = 0; j < todo.length; j++) {
        job.current = todo[j];
        refreshAll();  /* cards show which clip is being saved now */
        await saveClip(todo[j], cat.clips[todo[j]], job.controller.signal, function (n) {
          done += n;
          ui.progress(total ? Math.min(99, Math.floor(done * 100 / total)) : 99);
        });
      }
      job = null;
      ui.finish(true, note);
    } catch (err) {
      var cancelled = job.controller.signal.aborted;
      job = null;
      if (!cancelled) retry = function () { run(slugs, ui); };
      ui.finish(false, cancelled ? "" : "保存が途中で止まりました。電波が戻ると続きから保存します。");
    }
    refreshAll();
  }

  async function cancel() {
    if (!job) return;
    var current = job.current;
    job.controller.abort();
    var rec = current && await getClip(current);
    if (rec && rec.state !== "saved") await removeClip(current);
  }

  /* The worker may learn that the network is back a moment after the page does. */
  self.addEventListener("online", function () {
    setTimeout(function () { if (retry) retry(); }, 1000);
  });

  /* ---- the clip page: the 端末に保存 button, update notice, offline message ---- */
  async function clipState(slug) {
    var rec = await getClip(slug);
    if (job && job.slugs.indexOf(slug) >= 0) return { state: "saving", rec: rec };
    if (!rec) return { state: "none", rec: null };
    return { state: rec.state === "saved" ? "saved" : "error", rec: rec };
  }

  function setupClip(button) {
    var box = button.closest("[data-offline-box]") || doc, slug = button.getAttribute("data-offline-save");
    var label = button.getAttribute("data-offline-label"), version = button.getAttribute("data-offline-version");
    var bar = $("[data-offline-progress]", box), status = $("[data-offline-status]", box);
    var stop = $("[data-offline-cancel]", box), update = $("[data-offline-update-box]", box);
    var ui = {
      progress: function (p) {
        bar.hidden = false; bar.value = p;
        button.textContent = "保存中… " + p + "%";
        status.textContent = "";
      },
      finish: function (ok, note) {
        bar.hidden = true;
        status.textContent = (ok ? "保存しました。電波がなくても再生できます。" : "") + (note || "");
      }
    };
    async function refresh() {
      var s = await clipState(slug), saved = s.state === "saved";
      button.setAttribute("data-offline-state", s.state);
      button.textContent = {
        none: "端末に保存（" + label + "）", saving: button.textContent.indexOf("保存中") === 0 ? button.textContent : "保存中…",
        saved: "保存済み", error: "保存を再開（途中で止まりました）" }[s.state];
      stop.hidden = s.state !== "saving";
      bar.hidden = s.state !== "saving";
      update.hidden = !(saved && s.rec.version !== version);
      player(s.rec && s.rec.state === "saved" ? s.rec : null);
    }
    button.addEventListener("click", function () {
      var state = button.getAttribute("data-offline-state");
      if (state === "saved") { status.textContent = "保存済みです。削除は「保存済みの動画」のページでできます。"; return; }
      if (state === "saving") return;
      if (scarce(false) && !confirm("モバイル回線か節約モードです。" + label + " をダウンロードしますか？")) return;
      run([slug], ui);
    });
    $("[data-offline-update]", box).addEventListener("click", function () { run([slug], ui); });
    stop.addEventListener("click", function () { cancel().then(refresh); });
    refreshers.push(refresh);
  }

  /* A saved clip plays its saved rendition (online too: no data spent); an unsaved one says
     plainly that it cannot play offline instead of spinning. */
  function player(rec) {
    var video = $("video[data-clip]");
    if (!video) return;
    if (rec && video.currentSrc !== rec.video && video.src !== rec.video) {
      var t = video.currentTime;
      video.src = rec.video;
      if (t) video.currentTime = t;
      /* the quality menu names what plays: the saved rendition */
      var source = $$("source[data-quality]", video).filter(function (s) { return s.src === rec.video; })[0];
      var menu = $("[data-cp=quality]");
      if (source && menu) menu.value = source.getAttribute("data-quality");
    }
    var message = $("[data-offline-message]");
    var show = !rec && (!navigator.onLine || (video.error && !navigator.onLine));
    if (show && !message) {
      message = doc.createElement("p");
      message.className = "cp-offline-message";
      message.setAttribute("role", "alert");
      message.setAttribute("data-offline-message", "");
      message.textContent = NOT_SAVED;
      video.parentNode.insertBefore(message, video.nextSibling);
    }
    if (message) message.hidden = !show;
  }

  /* ---- topic pages: save all; cards: 保存済み badges and a filter ---- */
  function setupTopic(button) {
    var slugs = (button.getAttribute("data-offline-clips") || "").split(" ").filter(Boolean);
    var text = button.textContent, size = +button.getAttribute("data-offline-size");
    var status = $("[data-offline-status]", button.parentNode);
    var ui = {
      progress: function (p) { button.textContent = "保存中… " + p + "%"; },
      finish: function (ok, note) { status.textContent = (ok ? "このトピックの動画をすべて保存しました。" : "") + (note || ""); }
    };
    async function refresh() {
      var states = await Promise.all(slugs.map(clipState)), count = 0, state = "none";
      states.forEach(function (s) { if (s.state === "saved") count++; });
      if (job && slugs.some(function (s) { return job.slugs.indexOf(s) >= 0; })) state = "saving";
      else if (slugs.length && count === slugs.length) state = "saved";
      else if (states.some(function (s) { return s.state === "error"; })) state = "error";
      button.setAttribute("data-offline-state", state);
      if (state !== "saving") button.textContent = state === "saved" ? "このトピックは保存済み（" + count + "本）" : text;
    }
    button.addEventListener("click", function () {
      var state = button.getAttribute("data-offline-state");
      if (state === "saving") { cancel(); return; }
      if (state === "saved") return;
      if (scarce(true) && !confirm("モバイル回線につながっています。Wi-Fi で保存するのがおすすめです。このまま " + mb(size) + " を保存しますか？")) return;
      run(slugs, ui);
    });
    refreshers.push(refresh);
  }

  /* 「端末に保存」 on a card (home, topic pages, the next clip): the clip page's saving, with
     its progress and state on the button, and what it did said through a live region. The
     state comes from setupCards' one read of the saved clips, not one read per card. */
  var live = null;
  function announce(text) {
    if (!live) {
      live = doc.createElement("p");
      live.className = "cp-sr";
      live.setAttribute("role", "status");
      live.setAttribute("aria-live", "polite");
      doc.body.appendChild(live);
    }
    live.textContent = text;
  }

  function setupCardSave(card, button, percent) {
    var slug = card.getAttribute("data-clip-card"), text = button.textContent;
    var size = (/（(.+)）/.exec(text) || [])[1] || "", title = $(".cp-card-title", card);
    var name = title ? title.textContent : slug;
    if (title) {  /* the button says what, its description which clip */
      title.id = title.id || "cp-card-" + slug;
      button.setAttribute("aria-describedby", title.id);
    }
    function saving(p) { return "保存中 " + p + "%（押すと中止）"; }
    var ui = {
      progress: function (p) { percent[slug] = p; button.textContent = saving(p); },
      finish: function (ok, note) {
        delete percent[slug];
        announce((ok ? "「" + name + "」を保存しました。電波がなくても再生できます。" : "") + (note || ""));
      }
    };
    button.addEventListener("click", function () {
      var state = button.getAttribute("data-offline-state");
      if (state === "saving") { if (slug in percent) cancel().then(refreshAll); return; }
      if (state === "saved") { announce("保存済みです。削除は「保存済みの動画」のページでできます。"); return; }
      if (job) { announce("ほかの動画を保存しています。終わってからもう一度押してください。"); return; }
      if (scarce(false) && !confirm("モバイル回線か節約モードです。「" + name + "」（" + size + "）をダウンロードしますか？")) return;
      announce("");
      run([slug], ui);
    });
    return function show(rec) {
      var state = job && job.slugs.indexOf(slug) >= 0 ? "saving" : !rec ? "none" : rec.state === "saved" ? "saved" : "error";
      button.setAttribute("data-offline-state", state);
      button.textContent = state === "saving" ? (slug in percent ? saving(percent[slug]) : job.current === slug ? "保存中…" : "保存待ち…")
        : state === "saved" ? "保存済み" : state === "error" ? "保存を再開（" + size + "）" : text;
    };
  }

  function setupCards(cards) {
    var percent = {}, shows = {};
    cards.forEach(function (card) {
      var button = $("[data-offline-card-save]", card);
      if (button) shows[card.getAttribute("data-clip-card")] = setupCardSave(card, button, percent);
    });
    if (Object.keys(shows).length) announce("");  /* a live region is read once it exists */
    var list = cards[0].closest("ul");
    var label = doc.createElement("label");
    label.className = "cp-offline-filter";
    label.hidden = true;  /* shown once a clip is saved: nothing moves on a phone that saves none */
    label.innerHTML = '<input type="checkbox" data-offline-filter> 保存済みだけ表示';
    list.parentNode.insertBefore(label, list);
    var box = label.firstChild;
    async function refresh() {
      var saved = {}, recs = {};
      (await listClips()).forEach(function (r) { recs[r.slug] = r; if (r.state === "saved") saved[r.slug] = true; });
      cards.forEach(function (card) {
        var slug = card.getAttribute("data-clip-card"), badge = $(".cp-saved", card);
        if (shows[slug]) shows[slug](recs[slug]);
        if (saved[slug] && !badge) {
          badge = doc.createElement("span");
          badge.className = "cp-saved";
          badge.textContent = "保存済み";
          ($(".cp-card-media", card) || card).appendChild(badge);
        }
        if (badge) badge.hidden = !saved[slug];
        card.hidden = box.checked && !saved[slug];
      });
      label.hidden = !Object.keys(saved).length && !box.checked;
    }
    box.addEventListener("change", refresh);
    refreshers.push(refresh);
  }

  /* ---- the 保存済み page ---- */
  function setupOfflinePage(root) {
    var list = $("[data-offline-list]", root), usage = $("[data-offline-usage]", root);
    var empty = $("[data-offline-empty]", root), all = $("[data-offline-delete-all]", root);
    var persist = $("[data-offline-persist]", root);
    async function refresh() {
      var clips = (await listClips()).filter(function (r) { return r.state === "saved"; }), total = 0;
      var cat = null;
      try { cat = navigator.onLine ? await loadCatalogue() : null; } catch (e) { cat = null; }
      if (cat) await cleanup(cat);
      list.textContent = "";
      clips.forEach(function (rec) {
        total += rec.size || 0;
        var li = doc.createElement("li"), a = doc.createElement("a"), del = doc.createElement("button");
        li.setAttribute("data-offline-item", rec.slug);
        a.href = rec.page;
        a.textContent = rec.title;
        del.type = "button";
        del.className = "cp-button";
        del.textContent = "削除";
        del.setAttribute("aria-label", rec.title + " を削除");
        del.addEventListener("click", function () { removeClip(rec.slug).then(refresh); });
        li.appendChild(a);
        li.appendChild(doc.createTextNode(" " + rec.label + " " + mb(rec.size) +
          (cat && cat.clips[rec.slug] && cat.clips[rec.slug].version !== rec.version ? "（更新あり）" : "") + " "));
        li.appendChild(del);
        list.appendChild(li);
      });
      empty.hidden = clips.length > 0;
      all.hidden = !clips.length;
      var est = navigator.storage && navigator.storage.estimate ? await navigator.storage.estimate() : null;
      usage.textContent = "保存した動画 " + clips.length + " 本・" + mb(total) +
        (est ? "（このサイトの使用量 " + mb(est.usage) + " ／ 使える容量 約 " + mb(est.quota) + "）" : "");
      if (navigator.storage && navigator.storage.persisted) {
        persist.textContent = (await navigator.storage.persisted())
          ? "この端末では、保存した動画はブラウザに消されません。"
          : "空き容量が少なくなると、ブラウザが保存した動画を消すことがあります。";
      }
    }
    all.addEventListener("click", async function () {
      var clips = await listClips();
      for (var i = 0; i < clips.length; i++) await removeClip(clips[i].slug);
      refresh();
    });
    refreshers.push(refresh);
  }

  var refreshers = [];
  function refreshAll() { refreshers.forEach(function (f) { f(); }); }

  function addStyle() {
    var style = doc.createElement("style");
    style.textContent = ".cp-saved{display:inline-block;margin:.2em;padding:0 .4em;border-radius:.2em;background:#1b5e20;color:#fff;font-size:.75rem}" +
      ".cp-offline{margin:.8em 0}.cp-offline progress{width:100%}.cp-offline-filter{display:block;margin:.5em 0}";
    doc.head.appendChild(style);
  }

  function init() {
    addStyle();
    $$("[data-offline-save]").forEach(setupClip);
    $$("[data-offline-save-topic]").forEach(setupTopic);
    var cards = $$("[data-clip-card]");
    if (cards.length) setupCards(cards);
    var page = $("[data-offline-page]");
    if (page) setupOfflinePage(page);
    if (!$("[data-offline-save]") && $("video[data-clip]")) player(null);
    self.addEventListener("online", refreshAll);
    self.addEventListener("offline", refreshAll);
    var video = $("video[data-clip]");
    if (video) video.addEventListener("error", refreshAll, true);
    refreshAll();
  }
  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", init);
  else init();
})(self);
