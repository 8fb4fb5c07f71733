/* clipportal: progressive enhancement. Without this file the site still works: the video
   plays with native controls and captions, and chapters and transcript are readable text.
   State lives in localStorage under "clipportal:" (nothing leaves the device). */
(function () {
  "use strict";

  var store = {
    get: function (k) { try { return localStorage.getItem("clipportal:" + k); } catch (e) { return null; } },
    set: function (k, v) { try { localStorage.setItem("clipportal:" + k, String(v)); } catch (e) { /* private mode */ } },
    del: function (k) { try { localStorage.removeItem("clipportal:" + k); } catch (e) { /* private mode */ } }
  };

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  function fmt(t) {
    t = Math.max(0, Math.round(t));
    var h = Math.floor(t / 3600), m = Math.floor(t / 60) % 60, s = t % 60;
    var mm = h ? (m < 10 ? "0" : "") + m : String(m);
    return (h ? h + ":" : "") + mm + ":" + (s < 10 ? "0" : "") + s;
  }

  /* "#t=155", "#t=2:35" (deep links) and "#t-155", "#t-155-2" (transcript ids that search
     hits point at) all mean "start at 155 s". */
  function hashTime(hash) {
    var m = /^#t[=-](\d+(?:\.\d+)?)(?:-\d+)?$/.exec(hash || "");
    if (m) return parseFloat(m[1]);
    m = /^#t=(?:(\d+):)?(\d+):(\d{1,2}(?:\.\d+)?)$/.exec(hash || "");
    return m ? (+(m[1] || 0)) * 3600 + (+m[2]) * 60 + parseFloat(m[3]) : null;
  }

  /* The browser says data is scarce: Data Saver on, or a 2G/3G-class connection. */
  function dataScarce() {
    var c = navigator.connection;
    return !!(c && (c.saveData || /^(slow-2g|2g|3g)$/.test(c.effectiveType || "")));
  }

  function markWatched(slug) {
    if (!store.get("watched:" + slug)) store.set("watched:" + slug, new Date().toISOString().slice(0, 10));
  }

  function setupPlayer(video) {
    var slug = video.getAttribute("data-clip");
    var page = video.closest("[data-clip-page]") || document;
    var sources = $$("source[data-quality]", video);
    /* With `hls: true` an adaptive playlist follows the MP4s; used only where the browser
       plays HLS itself (no library), as the 自動 choice. */
    var hls = $("source[data-hls]", video);
    if (hls && !video.canPlayType("application/vnd.apple.mpegurl")) hls = null;
    var duration = parseFloat(video.getAttribute("data-duration")) || 0;
    var speedSel = $("[data-cp=speed]", page), qualitySel = $("[data-cp=quality]", page);
    var captionSel = $("[data-cp=captions]", page);
    var lastSaved = -1, watched = !!store.get("watched:" + slug);

    function length() { return video.duration && isFinite(video.duration) ? video.duration : duration; }

    /* Setting currentTime before metadata has loaded is kept by the browser as the start
       position; the loadedmetadata fallback covers browsers that drop it. */
    function seek(t) {
      t = Math.max(0, Math.min(t, Math.max(0, length() - 0.5)));
      video.currentTime = t;
      if (video.readyState < 1) {
        video.addEventListener("loadedmetadata", function () {
          if (Math.abs(video.currentTime - t) > 0.5) video.currentTime = t;
        }, { once: true });
        if (video.preload === "none") video.preload = "metadata";
      }
    }

    function play() { var p = video.play(); if (p && p.catch) p.catch(function () {}); }

    /* ---- quality: remembered choice, else small on scarce data, else fit the player ---- */
    function pickSource() {
      var saved = store.get("quality"), i;
      if (saved === "auto" && hls) return hls;
      for (i = 0; i < sources.length; i++) if (sources[i].getAttribute("data-quality") === saved) return sources[i];
      if (dataScarce()) return sources[0];
      if (hls) return hls;
      var need = (video.clientWidth || 640) * Math.min(window.devicePixelRatio || 1, 2);
      for (i = 0; i < sources.length; i++) if (+sources[i].getAttribute("data-width") >= need) return sources[i];
      return sources[sources.length - 1];
    }

    function useSource(source) {
      var url = source.getAttribute("src");
      if (video.getAttribute("src") === url || (!video.hasAttribute("src") && source === sources[0])) return;
      var t = video.currentTime, playing = !video.paused && !video.ended;
      video.setAttribute("src", url);
      if (t > 0) seek(t);
      if (playing) play();
    }

    if (sources.length) {
      var chosen = pickSource();
      useSource(chosen);
      var auto = qualitySel && $("option[value=auto]", qualitySel);
      if (auto && hls) auto.hidden = auto.disabled = false;
      if (qualitySel) qualitySel.value = chosen === hls ? "auto" : chosen.getAttribute("data-quality");
    }
    if (qualitySel) qualitySel.addEventListener("change", function () {
      var s = qualitySel.value === "auto" ? hls : sources.filter(function (x) { return x.getAttribute("data-quality") === qualitySel.value; })[0];
      if (!s) return;
      store.set("quality", qualitySel.value);
      useSource(s);
    });

    /* ---- speed (kept across clips, and across source changes via defaultPlaybackRate) ---- */
    function setSpeed(r) {
      if (!(r >= 0.25 && r <= 4)) return;
      video.defaultPlaybackRate = r;
      video.playbackRate = r;
      if (speedSel) speedSel.value = String(r);
    }
    setSpeed(parseFloat(store.get("speed") || "1"));
    if (speedSel) speedSel.addEventListener("change", function () {
      setSpeed(parseFloat(speedSel.value));
      store.set("speed", speedSel.value);
    });

    /* ---- captions: the default track showing (sound is often off on a train) ---- */
    var trackEls = $$("track", video);
    function captionTracks() {
      var out = [];
      for (var i = 0; i < video.textTracks.length; i++) {
        var tt = video.textTracks[i];
        if (tt.kind === "captions" || tt.kind === "subtitles") out.push(tt);
      }
      return out;
    }
    function showCaptions(lang) {
      captionTracks().forEach(function (tt) { tt.mode = tt.language === lang ? "showing" : "disabled"; });
      if (captionSel) captionSel.value = lang;
    }
    var defaultEl = trackEls.filter(function (t) { return t.default && t.kind === "captions"; })[0];
    var savedLang = store.get("captions");
    var wanted = savedLang === "off" ? "" : savedLang || (defaultEl ? defaultEl.srclang : "");
    if (wanted && !captionTracks().some(function (t) { return t.language === wanted; })) {
      wanted = defaultEl ? defaultEl.srclang : "";
    }
    showCaptions(wanted);
    if (captionSel) captionSel.addEventListener("change", function () {
      showCaptions(captionSel.value);
      store.set("captions", captionSel.value || "off");
    });
    video.textTracks.addEventListener("change", function () {
      var on = captionTracks().filter(function (t) { return t.mode === "showing"; })[0];
      if (captionSel) captionSel.value = on ? on.language : "";
    });
    setupCaptionSize(video, page);

    /* ---- resume where the viewer stopped, unless the URL asks for a moment ---- */
    var resumeBox = $("[data-cp-resume]", page);
    function hideResume() { if (resumeBox) resumeBox.hidden = true; }
    var start = hashTime(location.hash), pos = parseFloat(store.get("pos:" + slug) || "");
    if (start !== null) {
      seek(start);
    } else if (pos >= 5 && (!duration || pos < duration - 5)) {
      seek(pos);
      if (resumeBox) {
        $("[data-cp=resume-at]", resumeBox).textContent = fmt(pos);
        resumeBox.hidden = false;
        $("[data-cp=resume]", resumeBox).addEventListener("click", function () { hideResume(); play(); });
        $("[data-cp=restart]", resumeBox).addEventListener("click", function () {
          hideResume(); store.del("pos:" + slug); seek(0); play();
        });
      }
    }
    video.addEventListener("play", hideResume);
    setupBigPlay(video, page, play);

    function savePosition() {
      var t = video.currentTime, d = length();
      if (d && t > d - 3) store.del("pos:" + slug);
      else if (t >= 3) store.set("pos:" + slug, t.toFixed(1));
      lastSaved = t;
    }

    /* ---- chapters and transcript follow playback; links seek ---- */
    var marks = $$(".cp-chapters a[data-seek], .cp-transcript a[data-seek]", page);
    function highlight(t) {
      ["cp-chapters", "cp-transcript"].forEach(function (cls) {
        var current = null;
        marks.forEach(function (a) {
          if (a.closest("." + cls) && parseFloat(a.getAttribute("data-seek")) <= t + 0.25) current = a;
        });
        marks.forEach(function (a) {
          if (!a.closest("." + cls)) return;
          if (a === current) a.setAttribute("aria-current", "true"); else a.removeAttribute("aria-current");
        });
      });
    }

    video.addEventListener("timeupdate", function () {
      var t = video.currentTime, d = length();
      if (!video.seeking && Math.abs(t - lastSaved) >= 2) savePosition();
      if (!watched && d && !video.paused && t / d >= 0.9) { watched = true; markWatched(slug); showWatched(); }
      highlight(t);
    });
    video.addEventListener("pause", savePosition);
    window.addEventListener("pagehide", savePosition);
    video.addEventListener("ended", function () {
      store.del("pos:" + slug);
      watched = true; markWatched(slug); showWatched();
      var next = $("[data-cp-upnext]", page);
      if (next) next.hidden = false;
    });
    function showWatched() { var w = $("[data-cp-watched]", page); if (w) w.hidden = !watched; }
    showWatched();

    /* A chapter or transcript link is "#t=SECONDS", which without this script scrolls to the
       player (an anchor there has that id); here it seeks and plays too. */
    document.addEventListener("click", function (ev) {
      var a = ev.target.closest && ev.target.closest("a[data-seek]");
      if (!a) return;
      ev.preventDefault();
      history.replaceState(null, "", a.getAttribute("href"));
      hideResume();
      seek(parseFloat(a.getAttribute("data-seek")));
      play();
      showPlayer(video);
    });
    window.addEventListener("hashchange", function () {
      var t = hashTime(location.hash);
      if (t !== null) { hideResume(); seek(t); }
    });

    /* A search hit in the transcript lands on "#t-155": open the transcript, mark the
       paragraph, and bring the player (not the text) into view: it is at the top of the
       page, under the theme's sticky header. */
    if (/^#t-\d/.test(location.hash)) {
      var details = $(".cp-transcript", page);
      if (details) details.open = true;
      highlight(start || 0);
      window.addEventListener("load", function () {
        requestAnimationFrame(function () { window.scrollTo(0, 0); });
      });
    }
  }

  /* ---- 字幕サイズ: kept across clips; clipportal.css sizes each ("m" is its default) ---- */
  function setupCaptionSize(video, page) {
    var menu = $("[data-cp=caption-size]", page);
    function apply(size) {
      if (!/^(s|m|l|xl)$/.test(size || "")) size = "m";
      video.setAttribute("data-caption-size", size);
      if (menu) menu.value = size;
    }
    apply(store.get("caption-size"));
    if (menu) menu.addEventListener("change", function () {
      apply(menu.value);
      store.set("caption-size", menu.value);
    });
  }

  /* ---- before the first play, a tap anywhere on the picture plays ---- */
  function setupBigPlay(video, page, play) {
    var button = $("[data-cp=bigplay]", page);
    if (!button || !video.paused) return;
    button.hidden = false;
    button.addEventListener("click", play);
    video.addEventListener("play", function () {
      var focused = document.activeElement === button;
      button.hidden = true;
      if (focused) video.focus();  // keyboard users stay on the player
    }, { once: true });
  }

  /* Scroll the player into view (under the sticky header) unless it is wholly visible. */
  function showPlayer(video) {
    var player = video.closest(".cp-player") || video, header = $(".md-header");
    var box = player.getBoundingClientRect();
    if (box.top >= (header ? header.getBoundingClientRect().bottom : 0) - 1
        && box.bottom <= window.innerHeight) return;
    ($(".cp-at", player) || player).scrollIntoView({ block: "start" });
  }

  /* ---- cards: 視聴済み badge and how far the viewer got ---- */
  function setupCards() {
    var cards = $$("[data-clip-card]"), seen = 0;
    cards.forEach(function (card) {
      var slug = card.getAttribute("data-clip-card");
      var d = parseFloat(card.getAttribute("data-duration")) || 0;
      var pos = parseFloat(store.get("pos:" + slug) || "");
      var done = !!store.get("watched:" + slug);
      var badge = $(".cp-watched", card), bar = $(".cp-progress", card);
      if (done) { seen++; if (badge) badge.hidden = false; }
      if (bar && d && pos > 0) {
        bar.hidden = false;
        bar.firstElementChild.style.width = Math.min(100, (pos / d) * 100).toFixed(1) + "%";
      }
    });
    var count = $("[data-cp-watched-count]");
    if (count && seen) { count.textContent = "（視聴済み " + seen + " 本）"; count.hidden = false; }
  }

  function init() {
    var video = $("video[data-clip]");
    if (video) setupPlayer(video);
    setupCards();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
